//! The `messages` and `message_keys` rows and their member-scoped queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::{
    db::schema::{message_keys, messages},
    events::payload::message_prefix,
    events::Payload,
};
use courier_protocol::ids::{ConversationId, MessageId, UserId};

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = messages)]
pub struct MessageRow {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub position: i64,
    pub sender_id: UserId,
    pub header: String,
    pub iv: Vec<u8>,
    pub ciphertext: Option<Vec<u8>>,
    pub signature: Vec<u8>,
    pub server_ts: DateTime<Utc>,
    /// v2's key commitment; `None` for a legacy v1 message.
    pub commitment: Option<Vec<u8>>,
}

impl MessageRow {
    /// The message as its reader sees it, with that reader's wrapped key.
    pub fn payload(&self, wrapped_key: Option<&[u8]>) -> Payload {
        Self::for_reader(self.prefix(), self.ciphertext.is_some(), wrapped_key)
    }

    /// Renders what every reader shares once; `for_reader` adds each reader's key.
    pub fn prefix(&self) -> std::sync::Arc<str> {
        message_prefix(
            self.conversation_id,
            self.id,
            self.position,
            self.sender_id,
            self.server_ts.timestamp_millis(),
            &self.header,
            self.commitment.as_deref(),
            &self.iv,
            self.ciphertext.as_deref(),
            &self.signature,
        )
    }

    pub fn for_reader(
        prefix: std::sync::Arc<str>,
        live: bool,
        wrapped_key: Option<&[u8]>,
    ) -> Payload {
        let wrapped_key = wrapped_key
            .filter(|_| live)
            .map(|k| crate::accounts::fields::b64(k).into());
        Payload::Message {
            prefix,
            wrapped_key,
        }
    }
}

/// Any message with this id (ids are global: a reused id in another conversation is a conflict).
pub fn find(conn: &mut PgConnection, id: MessageId) -> QueryResult<Option<MessageRow>> {
    messages::table
        .find(id)
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
}

/// A message of this conversation that `reader` may see (they hold a key to it).
pub fn find_visible(
    conn: &mut PgConnection,
    conversation: ConversationId,
    id: MessageId,
    reader: UserId,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .inner_join(
            message_keys::table.on(message_keys::message_id
                .eq(messages::id)
                .and(message_keys::user_id.eq(reader))),
        )
        .filter(messages::id.eq(id))
        .filter(messages::conversation_id.eq(conversation))
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
}

/// A message with the wrapped keys of `readers` (those who hold one): what another instance
/// needs to hand a new message to all its local streams with one round trip, not one per stream.
pub fn for_readers(
    conn: &mut PgConnection,
    id: MessageId,
    readers: &[UserId],
) -> QueryResult<Option<(MessageRow, Vec<(UserId, Vec<u8>)>)>> {
    let Some(row) = find(conn, id)? else {
        return Ok(None);
    };
    let keys: Vec<(UserId, Vec<u8>)> = message_keys::table
        .filter(message_keys::message_id.eq(id))
        .filter(message_keys::user_id.eq_any(readers))
        .select((message_keys::user_id, message_keys::wrapped_key))
        .load(conn)?;
    Ok(Some((row, keys)))
}

/// A new message as each of `readers` receives it, in their order (`None` if it is gone): the
/// loader the bus is started with ([`crate::bus::LoadMessage`]), so another instance renders a
/// message once for all its local readers.
pub fn payloads_for_readers(
    conn: &mut PgConnection,
    id: MessageId,
    readers: &[UserId],
) -> QueryResult<Option<Vec<Payload>>> {
    let Some((row, keys)) = for_readers(conn, id, readers)? else {
        return Ok(None);
    };
    let prefix = row.prefix();
    let live = row.ciphertext.is_some();
    let keys: std::collections::HashMap<UserId, Vec<u8>> = keys.into_iter().collect();
    Ok(Some(
        readers
            .iter()
            .map(|user| {
                let key = keys.get(user).map(Vec::as_slice);
                MessageRow::for_reader(prefix.clone(), live, key)
            })
            .collect(),
    ))
}

/// Filters of a history page.
pub struct Page {
    pub before: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// A page of the reader's history, ascending by position: the newest `limit` matching ones.
pub fn history(
    conn: &mut PgConnection,
    conversation: ConversationId,
    reader: UserId,
    page: &Page,
) -> QueryResult<Vec<Payload>> {
    let mut query = messages::table
        .inner_join(
            message_keys::table.on(message_keys::message_id
                .eq(messages::id)
                .and(message_keys::user_id.eq(reader))),
        )
        .filter(messages::conversation_id.eq(conversation))
        .into_boxed();
    if let Some(before) = page.before {
        query = query.filter(messages::position.lt(before));
    }
    if let Some(since) = page.since {
        query = query.filter(messages::server_ts.ge(since));
    }
    if let Some(until) = page.until {
        query = query.filter(messages::server_ts.lt(until));
    }
    let mut rows: Vec<(MessageRow, Vec<u8>)> = query
        .order(messages::position.desc())
        .limit(page.limit)
        .select((MessageRow::as_select(), message_keys::wrapped_key))
        .load(conn)?;
    rows.reverse();
    Ok(rows.iter().map(|(m, k)| m.payload(Some(k))).collect())
}
