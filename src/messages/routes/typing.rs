//! `POST /api/conversations/{id}/typing`: an ephemeral notice to the other members' open
//! streams. At most one per second per user and conversation, counted in the database so the
//! limit holds across instances; nothing is logged or replayed.

use actix_web::{post, web, HttpResponse};
use diesel::{prelude::*, sql_types::Uuid as SqlUuid};
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::AuthUser, conversations::models as conversations, db, error::AppError, events::EventData,
    state::AppState,
};
use courier_protocol::{events::EventKind, ids::ConversationId};

#[utoipa::path(tag = "messages", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)), responses(
    (status = 204), (status = 404, body = crate::error::ErrorBody), (status = 429, description = "more than one a second", body = crate::error::ErrorBody)))]
#[post("/api/conversations/{id}/typing")]
pub async fn typing(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let conversation = ConversationId(path.into_inner());
    let me = user.user_id;
    let others = db::run(&state.pool, move |conn| {
        conversations::find_for_member(conn, conversation, me, false)?.ok_or(AppError::NotFound)?;
        let admitted = diesel::sql_query(
            "INSERT INTO typing_limits (user_id, conversation_id, last_at) VALUES ($1, $2, now()) \
             ON CONFLICT (user_id, conversation_id) DO UPDATE SET last_at = now() \
             WHERE typing_limits.last_at <= now() - interval '1 second'",
        )
        .bind::<SqlUuid, _>(me)
        .bind::<SqlUuid, _>(conversation)
        .execute(conn)?;
        if admitted == 0 {
            return Err(AppError::TooMany {
                retry_after_secs: 1,
            });
        }
        Ok(conversations::member_ids(conn, conversation)?
            .into_iter()
            .filter(|u| *u != me)
            .collect::<Vec<_>>())
    })
    .await?;
    state.fanout.ephemeral(
        others,
        EventData::new(
            EventKind::Typing,
            &json!({"conversation_id": conversation, "user_id": me}),
        ),
    );
    Ok(HttpResponse::NoContent().finish())
}
