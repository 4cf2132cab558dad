ALTER TABLE members DROP COLUMN added_by;
DROP TABLE former_members;
