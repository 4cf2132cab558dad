//! The `conversation` events of a membership change, appended to every member's log in the
//! transaction that makes the change (docs/protocol.md §7.4).

use diesel::PgConnection;
use serde_json::json;

use super::models::{self, ConversationRow};
use crate::{
    error::AppError,
    events::{log, Delivery, EventData},
};
use courier_protocol::{
    events::EventKind,
    ids::{ConversationId, UserId},
};

/// What changed, and who did it.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// `created`, `member_added` or `member_removed`.
    pub kind: &'static str,
    /// The member added or removed.
    pub subject: Option<UserId>,
    /// Who made the change (for `member_removed`: the subject itself when they left).
    pub by: UserId,
}

/// Appends a `conversation` event (the shared view after the change) to every current member,
/// and, when `removed` is given, one naming only the conversation to that former member.
pub fn announce_change(
    conn: &mut PgConnection,
    row: &ConversationRow,
    change: Change,
    removed: Option<UserId>,
) -> Result<Vec<Delivery>, AppError> {
    let items = change_events(conn, row, change, removed)?;
    log::append_each(conn, items)
}

/// The events of a membership change, not yet appended (account deletion batches several).
pub fn change_events(
    conn: &mut PgConnection,
    row: &ConversationRow,
    change: Change,
    removed: Option<UserId>,
) -> Result<Vec<(UserId, EventData, Option<ConversationId>)>, AppError> {
    let members = models::member_ids(conn, row.id)?;
    let view = models::view(conn, row.clone(), None)?;
    let shared = EventData::new(
        EventKind::Conversation,
        &json!({"change": change.kind, "user_id": change.subject, "by": change.by, "conversation": view}),
    );
    let mut items: Vec<_> = members
        .into_iter()
        .map(|u| (u, shared.clone(), Some(row.id)))
        .collect();
    if let Some(gone) = removed {
        let only_id = EventData::new(
            EventKind::Conversation,
            &json!({"change": change.kind, "user_id": gone, "by": change.by, "conversation": {"id": row.id}}),
        );
        items.push((gone, only_id, Some(row.id)));
    }
    Ok(items)
}
