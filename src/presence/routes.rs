//! `GET /api/presence`: which of the caller's contacts are online.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::{auth::AuthUser, db, error::AppError, state::AppState};
use courier_protocol::ids::UserId;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PresenceList {
    /// Users sharing a conversation with the caller who have a stream open now.
    #[schema(value_type = Vec<uuid::Uuid>)]
    pub online: Vec<UserId>,
}

#[utoipa::path(tag = "presence", security(("bearer" = [])), responses((status = 200, body = PresenceList)))]
#[get("/api/presence")]
pub async fn presence(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, AppError> {
    let online = db::run(&state.pool, move |conn| {
        Ok(super::online_contacts(conn, user.user_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(PresenceList { online }))
}

crate::routes![presence];
