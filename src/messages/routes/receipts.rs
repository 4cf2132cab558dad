//! `POST /api/conversations/{id}/receipts`: cumulative delivered/read positions per member.
//! A receipt never moves back; one that changes nothing writes nothing. Every member's devices
//! get a `receipt` event, so senders see sent → delivered → read.

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    conversations::models as conversations,
    db::{self, schema::members},
    error::AppError,
    events::log,
    messages::models,
    state::AppState,
};
use courier_protocol::{
    events::EventKind,
    ids::{ConversationId, MessageId},
};

/// How far a member got: `read` implies `delivered`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ReceiptStatus {
    Delivered,
    Read,
}

impl ReceiptStatus {
    /// Read by hand rather than by serde, so an unknown status is `invalid_status`.
    fn parse(status: &str) -> Result<Self, AppError> {
        match status {
            "delivered" => Ok(Self::Delivered),
            "read" => Ok(Self::Read),
            _ => Err(AppError::bad(
                "invalid_status",
                "status is `delivered` or `read`",
            )),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReceiptRequest {
    /// `delivered` or `read` (read implies delivered).
    #[schema(value_type = ReceiptStatus)]
    pub status: String,
    /// The newest message this receipt covers.
    #[schema(value_type = String, format = Uuid)]
    pub up_to: Uuid,
}

#[utoipa::path(tag = "messages", security(("bearer" = [])), request_body = ReceiptRequest,
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 204), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
#[post("/api/conversations/{id}/receipts")]
pub async fn receipt(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
    body: web::Json<ReceiptRequest>,
) -> Result<HttpResponse, AppError> {
    let read = ReceiptStatus::parse(&body.status)? == ReceiptStatus::Read;
    let (conversation, message) = (ConversationId(path.into_inner()), MessageId(body.up_to));
    let me = user.user_id;
    let deliveries = db::transaction(&state.pool, move |conn| {
        conversations::find_for_member(conn, conversation, me, true)?.ok_or(AppError::NotFound)?;
        let row =
            models::find_visible(conn, conversation, message, me)?.ok_or(AppError::NotFound)?;
        let target = members::table.find((conversation, me));
        let (delivered, was_read): (i64, i64) = target
            .select((members::delivered_up_to, members::read_up_to))
            .first(conn)?;
        let moves = if read {
            was_read < row.position
        } else {
            delivered < row.position
        };
        if !moves {
            return Ok(vec![]);
        }
        if read {
            diesel::update(target)
                .set((
                    members::read_up_to.eq(row.position),
                    members::delivered_up_to.eq(delivered.max(row.position)),
                ))
                .execute(conn)?;
        } else {
            diesel::update(target)
                .set(members::delivered_up_to.eq(row.position))
                .execute(conn)?;
        }
        let everyone = conversations::member_ids(conn, conversation)?;
        let value = json!({
            "conversation_id": conversation, "user_id": me, "status": body.status,
            "up_to": message, "position": row.position,
        });
        log::append_json(
            conn,
            &everyone,
            EventKind::Receipt,
            Some(conversation),
            &value,
        )
    })
    .await?;
    state.fanout.deliver(deliveries);
    Ok(HttpResponse::NoContent().finish())
}
