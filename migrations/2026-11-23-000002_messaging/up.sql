-- Per-user event counter, kept apart from the wide users row so the hot UPDATE stays small.
-- Locking this row is what makes each user's sequence gapless and commit-ordered.
CREATE TABLE event_counters (
    user_id  UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE conversations (
    id               UUID PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title            TEXT,
    -- "<smaller uuid>:<larger uuid>" for direct conversations: one per pair.
    direct_key       TEXT UNIQUE,
    created_by       UUID,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_activity_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_position    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE members (
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_up_to BIGINT NOT NULL DEFAULT 0,
    read_up_to      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_user_idx ON members (user_id);

-- One row per message; the ciphertext is stored once, the per-recipient wrapped keys beside it.
CREATE TABLE messages (
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position        BIGINT NOT NULL,
    sender_id       UUID NOT NULL,
    header          TEXT NOT NULL,
    iv              BYTEA NOT NULL,
    ciphertext      BYTEA,
    signature       BYTEA NOT NULL,
    sent_at         BIGINT NOT NULL,
    server_ts       TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at      TIMESTAMPTZ,
    UNIQUE (conversation_id, position)
);
CREATE INDEX messages_conversation_ts_idx ON messages (conversation_id, server_ts);

CREATE TABLE message_keys (
    message_id  UUID NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL,
    wrapped_key BYTEA NOT NULL,
    PRIMARY KEY (message_id, user_id)
);

-- The per-user ordered event log. Message events point at the message instead of copying
-- its ciphertext once per recipient.
CREATE TABLE events (
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    conversation_id UUID,
    message_id      UUID,
    payload         JSONB,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, seq)
);
