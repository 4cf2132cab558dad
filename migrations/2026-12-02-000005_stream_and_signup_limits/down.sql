DROP TABLE registration_attempts;
DROP TABLE address_streams;
