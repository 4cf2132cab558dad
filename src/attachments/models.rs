//! The `attachments`, `attachment_parts` and `message_attachments` rows and their queries,
//! always scoped to the caller: the uploader (`*_owned`) or a reader (`find_readable`).

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Uuid as SqlUuid},
};

use crate::{
    db::schema::{attachment_parts, attachments, message_attachments, users},
    error::AppError,
};
use courier_protocol::ids::{AttachmentId, MessageId, UserId};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub owner_id: Option<UserId>,
    pub size: i64,
    pub received: i64,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl AttachmentRow {
    pub fn complete(&self) -> bool {
        self.completed_at.is_some()
    }
}

#[derive(Queryable, Debug)]
pub struct Part {
    pub start: i64,
    pub length: i64,
    pub object_key: String,
}

/// Starts an upload of `size` bytes for `owner`, unless it would take them past `quota`
/// (507). The owner's row is locked, so concurrent uploads cannot both squeeze under it.
pub fn create(
    conn: &mut PgConnection,
    owner: UserId,
    size: u64,
    quota: u64,
) -> Result<AttachmentRow, AppError> {
    users::table
        .find(owner)
        .select(users::id)
        .for_update()
        .first::<UserId>(conn)?;
    let used = diesel::sql_query(
        "SELECT COALESCE(SUM(size), 0)::BIGINT AS used FROM attachments WHERE owner_id = $1",
    )
    .bind::<SqlUuid, _>(owner)
    .get_result::<Used>(conn)?
    .used as u64;
    if used.saturating_add(size) > quota {
        return Err(AppError::QuotaExceeded(format!(
            "attachment quota exceeded: {used} of {quota} bytes used, this upload needs {size}"
        )));
    }
    Ok(diesel::insert_into(attachments::table)
        .values((
            attachments::id.eq(AttachmentId::new()),
            attachments::owner_id.eq(owner),
            attachments::size.eq(size as i64),
        ))
        .returning(AttachmentRow::as_returning())
        .get_result(conn)?)
}

/// An upload of `owner` (complete or not).
pub fn find_owned(
    conn: &mut PgConnection,
    id: AttachmentId,
    owner: UserId,
) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .filter(attachments::id.eq(id))
        .filter(attachments::owner_id.eq(owner))
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

/// What committing a written part did.
pub enum Commit {
    /// Counted: the upload as it now is.
    Done(AttachmentRow),
    /// Another body was committed at this offset first (or the offset moved): the current one.
    Moved(u64),
    /// The upload is gone (deleted while the body streamed).
    Gone,
}

/// Counts a written part `[start, start + length)` if the upload is still at `start`.
pub fn commit_part(
    conn: &mut PgConnection,
    id: AttachmentId,
    owner: UserId,
    start: u64,
    length: u64,
    key: &str,
) -> QueryResult<Commit> {
    let (start, length) = (start as i64, length as i64);
    let updated: Option<AttachmentRow> = diesel::update(
        attachments::table
            .filter(attachments::id.eq(id))
            .filter(attachments::owner_id.eq(owner))
            .filter(attachments::received.eq(start))
            .filter(attachments::size.ge(start + length)),
    )
    .set((
        attachments::received.eq(start + length),
        attachments::completed_at.eq(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        >("CASE WHEN received + ")
        .bind::<BigInt, _>(length)
        .sql(" = size THEN now() END")),
    ))
    .returning(AttachmentRow::as_returning())
    .get_result(conn)
    .optional()?;
    if let Some(row) = updated {
        diesel::insert_into(attachment_parts::table)
            .values((
                attachment_parts::attachment_id.eq(id),
                attachment_parts::start.eq(start),
                attachment_parts::length.eq(length),
                attachment_parts::object_key.eq(key),
            ))
            .execute(conn)?;
        return Ok(Commit::Done(row));
    }
    Ok(match find_owned(conn, id, owner)? {
        Some(row) => Commit::Moved(row.received as u64),
        None => Commit::Gone,
    })
}

/// A complete attachment `reader` may fetch, with its parts in order: they uploaded it, or
/// they are a member of a conversation holding a message that references it and were one of
/// that message's recipients (they hold a key to it). `None` otherwise, exactly as for a
/// missing id, and for any upload not yet complete.
pub fn find_readable(
    conn: &mut PgConnection,
    id: AttachmentId,
    reader: UserId,
) -> QueryResult<Option<(AttachmentRow, Vec<Part>)>> {
    let row: Option<AttachmentRow> = attachments::table
        .filter(attachments::id.eq(id))
        .filter(attachments::completed_at.is_not_null())
        .filter(
            attachments::owner_id.eq(reader).or(diesel::dsl::exists(
                message_attachments::table
                    .inner_join(crate::db::schema::messages::table)
                    .inner_join(
                        crate::db::schema::members::table.on(
                            crate::db::schema::members::conversation_id
                                .eq(crate::db::schema::messages::conversation_id)
                                .and(crate::db::schema::members::user_id.eq(reader)),
                        ),
                    )
                    .inner_join(
                        crate::db::schema::message_keys::table.on(
                            crate::db::schema::message_keys::message_id
                                .eq(message_attachments::message_id)
                                .and(crate::db::schema::message_keys::user_id.eq(reader)),
                        ),
                    )
                    .filter(message_attachments::attachment_id.eq(attachments::id))
                    .filter(crate::db::schema::messages::deleted_at.is_null())
                    .select(message_attachments::message_id),
            )),
        )
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let parts = attachment_parts::table
        .filter(attachment_parts::attachment_id.eq(id))
        .order(attachment_parts::start)
        .select((
            attachment_parts::start,
            attachment_parts::length,
            attachment_parts::object_key,
        ))
        .load::<Part>(conn)?;
    Ok(Some((row, parts)))
}

