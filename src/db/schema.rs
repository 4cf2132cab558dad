// @generated automatically by Diesel CLI.

diesel::table! {
    address_streams (instance_id, address) {
        instance_id -> Text,
        address -> Text,
        streams -> Int4,
    }
}

diesel::table! {
    attachment_parts (attachment_id, start) {
        attachment_id -> Uuid,
        start -> Int8,
        length -> Int8,
        object_key -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Uuid,
        owner_id -> Nullable<Uuid>,
        size -> Int8,
        received -> Int8,
        completed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        at -> Timestamptz,
        kind -> Text,
        user_id -> Nullable<Uuid>,
        session_id -> Nullable<Uuid>,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        detail -> Jsonb,
    }
}

diesel::table! {
    conversations (id) {
        id -> Uuid,
        kind -> Text,
        title -> Nullable<Text>,
        direct_key -> Nullable<Text>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        last_activity_at -> Timestamptz,
        last_position -> Int8,
    }
}

diesel::table! {
    event_counters (user_id) {
        user_id -> Uuid,
        last_seq -> Int8,
    }
}

diesel::table! {
    events (user_id, seq) {
        user_id -> Uuid,
        seq -> Int8,
        kind -> Text,
        conversation_id -> Nullable<Uuid>,
        message_id -> Nullable<Uuid>,
        payload -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    instances (id) {
        id -> Text,
        heartbeat_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        username -> Text,
        ip -> Text,
        failed_at -> Timestamptz,
        allowance -> Bool,
    }
}

diesel::table! {
    login_known_addresses (user_id, address_hash) {
        user_id -> Uuid,
        address_hash -> Bytea,
        last_success_at -> Timestamptz,
    }
}

diesel::table! {
    members (conversation_id, user_id) {
        conversation_id -> Uuid,
        user_id -> Uuid,
        joined_at -> Timestamptz,
        delivered_up_to -> Int8,
        read_up_to -> Int8,
        added_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    former_members (conversation_id, user_id) {
        conversation_id -> Uuid,
        user_id -> Uuid,
        username -> Text,
        left_at -> Timestamptz,
    }
}

diesel::table! {
    message_attachments (message_id, attachment_id) {
        message_id -> Uuid,
        attachment_id -> Uuid,
    }
}

diesel::table! {
    message_keys (message_id, user_id) {
        message_id -> Uuid,
        user_id -> Uuid,
        wrapped_key -> Bytea,
    }
}

diesel::table! {
    messages (id) {
        id -> Uuid,
        conversation_id -> Uuid,
        position -> Int8,
        sender_id -> Uuid,
        header -> Text,
        iv -> Bytea,
        ciphertext -> Nullable<Bytea>,
        signature -> Bytea,
        sent_at -> Int8,
        server_ts -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        commitment -> Nullable<Bytea>,
    }
}

diesel::table! {
    presence (instance_id, user_id) {
        instance_id -> Text,
        user_id -> Uuid,
        streams -> Int4,
    }
}

diesel::table! {
    registration_attempts (id) {
        id -> Int8,
        address -> Text,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    retired_refresh_tokens (refresh_hash) {
        refresh_hash -> Bytea,
        session_id -> Uuid,
        retired_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        user_id -> Uuid,
        refresh_hash -> Bytea,
        user_agent -> Nullable<Text>,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    typing_limits (user_id, conversation_id) {
        user_id -> Uuid,
        conversation_id -> Uuid,
        last_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        auth_hash -> Text,
        kdf_iterations -> Int4,
        salt -> Bytea,
        enc_public -> Bytea,
        sig_public -> Bytea,
        key_signature -> Bytea,
        wrapped_user_key -> Bytea,
        wrapped_enc_private -> Bytea,
        wrapped_sig_private -> Bytea,
        recovery_hash -> Nullable<Text>,
        wrapped_user_key_recovery -> Nullable<Bytea>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(address_streams -> instances (instance_id));
diesel::joinable!(attachment_parts -> attachments (attachment_id));
diesel::joinable!(attachments -> users (owner_id));
diesel::joinable!(event_counters -> users (user_id));
diesel::joinable!(events -> users (user_id));
diesel::joinable!(login_known_addresses -> users (user_id));
diesel::joinable!(former_members -> conversations (conversation_id));
diesel::joinable!(members -> conversations (conversation_id));
diesel::joinable!(members -> users (user_id));
diesel::joinable!(message_attachments -> attachments (attachment_id));
diesel::joinable!(message_attachments -> messages (message_id));
diesel::joinable!(message_keys -> messages (message_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(presence -> instances (instance_id));
diesel::joinable!(presence -> users (user_id));
diesel::joinable!(retired_refresh_tokens -> sessions (session_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(typing_limits -> conversations (conversation_id));
diesel::joinable!(typing_limits -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    address_streams,
    attachment_parts,
    attachments,
    audit_events,
    conversations,
    event_counters,
    events,
    former_members,
    instances,
    login_failures,
    login_known_addresses,
    members,
    message_attachments,
    message_keys,
    messages,
    presence,
    registration_attempts,
    retired_refresh_tokens,
    sessions,
    typing_limits,
    users,
);
