//! `POST /api/conversations/{id}/messages`: store an envelope and one event per recipient in
//! one statement (`courier_post_message`, migrations 000004 and
//! envelope_commitment), the caller's session check
//! included. The same `message_id` again is a no-op that answers as the first time.

use std::time::Instant;

use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::{
    deserialize::{FromSql, FromSqlRow},
    pg::{Pg, PgValue},
    prelude::*,
    sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::SessionToCheck,
    db,
    error::AppError,
    events::Delivery,
    messages::{
        envelope::{Envelope, EnvelopeBody},
        models::MessageRow,
        BODY_LIMIT,
    },
    state::AppState,
};
use courier_protocol::ids::{AttachmentId, ConversationId, MessageId, UserId};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostMessage {
    pub envelope: EnvelopeBody,
    /// Attachments this message carries (at most 10): complete uploads of the poster. Posting
    /// the message is what lets its recipients fetch them (docs/protocol.md §11).
    #[serde(default)]
    #[schema(value_type = Vec<String>, format = Uuid)]
    pub attachment_ids: Vec<AttachmentId>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PostedMessage {
    #[schema(value_type = String, format = Uuid)]
    pub message_id: MessageId,
    /// The sender's own event seq for this message.
    pub seq: i64,
    /// Order within the conversation.
    pub position: i64,
    /// ms since epoch.
    pub server_ts: i64,
}

#[utoipa::path(tag = "messages", security(("bearer" = [])), request_body = PostMessage,
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 201, body = PostedMessage), (status = 400, body = crate::error::ErrorBody),
    (status = 403, description = "header sender is not the caller", body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody),
    (status = 409, description = "recipients differ from the members, or the id is taken", body = crate::error::ErrorBody)))]
#[post("/api/conversations/{id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    auth: SessionToCheck,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let started = Instant::now();
    let conversation = ConversationId(path.into_inner());
    let request: PostMessage = crate::request::body::parse(&body, BODY_LIMIT)?;
    drop(body);
    let envelope = Envelope::parse(request.envelope)?;
    if envelope.conversation_id != conversation {
        return Err(AppError::bad(
            "conversation_mismatch",
            "header.conversation_id is not this conversation",
        ));
    }
    if envelope.sender_id != auth.user_id {
        return Err(AppError::Forbidden(
            "header.sender_id must be the signed-in user",
        ));
    }
    let mut attachments = request.attachment_ids;
    attachments.sort();
    attachments.dedup();
    if attachments.len() > crate::attachments::MAX_PER_MESSAGE {
        return Err(AppError::bad(
            "too_many_attachments",
            format!("a message carries at most {} attachments", crate::attachments::MAX_PER_MESSAGE),
        ));
    }
    // One transaction: the message and its references are stored together, or neither is. A
    // repeat of a stored post references nothing new (the first post did).
    let (rows, envelope) = db::transaction(&state.pool, move |conn| {
        let rows = store(conn, auth, &envelope)?;
        let stored = rows.first().is_some_and(|r| r.outcome == PostOutcome::Stored);
        if stored && !attachments.is_empty() {
            crate::attachments::models::check_for_post(conn, auth.user_id, &attachments)?;
            crate::attachments::models::reference(conn, envelope.message_id, &attachments)?;
        }
        Ok((rows, envelope))
    })
    .await?;
    let (posted, deliveries) = outcome(rows, envelope)?;
    state.fanout.deliver_message(posted.message_id, deliveries);
    state.metrics.messages_accepted.inc();
    state
        .metrics
        .send_latency
        .observe(started.elapsed().as_secs_f64());
    Ok(HttpResponse::Created().json(posted))
}

/// What `courier_post_message` did, from its `outcome` column; read here and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromSqlRow)]
enum PostOutcome {
    /// Stored now; the rows name each member's new seq.
    Stored,
    /// The same message again: already stored, nothing new (the caller's row names its seq).
    Repeat,
    /// The caller's session is revoked.
    Revoked,
    /// No such conversation, or the caller is not a member.
    NotFound,
    /// The message id is used by another message.
    Taken,
    /// The recipients are not exactly the members.
    Mismatch,
}

