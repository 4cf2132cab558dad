//! Rows, views and member-scoped queries of conversations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::{
    deserialize::{self, FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    prelude::*,
    serialize::{self, Output, ToSql},
    sql_types::Text,
};
use serde::Serialize;

use crate::{
    accounts::models::UserRef,
    db::schema::{conversations, former_members, members, message_keys, messages, users},
};
use courier_protocol::ids::{ConversationId, UserId};
use courier_protocol::limits::SERIES_CONTENT_TYPE;

/// The two kinds of conversation (the `kind` column).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema, AsExpression, FromSqlRow,
)]
#[serde(rename_all = "lowercase")]
#[diesel(sql_type = Text)]
pub enum ConversationKind {
    /// Two members, one conversation per pair.
    Direct,
    /// Up to `MAX_MEMBERS`, with a title.
    Group,
}

impl ToSql<Text, Pg> for ConversationKind {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let text = match self {
            Self::Direct => "direct",
            Self::Group => "group",
        };
        <str as ToSql<Text, Pg>>::to_sql(text, out)
    }
}

impl FromSql<Text, Pg> for ConversationKind {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        match <String as FromSql<Text, Pg>>::from_sql(bytes)?.as_str() {
            "direct" => Ok(Self::Direct),
            "group" => Ok(Self::Group),
            other => Err(format!("unknown conversation kind {other}").into()),
        }
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = conversations)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub direct_key: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub last_position: i64,
}

#[derive(Insertable)]
#[diesel(table_name = conversations)]
pub struct NewConversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub direct_key: Option<String>,
    pub created_by: Option<UserId>,
}

/// A conversation as clients see it. The caller-specific fields are absent in events, which
/// every member shares.
#[derive(Serialize, Debug, Clone, utoipa::ToSchema)]
pub struct ConversationView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub members: Vec<UserRef>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// Position of the newest message.
    pub last_position: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_up_to: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_up_to: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<i64>,
    /// People who were members and are not any more (they left, were removed, or deleted their
    /// account), with the username they had then: the names of older messages' senders.
    pub former_members: Vec<UserRef>,
    /// Who added the caller (absent for the creator, in events, and for memberships made
    /// before this was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub added_by: Option<UserId>,
}

/// The direct-conversation key of a pair: the same whoever creates it.
pub fn direct_key(a: UserId, b: UserId) -> String {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    format!("{lo}:{hi}")
}

/// The conversation, if `user` is a member; `lock` takes its row lock for the transaction.
/// Every conversation-changing transaction locks this row first (then event counters), which
/// orders them and keeps membership stable while a message is checked against it.
pub fn find_for_member(
    conn: &mut PgConnection,
    conversation: ConversationId,
    user: UserId,
    lock: bool,
) -> QueryResult<Option<ConversationRow>> {
    let query = conversations::table
        .filter(conversations::id.eq(conversation))
        .filter(diesel::dsl::exists(
            members::table
                .filter(members::conversation_id.eq(conversation))
                .filter(members::user_id.eq(user)),
        ))
        .select(ConversationRow::as_select());
    if lock {
        query.for_update().first(conn).optional()
    } else {
        query.first(conn).optional()
    }
}

/// Member ids, ascending (the order of an envelope's `recipients`).
pub fn member_ids(
    conn: &mut PgConnection,
    conversation: ConversationId,
) -> QueryResult<Vec<UserId>> {
    members::table
        .filter(members::conversation_id.eq(conversation))
        .select(members::user_id)
        .order(members::user_id.asc())
        .load(conn)
}

