-- Who was in a conversation and is no longer (left, was removed, or deleted their account),
-- with the username they had, so members can still name the sender of their old messages.
-- No foreign key to users: the account may be gone, and that is when the name matters most.
CREATE TABLE former_members (
    conversation_id UUID NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL,
    username        TEXT NOT NULL,
    left_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);

-- Who added a member (the creator for a group's first members; NULL for the creator, and for
-- memberships older than this column).
ALTER TABLE members ADD COLUMN added_by UUID REFERENCES users (id) ON DELETE SET NULL;