/// Deletes `owner`'s attachment (whatever references it); `false` if there is none.
pub fn delete_owned(conn: &mut PgConnection, id: AttachmentId, owner: UserId) -> QueryResult<bool> {
    let n = diesel::delete(
        attachments::table
            .filter(attachments::id.eq(id))
            .filter(attachments::owner_id.eq(owner)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Checks that every id is a complete attachment of `poster` (400 `invalid_attachment`), and
/// locks them against a concurrent delete until the transaction ends.
pub fn check_for_post(
    conn: &mut PgConnection,
    poster: UserId,
    ids: &[AttachmentId],
) -> Result<(), AppError> {
    let found: Vec<AttachmentId> = attachments::table
        .filter(attachments::id.eq_any(ids))
        .filter(attachments::owner_id.eq(poster))
        .filter(attachments::completed_at.is_not_null())
        .select(attachments::id)
        .for_share()
        .load(conn)?;
    if found.len() != ids.len() {
        return Err(AppError::bad(
            "invalid_attachment",
            "every attachment_id must be a complete upload of yours",
        ));
    }
    Ok(())
}

/// Records that `message` references `ids` (already checked by [`check_for_post`]).
pub fn reference(
    conn: &mut PgConnection,
    message: MessageId,
    ids: &[AttachmentId],
) -> QueryResult<()> {
    diesel::insert_into(message_attachments::table)
        .values(
            ids.iter()
                .map(|a| {
                    (
                        message_attachments::message_id.eq(message),
                        message_attachments::attachment_id.eq(*a),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Deleted {
    #[diesel(sql_type = SqlUuid)]
    id: AttachmentId,
}

/// A message was deleted: drops its references and deletes the attachments nobody references
/// any more. Returns those, whose objects the caller removes after the commit.
pub fn release_message(
    conn: &mut PgConnection,
    message: MessageId,
) -> QueryResult<Vec<AttachmentId>> {
    let rows: Vec<Deleted> = diesel::sql_query(
        "WITH dropped AS (DELETE FROM message_attachments WHERE message_id = $1 RETURNING attachment_id)
         DELETE FROM attachments a USING dropped d
         WHERE a.id = d.attachment_id
           AND NOT EXISTS (SELECT 1 FROM message_attachments m
                           WHERE m.attachment_id = a.id AND m.message_id <> $1)
         RETURNING a.id",
    )
    .bind::<SqlUuid, _>(message)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// An account is being deleted: deletes its attachments that no message references (those
/// that are referenced stay for the other members, owned by nobody). Returns the deleted ones.
pub fn release_owner(conn: &mut PgConnection, owner: UserId) -> QueryResult<Vec<AttachmentId>> {
    let rows: Vec<Deleted> = diesel::sql_query(
        "DELETE FROM attachments a WHERE a.owner_id = $1
           AND NOT EXISTS (SELECT 1 FROM message_attachments m WHERE m.attachment_id = a.id)
         RETURNING a.id",
    )
    .bind::<SqlUuid, _>(owner)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Deletes attachments no message references that are older than `ttl_secs` (unreferenced
/// uploads, finished or not, and attachments whose last message went with its conversation).
/// At most `limit` per call.
pub fn expire_unreferenced(
    conn: &mut PgConnection,
    ttl_secs: i64,
    limit: i64,
) -> QueryResult<Vec<AttachmentId>> {
    let rows: Vec<Deleted> = diesel::sql_query(
        "DELETE FROM attachments WHERE id = ANY (ARRAY(
            SELECT a.id FROM attachments a
            WHERE a.created_at < now() - $1 * interval '1 second'
              AND NOT EXISTS (SELECT 1 FROM message_attachments m WHERE m.attachment_id = a.id)
            ORDER BY a.created_at LIMIT $2 FOR UPDATE SKIP LOCKED))
         RETURNING id",
    )
    .bind::<BigInt, _>(ttl_secs)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(QueryableByName)]
struct Used {
    #[diesel(sql_type = BigInt)]
    used: i64,
}