/// Builds views of these conversations; with `caller`, including their read state.
pub fn views(
    conn: &mut PgConnection,
    rows: Vec<ConversationRow>,
    caller: Option<UserId>,
) -> QueryResult<Vec<ConversationView>> {
    let ids: Vec<ConversationId> = rows.iter().map(|r| r.id).collect();
    type MemberRow = (ConversationId, UserId, String, i64, i64, Option<UserId>);
    let member_rows: Vec<MemberRow> = members::table
        .inner_join(users::table)
        .filter(members::conversation_id.eq_any(&ids))
        .order((members::conversation_id, users::username))
        .select((
            members::conversation_id,
            users::id,
            users::username,
            members::read_up_to,
            members::delivered_up_to,
            members::added_by,
        ))
        .load(conn)?;
    let mut by_conv: HashMap<ConversationId, Vec<UserRef>> = HashMap::new();
    let mut own: HashMap<ConversationId, (i64, i64, Option<UserId>)> = HashMap::new();
    for (conv, user, username, read, delivered, added_by) in member_rows {
        if caller == Some(user) {
            own.insert(conv, (read, delivered, added_by));
        }
        by_conv
            .entry(conv)
            .or_default()
            .push(UserRef { id: user, username });
    }
    let mut former: HashMap<ConversationId, Vec<UserRef>> = HashMap::new();
    for (conv, id, username) in former_members::table
        .filter(former_members::conversation_id.eq_any(&ids))
        .order((former_members::conversation_id, former_members::username))
        .select((
            former_members::conversation_id,
            former_members::user_id,
            former_members::username,
        ))
        .load::<(ConversationId, UserId, String)>(conn)?
    {
        former
            .entry(conv)
            .or_default()
            .push(UserRef { id, username });
    }
    let unread: HashMap<ConversationId, i64> = match caller {
        None => HashMap::new(),
        Some(me) => messages::table
            .inner_join(
                members::table.on(members::conversation_id
                    .eq(messages::conversation_id)
                    .and(members::user_id.eq(me))),
            )
            .inner_join(
                message_keys::table.on(message_keys::message_id
                    .eq(messages::id)
                    .and(message_keys::user_id.eq(me))),
            )
            .filter(messages::conversation_id.eq_any(&ids))
            .filter(messages::position.gt(members::read_up_to))
            .filter(messages::sender_id.ne(me))
            .filter(messages::deleted_at.is_null())
            // Telemetry batches (several a second) are data, not something to read: not counted.
            // The header is canonical (checked on post), so its content type is an exact prefix.
            .filter(messages::header.not_like(series_header_prefix()))
            .group_by(messages::conversation_id)
            .select((messages::conversation_id, diesel::dsl::count_star()))
            .load::<(ConversationId, i64)>(conn)?
            .into_iter()
            .collect(),
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let mine = own.get(&r.id).copied();
            ConversationView {
                id: r.id,
                members: by_conv.remove(&r.id).unwrap_or_default(),
                kind: r.kind,
                title: r.title,
                created_by: r.created_by,
                created_at: r.created_at,
                last_activity_at: r.last_activity_at,
                last_position: r.last_position,
                read_up_to: mine.map(|m| m.0),
                delivered_up_to: mine.map(|m| m.1),
                unread_count: caller.map(|_| unread.get(&r.id).copied().unwrap_or(0)),
                former_members: former.remove(&r.id).unwrap_or_default(),
                added_by: mine.and_then(|m| m.2),
            }
        })
        .collect())
}

pub fn view(
    conn: &mut PgConnection,
    row: ConversationRow,
    caller: Option<UserId>,
) -> QueryResult<ConversationView> {
    Ok(views(conn, vec![row], caller)?
        .pop()
        .expect("one row in, one view out"))
}

/// Keeps `user`'s current username as a former member of these conversations (before their
/// membership goes), so the old messages keep a name after they leave or delete the account.
pub fn record_former(
    conn: &mut PgConnection,
    conversations: &[ConversationId],
    user: UserId,
) -> QueryResult<()> {
    let Some(username) = users::table
        .find(user)
        .select(users::username)
        .first::<String>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let rows: Vec<_> = conversations
        .iter()
        .map(|c| {
            (
                former_members::conversation_id.eq(*c),
                former_members::user_id.eq(user),
                former_members::username.eq(&username),
            )
        })
        .collect();
    diesel::insert_into(former_members::table)
        .values(&rows)
        .on_conflict((former_members::conversation_id, former_members::user_id))
        .do_update()
        .set((
            former_members::username.eq(diesel::upsert::excluded(former_members::username)),
            former_members::left_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// `user` is a member again: no longer a former one.
pub fn forget_former(
    conn: &mut PgConnection,
    conversation: ConversationId,
    user: UserId,
) -> QueryResult<()> {
    diesel::delete(former_members::table.find((conversation, user))).execute(conn)?;
    Ok(())
}

/// All conversations of `user`, newest activity first.
pub fn list_for_member(
    conn: &mut PgConnection,
    user: UserId,
) -> QueryResult<Vec<ConversationView>> {
    let rows: Vec<ConversationRow> = conversations::table
        .inner_join(members::table)
        .filter(members::user_id.eq(user))
        .order(conversations::last_activity_at.desc())
        .select(ConversationRow::as_select())
        .load(conn)?;
    views(conn, rows, Some(user))
}

/// The start of every canonical header of a telemetry batch (docs/protocol.md §5.1, §12), as a
/// LIKE pattern (the content type holds no `%`, `_` is escaped).
fn series_header_prefix() -> String {
    format!(
        "{{\"content_type\":\"{}\",%",
        SERIES_CONTENT_TYPE.replace('_', "\\_")
    )
}
