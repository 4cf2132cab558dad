-- Attachments (docs/protocol.md §8, §11): the server keeps only who uploaded how many bytes of
-- opaque ciphertext, where the bytes are (object store keys, one per committed part), and which
-- messages reference them (which is what lets other members fetch them). The bytes themselves
-- live in the object store, never in PostgreSQL.
--
-- owner_id is SET NULL, not CASCADE, on account deletion: messages already delivered to others
-- stay theirs (the account deletion route), and so do the attachments those messages reference.
-- The route deletes the owner's unreferenced uploads itself; the sweep removes rows nobody
-- references any more once they are older than the TTL.
CREATE TABLE attachments (
    id           UUID PRIMARY KEY,
    owner_id     UUID REFERENCES users (id) ON DELETE SET NULL,
    size         BIGINT NOT NULL CHECK (size > 0),
    received     BIGINT NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= size),
    completed_at TIMESTAMPTZ CHECK ((completed_at IS NULL) = (received < size)),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX attachments_owner ON attachments (owner_id);
CREATE INDEX attachments_created ON attachments (created_at);

-- One row per committed part: bytes [start, start + length) of the attachment are the object
-- `object_key`. Parts are contiguous from 0; a download reads them in `start` order.
CREATE TABLE attachment_parts (
    attachment_id UUID NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    start         BIGINT NOT NULL CHECK (start >= 0),
    length        BIGINT NOT NULL CHECK (length > 0),
    object_key    TEXT NOT NULL,
    PRIMARY KEY (attachment_id, start)
);

CREATE TABLE message_attachments (
    message_id    UUID NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    attachment_id UUID NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, attachment_id)
);
CREATE INDEX message_attachments_attachment ON message_attachments (attachment_id);
