-- Accounts: everything the server keeps is either public (keys), wrapped under keys it never
-- sees, or a bcrypt hash of a key derived on the client. No password ever reaches this table.
CREATE TABLE users (
    id                        UUID PRIMARY KEY,
    username                  TEXT NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_.-]{3,32}$'),
    auth_hash                 TEXT NOT NULL,
    kdf_iterations            INTEGER NOT NULL CHECK (kdf_iterations >= 600000),
    salt                      BYTEA NOT NULL,
    enc_public                BYTEA NOT NULL,
    sig_public                BYTEA NOT NULL,
    key_signature             BYTEA NOT NULL,
    wrapped_user_key          BYTEA NOT NULL,
    wrapped_enc_private       BYTEA NOT NULL,
    wrapped_sig_private       BYTEA NOT NULL,
    recovery_hash             TEXT,
    wrapped_user_key_recovery BYTEA,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per login (device). The refresh token is opaque; only its SHA-256 is stored.
CREATE TABLE sessions (
    id                UUID PRIMARY KEY,
    user_id           UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash      BYTEA NOT NULL UNIQUE,
    user_agent        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at        TIMESTAMPTZ NOT NULL,
    revoked_at        TIMESTAMPTZ
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Refresh tokens already rotated away. Presenting one again means it was stolen (or the
-- client is confused): the whole session is revoked.
CREATE TABLE retired_refresh_tokens (
    refresh_hash BYTEA PRIMARY KEY,
    session_id   UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    retired_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Failed logins, counted here rather than in memory so the limit holds across instances.
CREATE TABLE login_failures (
    id          BIGSERIAL PRIMARY KEY,
    username    TEXT NOT NULL,
    ip          TEXT NOT NULL,
    failed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_username_idx ON login_failures (username, failed_at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, failed_at);

-- Security events. user_id has no foreign key on purpose: the trail outlives a deleted account.
CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind        TEXT NOT NULL,
    user_id     UUID,
    session_id  UUID,
    ip          TEXT,
    request_id  TEXT,
    detail      JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, at);
