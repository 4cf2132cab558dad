//! The event log in PostgreSQL: appending (with gapless per-user sequence numbers) and replay.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bytea, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use uuid::Uuid;

use super::{
    payload::{b64, message_prefix},
    Delivery, EventData, Payload,
};
use crate::{db::schema::events, error::AppError};
use courier_protocol::{
    events::EventKind,
    ids::{ConversationId, MessageId, UserId},
};

#[derive(QueryableByName)]
struct Allocated {
    #[diesel(sql_type = SqlUuid)]
    user_id: UserId,
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

/// Takes the next sequence number of each user. The counter rows are locked in user-id order
/// (so concurrent writers cannot deadlock) and stay locked until commit: that is what makes a
/// user's log gapless and visible only in order.
pub fn allocate(conn: &mut PgConnection, users: &[UserId]) -> QueryResult<Vec<(UserId, i64)>> {
    let rows: Vec<Allocated> = diesel::sql_query(
        "UPDATE event_counters c SET last_seq = c.last_seq + 1 \
         FROM (SELECT user_id FROM event_counters WHERE user_id = ANY($1) ORDER BY user_id FOR UPDATE) l \
         WHERE c.user_id = l.user_id RETURNING c.user_id, c.last_seq",
    )
    .bind::<Array<SqlUuid>, _>(users)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.last_seq)).collect())
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEvent<'a> {
    user_id: UserId,
    seq: i64,
    kind: &'a str,
    conversation_id: Option<ConversationId>,
    message_id: Option<MessageId>,
    payload: Option<&'a serde_json::Value>,
}

/// Appends a JSON event to each user's log and returns the deliveries for the live path.
pub fn append_json(
    conn: &mut PgConnection,
    users: &[UserId],
    kind: EventKind,
    conversation: Option<ConversationId>,
    value: &serde_json::Value,
) -> Result<Vec<Delivery>, AppError> {
    let data = EventData {
        kind,
        json: value.to_string().into(),
    };
    append_each(
        conn,
        users
            .iter()
            .map(|u| (*u, data.clone(), conversation))
            .collect(),
    )
}

/// Appends a (possibly different) JSON event to each user's log, taking every user's next seq
/// in one statement: a transaction must lock all its counters at once, in id order, or two
/// transactions could each hold a counter the other waits for.
pub fn append_each(
    conn: &mut PgConnection,
    items: Vec<(UserId, EventData, Option<ConversationId>)>,
) -> Result<Vec<Delivery>, AppError> {
    let users: Vec<UserId> = items.iter().map(|(u, _, _)| *u).collect();
    let seqs: std::collections::HashMap<UserId, i64> =
        allocate(conn, &users)?.into_iter().collect();
    let values: Vec<serde_json::Value> = items
        .iter()
        .map(|(_, d, _)| serde_json::from_str(&d.json).unwrap_or(serde_json::Value::Null))
        .collect();
    let mut rows = Vec::with_capacity(items.len());
    let mut deliveries = Vec::with_capacity(items.len());
    for ((user, data, conversation), value) in items.iter().zip(&values) {
        let Some(&seq) = seqs.get(user) else { continue }; // the user is gone (deleted meanwhile)
        rows.push(NewEvent {
            user_id: *user,
            seq,
            kind: data.kind.as_str(),
            conversation_id: *conversation,
            message_id: None,
            payload: Some(value),
        });
        deliveries.push(Delivery {
            user: *user,
            seq,
            payload: Some(Payload::Whole(data.clone())),
        });
    }
    diesel::insert_into(events::table)
        .values(&rows)
        .execute(conn)?;
    Ok(deliveries)
}

#[derive(QueryableByName)]
struct ReplayRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<Jsonb>)]
    payload: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    conversation_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    message_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<BigInt>)]
    position: Option<i64>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    sender_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    header: Option<String>,
    #[diesel(sql_type = Nullable<Bytea>)]
    commitment: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    iv: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    ciphertext: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    signature: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    server_ts: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Bytea>)]
    wrapped_key: Option<Vec<u8>>,
}

pub const REPLAY_PAGE: i64 = 500;

/// The user's events after `after`, oldest first, at most `limit`.
pub fn replay(
    conn: &mut PgConnection,
    user: UserId,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, Payload)>> {
    let rows: Vec<ReplayRow> = diesel::sql_query(
        "SELECT e.seq, e.kind, e.payload, e.conversation_id, e.message_id, \
                m.position, m.sender_id, m.header, m.commitment, m.iv, m.ciphertext, m.signature, m.server_ts, k.wrapped_key \
         FROM events e \
         LEFT JOIN messages m ON e.kind = 'message' AND m.id = e.message_id \
         LEFT JOIN message_keys k ON e.kind = 'message' AND k.message_id = e.message_id AND k.user_id = e.user_id \
         WHERE e.user_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.seq, to_payload(r))).collect())
}

fn to_payload(r: ReplayRow) -> Payload {
    let kind = EventKind::parse(&r.kind);
    if kind != EventKind::Message {
        // An unknown kind in the table (a newer version wrote it) goes out as `unknown` rather
        // than being dropped, so the reader's seqs stay gapless; a kind that is never logged
        // cannot be in the table, and would go out the same way.
        let kind = if kind.is_logged() {
            kind
        } else {
            EventKind::Unknown
        };
        let json: Arc<str> = r
            .payload
            .map(|p| p.to_string())
            .unwrap_or_else(|| "{}".into())
            .into();
        return Payload::Whole(EventData { kind, json });
    }
    let deleted = r.ciphertext.is_none();
    let prefix = message_prefix(
        // A message row always has these (the join found the message).
        ConversationId(r.conversation_id.unwrap_or_default()),
        MessageId(r.message_id.unwrap_or_default()),
        r.position.unwrap_or_default(),
        UserId(r.sender_id.unwrap_or_default()),
        r.server_ts
            .map(|t| t.timestamp_millis())
            .unwrap_or_default(),
        r.header.as_deref().unwrap_or_default(),
        r.commitment.as_deref(),
        r.iv.as_deref().unwrap_or_default(),
        r.ciphertext.as_deref(),
        r.signature.as_deref().unwrap_or_default(),
    );
    let wrapped_key = (!deleted)
        .then(|| r.wrapped_key.map(|k| b64(&k).into()))
        .flatten();
    Payload::Message {
        prefix,
        wrapped_key,
    }
}

/// The user's newest seq.
pub fn last_seq(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    use crate::db::schema::event_counters;
    event_counters::table
        .find(user)
        .select(event_counters::last_seq)
        .first(conn)
        .optional()
        .map(|s| s.unwrap_or(0))
}
