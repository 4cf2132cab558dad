DROP TABLE login_known_addresses;
ALTER TABLE login_failures DROP COLUMN allowance;