impl FromSql<Text, Pg> for PostOutcome {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(
            match <String as FromSql<Text, Pg>>::from_sql(bytes)?.as_str() {
                "stored" => Self::Stored,
                "repeat" => Self::Repeat,
                "revoked" => Self::Revoked,
                "not_found" => Self::NotFound,
                "taken" => Self::Taken,
                "mismatch" => Self::Mismatch,
                other => {
                    return Err(format!("courier_post_message: unknown outcome {other}").into())
                }
            },
        )
    }
}

/// One row of `courier_post_message`.
#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    outcome: PostOutcome,
    #[diesel(sql_type = Nullable<BigInt>)]
    msg_position: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    msg_server_ts: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    member: Option<UserId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    member_seq: Option<i64>,
}

fn store(conn: &mut PgConnection, auth: SessionToCheck, e: &Envelope) -> QueryResult<Vec<Stored>> {
    diesel::sql_query("SELECT * FROM courier_post_message($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind::<SqlUuid, _>(auth.user_id)
        .bind::<SqlUuid, _>(auth.session_id)
        .bind::<SqlUuid, _>(e.conversation_id)
        .bind::<SqlUuid, _>(e.message_id)
        .bind::<Array<SqlUuid>, _>(&e.recipients)
        .bind::<Array<SqlUuid>, _>(e.keys.iter().map(|(u, _)| *u).collect::<Vec<_>>())
        .bind::<Array<Bytea>, _>(e.keys.iter().map(|(_, k)| k.as_slice()).collect::<Vec<_>>())
        .bind::<Text, _>(&e.header)
        .bind::<Bytea, _>(&e.iv)
        .bind::<Bytea, _>(&e.ciphertext)
        .bind::<Bytea, _>(&e.signature)
        .bind::<BigInt, _>(e.sent_at)
        .bind::<Bytea, _>(&e.commitment)
        .load(conn)
}

/// Turns the function's rows into the answer and, for a new message, the live deliveries.
fn outcome(rows: Vec<Stored>, e: Envelope) -> Result<(PostedMessage, Vec<Delivery>), AppError> {
    let first = rows.first().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("courier_post_message returned no row"))
    })?;
    let (position, server_ts) = match first.outcome {
        PostOutcome::Revoked => return Err(AppError::Unauthenticated("session revoked")),
        PostOutcome::NotFound => return Err(AppError::NotFound),
        PostOutcome::Taken => return Err(AppError::conflict("message_id_taken", "that message_id is already used")),
        PostOutcome::Mismatch => {
            return Err(AppError::conflict(
                "recipients_mismatch",
                "header.recipients must be exactly the current members: reload the conversation and encrypt again",
            ))
        }
        PostOutcome::Repeat | PostOutcome::Stored => (first.msg_position.unwrap_or_default(), first.msg_server_ts.unwrap_or_default()),
    };
    let sender = e.sender_id;
    let mut posted = PostedMessage {
        message_id: e.message_id,
        seq: 0,
        position,
        server_ts: server_ts.timestamp_millis(),
    };
    if first.outcome == PostOutcome::Repeat {
        // A retry of a post that already succeeded: answer the same, deliver nothing again.
        posted.seq = first.member_seq.unwrap_or_default();
        return Ok((posted, vec![]));
    }
    let row = MessageRow {
        id: e.message_id,
        conversation_id: e.conversation_id,
        position,
        sender_id: sender,
        header: e.header,
        iv: e.iv,
        ciphertext: Some(e.ciphertext),
        signature: e.signature,
        server_ts,
        commitment: Some(e.commitment),
    };
    let prefix = row.prefix();
    let deliveries = rows
        .iter()
        .filter_map(|r| Some((r.member?, r.member_seq?)))
        .map(|(user, seq)| {
            if user == sender {
                posted.seq = seq;
            }
            let key = e
                .keys
                .binary_search_by_key(&user, |(u, _)| *u)
                .ok()
                .map(|i| e.keys[i].1.as_slice());
            Delivery {
                user,
                seq,
                payload: Some(MessageRow::for_reader(prefix.clone(), true, key)),
            }
        })
        .collect();
    Ok((posted, deliveries))
}
