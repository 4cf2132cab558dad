DROP TABLE events;
DROP TABLE message_keys;
DROP TABLE messages;
DROP TABLE members;
DROP TABLE conversations;
DROP TABLE event_counters;
