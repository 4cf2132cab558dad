//! `POST /api/conversations/{id}/messages`: store an envelope and one event per recipient in
//! one transaction. The same `message_id` again is a no-op that answers as the first time.

use std::time::Instant;

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    conversations::models as conversations,
    db::{self, schema::{conversations as conversations_table, message_keys, messages}},
    error::AppError,
    events::{log, Delivery},
    ids::{ConversationId, MessageId, UserId},
    messages::{
        envelope::{Envelope, EnvelopeBody},
        models::{self, NewMessage},
        BODY_LIMIT,
    },
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PostMessage {
    pub envelope: EnvelopeBody,
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
    user: AuthUser,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let started = Instant::now();
    let conversation = ConversationId(path.into_inner());
    let request: PostMessage = crate::http::body::parse(&body, BODY_LIMIT)?;
    drop(body);
    let envelope = Envelope::parse(request.envelope)?;
    if envelope.conversation_id != conversation {
        return Err(AppError::bad("conversation_mismatch", "header.conversation_id is not this conversation"));
    }
    if envelope.sender_id != user.user_id {
        return Err(AppError::Forbidden("header.sender_id must be the signed-in user"));
    }
    let message = envelope.message_id;
    let (posted, deliveries) = db::transaction(&state.pool, move |conn| store(conn, user.user_id, envelope)).await?;
    state.deliver_message(message, deliveries);
    state.metrics.messages_accepted.inc();
    state.metrics.send_latency.observe(started.elapsed().as_secs_f64());
    Ok(HttpResponse::Created().json(posted))
}

fn store(conn: &mut PgConnection, sender: UserId, e: Envelope) -> Result<(PostedMessage, Vec<Delivery>), AppError> {
    let conversation = conversations::find_for_member(conn, e.conversation_id, sender, true)?.ok_or(AppError::NotFound)?;
    if let Some(existing) = models::find(conn, e.message_id)? {
        // A retry of a post that already succeeded: answer the same, write nothing.
        if existing.conversation_id != conversation.id || existing.sender_id != sender.0 || existing.header != e.header {
            return Err(AppError::conflict("message_id_taken", "that message_id is already used"));
        }
        let seq = models::sender_seq(conn, sender, e.message_id)?.unwrap_or(0);
        let posted = PostedMessage {
            message_id: e.message_id,
            seq,
            position: existing.position,
            server_ts: existing.server_ts.timestamp_millis(),
        };
        return Ok((posted, vec![]));
    }
    let members = conversations::member_ids(conn, e.conversation_id)?;
    if members != e.recipients {
        return Err(AppError::conflict(
            "recipients_mismatch",
            "header.recipients must be exactly the current members: reload the conversation and encrypt again",
        ));
    }
    let position: i64 = diesel::update(conversations_table::table.find(conversation.id))
        .set((
            conversations_table::last_position.eq(conversations_table::last_position + 1),
            conversations_table::last_activity_at.eq(diesel::dsl::now),
        ))
        .returning(conversations_table::last_position)
        .get_result(conn)?;
    let row: models::MessageRow = diesel::insert_into(messages::table)
        .values(NewMessage {
            id: e.message_id.0,
            conversation_id: conversation.id,
            position,
            sender_id: sender.0,
            header: &e.header,
            iv: &e.iv,
            ciphertext: Some(&e.ciphertext),
            signature: &e.signature,
            sent_at: e.sent_at,
        })
        .returning(models::MessageRow::as_returning())
        .get_result(conn)?;
    let keys: Vec<_> = e
        .keys
        .iter()
        .map(|(u, k)| (message_keys::message_id.eq(row.id), message_keys::user_id.eq(u.0), message_keys::wrapped_key.eq(k)))
        .collect();
    diesel::insert_into(message_keys::table).values(&keys).execute(conn)?;
    let seqs = log::append(conn, &members, &log::Body::Message { conversation: conversation.id, message: row.id })?;

    let mut sender_seq = 0;
    let prefix = row.prefix();
    let deliveries = seqs
        .into_iter()
        .map(|(user, seq)| {
            if user == sender {
                sender_seq = seq;
            }
            let key = e.keys.binary_search_by_key(&user, |(u, _)| *u).ok().map(|i| e.keys[i].1.as_slice());
            Delivery { user, seq, payload: Some(models::MessageRow::for_reader(prefix.clone(), true, key)) }
        })
        .collect();
    let posted = PostedMessage { message_id: e.message_id, seq: sender_seq, position, server_ts: row.server_ts.timestamp_millis() };
    Ok((posted, deliveries))
}
