//! `DELETE /api/conversations/{id}/messages/{message_id}`: delete for everyone, sender only.
//! The ciphertext and every wrapped key are erased; each member gets a `message_deleted` event.

use actix_web::{delete, web, HttpResponse};
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::{
    attachments::{models as attachments, store::AttachmentStore},
    auth::AuthUser,
    conversations::models as conversations,
    db::{
        self,
        schema::{message_keys, messages},
    },
    error::AppError,
    events::log,
    messages::models,
    state::AppState,
};
use courier_protocol::{
    events::EventKind,
    ids::{ConversationId, MessageId},
};

#[utoipa::path(tag = "messages", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("message_id" = String, Path, format = Uuid)), responses(
    (status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
#[delete("/api/conversations/{id}/messages/{message_id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    store: web::Data<AttachmentStore>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (conversation, message) = (ConversationId(path.0), MessageId(path.1));
    let me = user.user_id;
    let (deliveries, released) = db::transaction(&state.pool, move |conn| {
        conversations::find_for_member(conn, conversation, me, true)?.ok_or(AppError::NotFound)?;
        let row =
            models::find_visible(conn, conversation, message, me)?.ok_or(AppError::NotFound)?;
        if row.sender_id != me {
            return Err(AppError::Forbidden(
                "only the sender deletes a message for everyone",
            ));
        }
        if row.ciphertext.is_none() {
            return Ok((vec![], vec![])); // already deleted: nothing more to do
        }
        diesel::update(messages::table.find(row.id))
            .set((
                messages::ciphertext.eq(None::<Vec<u8>>),
                messages::deleted_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        // Keep the (now empty) key rows: they record who may see the tombstone.
        diesel::update(message_keys::table.filter(message_keys::message_id.eq(row.id)))
            .set(message_keys::wrapped_key.eq(Vec::<u8>::new()))
            .execute(conn)?;
        // Its attachments go too, unless another message still references them.
        let released = attachments::release_message(conn, row.id)?;
        let members = conversations::member_ids(conn, conversation)?;
        let deliveries = log::append_json(
            conn,
            &members,
            EventKind::MessageDeleted,
            Some(conversation),
            &json!({"conversation_id": conversation, "message_id": message}),
        )?;
        Ok((deliveries, released))
    })
    .await?;
    state.fanout.deliver(deliveries);
    store.remove(&released).await;
    Ok(HttpResponse::NoContent().finish())
}
