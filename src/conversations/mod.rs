//! Conversations: direct (two members, one per pair) and groups (up to 256 members).
//! Everything is scoped to members: for anyone else a conversation does not exist (404,
//! exactly as for a missing one). Membership changes are events in every member's log.

pub mod changes;
pub mod models;
pub mod routes;

/// Largest group, the caller included.
pub const MAX_MEMBERS: usize = 256;

use diesel::prelude::*;

use crate::{
    db::schema::{conversations, members},
    error::AppError,
    events::{log, Delivery},
};
use courier_protocol::ids::{ConversationId, UserId};

/// Removes `user` from every conversation (account deletion), telling the other members.
/// Conversation rows are locked in id order, and all counters in one statement after them,
/// the same order every other writer uses.
pub fn leave_all(conn: &mut PgConnection, user: UserId) -> Result<Vec<Delivery>, AppError> {
    let rows: Vec<models::ConversationRow> = conversations::table
        .filter(
            conversations::id.eq_any(
                members::table
                    .filter(members::user_id.eq(user))
                    .select(members::conversation_id),
            ),
        )
        .order(conversations::id)
        .for_update()
        .select(models::ConversationRow::as_select())
        .load(conn)?;
    let ids: Vec<ConversationId> = rows.iter().map(|r| r.id).collect();
    models::record_former(conn, &ids, user)?;
    diesel::delete(members::table.filter(members::user_id.eq(user))).execute(conn)?;
    let mut items = Vec::new();
    let change = changes::Change {
        kind: "member_removed",
        subject: Some(user),
        by: user,
    };
    for row in &rows {
        items.extend(changes::change_events(conn, row, change, None)?);
    }
    log::append_each(conn, items)
}
