DROP TABLE audit_events;
DROP TABLE login_failures;
DROP TABLE retired_refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
