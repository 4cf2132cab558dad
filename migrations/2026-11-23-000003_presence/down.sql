DROP TABLE typing_limits;
DROP TABLE presence;
DROP TABLE instances;
