//! `GET /api/conversations` and `GET /api/conversations/{id}`.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    conversations::models::{self, ConversationView},
    db,
    error::AppError,
    state::AppState,
};
use courier_protocol::ids::ConversationId;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConversationList {
    pub conversations: Vec<ConversationView>,
}

#[utoipa::path(tag = "conversations", operation_id = "list_conversations", security(("bearer" = [])), responses((status = 200, body = ConversationList)))]
#[get("/api/conversations")]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, AppError> {
    let conversations = db::run(&state.pool, move |conn| {
        Ok(models::list_for_member(conn, user.user_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ConversationList { conversations }))
}

#[utoipa::path(tag = "conversations", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = ConversationView), (status = 404, body = crate::error::ErrorBody)))]
#[get("/api/conversations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = ConversationId(path.into_inner());
    let view = db::run(&state.pool, move |conn| {
        let row =
            models::find_for_member(conn, id, user.user_id, false)?.ok_or(AppError::NotFound)?;
        Ok(models::view(conn, row, Some(user.user_id))?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
