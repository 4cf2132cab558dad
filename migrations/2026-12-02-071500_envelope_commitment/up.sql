-- Envelope v2 (key-committing): the 32-byte commitment HMAC-SHA256(K, "courier/v2/commit" || h)
-- travels beside header/iv/ciphertext/signature. Messages stored before v2 (v1) keep NULL and are
-- still served without one; the server accepts only v2 in new posts, so every new row has one.
-- courier_post_message gains the commitment as its last parameter; everything else is as in
-- migration 000004.
ALTER TABLE messages ADD COLUMN commitment BYTEA
    CHECK (commitment IS NULL OR octet_length(commitment) = 32);

DROP FUNCTION courier_post_message(UUID, UUID, UUID, UUID, UUID[], UUID[], BYTEA[], TEXT, BYTEA, BYTEA, BYTEA, BIGINT);

CREATE FUNCTION courier_post_message(
    p_user UUID, p_session UUID, p_conversation UUID, p_message UUID, p_recipients UUID[],
    p_key_users UUID[], p_keys BYTEA[], p_header TEXT, p_iv BYTEA, p_ciphertext BYTEA,
    p_signature BYTEA, p_sent_at BIGINT, p_commitment BYTEA)
RETURNS TABLE (outcome TEXT, msg_position BIGINT, msg_server_ts TIMESTAMPTZ, member UUID, member_seq BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    existing messages%ROWTYPE;
    current_members UUID[];
    new_position BIGINT;
    new_ts TIMESTAMPTZ;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = p_session AND s.user_id = p_user
                   AND s.revoked_at IS NULL AND s.expires_at > now()) THEN
        RETURN QUERY SELECT 'revoked'::TEXT, NULL::BIGINT, NULL::TIMESTAMPTZ, NULL::UUID, NULL::BIGINT;
        RETURN;
    END IF;
    PERFORM 1 FROM conversations c
        WHERE c.id = p_conversation
          AND EXISTS (SELECT 1 FROM members m WHERE m.conversation_id = p_conversation AND m.user_id = p_user)
        FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::TEXT, NULL::BIGINT, NULL::TIMESTAMPTZ, NULL::UUID, NULL::BIGINT;
        RETURN;
    END IF;
    SELECT * INTO existing FROM messages m WHERE m.id = p_message;
    IF FOUND THEN
        IF existing.conversation_id <> p_conversation OR existing.sender_id <> p_user OR existing.header <> p_header THEN
            RETURN QUERY SELECT 'taken'::TEXT, NULL::BIGINT, NULL::TIMESTAMPTZ, NULL::UUID, NULL::BIGINT;
        ELSE
            RETURN QUERY SELECT 'repeat'::TEXT, existing.position, existing.server_ts, p_user,
                COALESCE((SELECT e.seq FROM events e
                          WHERE e.user_id = p_user AND e.message_id = p_message AND e.kind = 'message'), 0);
        END IF;
        RETURN;
    END IF;
    SELECT array_agg(m.user_id ORDER BY m.user_id) INTO current_members
        FROM members m WHERE m.conversation_id = p_conversation;
    IF current_members IS DISTINCT FROM p_recipients THEN
        RETURN QUERY SELECT 'mismatch'::TEXT, NULL::BIGINT, NULL::TIMESTAMPTZ, NULL::UUID, NULL::BIGINT;
        RETURN;
    END IF;
    UPDATE conversations c SET last_position = c.last_position + 1, last_activity_at = now()
        WHERE c.id = p_conversation RETURNING c.last_position INTO new_position;
    INSERT INTO messages (id, conversation_id, position, sender_id, header, iv, ciphertext, signature, sent_at, commitment)
        VALUES (p_message, p_conversation, new_position, p_user, p_header, p_iv, p_ciphertext, p_signature, p_sent_at, p_commitment)
        RETURNING server_ts INTO new_ts;
    INSERT INTO message_keys (message_id, user_id, wrapped_key)
        SELECT p_message, k.u, k.w FROM unnest(p_key_users, p_keys) AS k(u, w);
    RETURN QUERY
        WITH allocated AS (
            UPDATE event_counters c SET last_seq = c.last_seq + 1
            FROM (SELECT l.user_id FROM event_counters l WHERE l.user_id = ANY (p_recipients)
                  ORDER BY l.user_id FOR UPDATE) l
            WHERE c.user_id = l.user_id
            RETURNING c.user_id, c.last_seq
        ), written AS (
            INSERT INTO events (user_id, seq, kind, conversation_id, message_id)
            SELECT a.user_id, a.last_seq, 'message', p_conversation, p_message FROM allocated a
            RETURNING events.user_id, events.seq
        )
        SELECT 'stored'::TEXT, new_position, new_ts, w.user_id, w.seq FROM written w ORDER BY w.user_id;
END
$$;
