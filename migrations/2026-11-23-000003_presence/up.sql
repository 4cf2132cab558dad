-- Live instances and the streams each holds, so presence and the per-user stream cap are
-- correct across instances whatever the bus. An instance that stops heart-beating for 30 s
-- is considered dead and its users go offline.
CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE presence (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    streams     INTEGER NOT NULL CHECK (streams > 0),
    PRIMARY KEY (instance_id, user_id)
);
CREATE INDEX presence_user_idx ON presence (user_id);

-- Typing notifications: at most one per second per user and conversation, cluster-wide.
CREATE TABLE typing_limits (
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    last_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
);
