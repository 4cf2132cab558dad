//! `GET /api/users?username=` and `GET /api/users/{id}`: public keys and fingerprint of one
//! user, by exact name or id. Signed-in users only; there is no listing or prefix search.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    accounts::{
        models::{self, PublicUser},
        username::Username,
    },
    auth::AuthUser,
    db,
    error::AppError,
    state::AppState,
};
use courier_protocol::ids::UserId;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LookupQuery {
    /// Exact username (case-insensitive).
    pub username: String,
}

#[utoipa::path(tag = "users", security(("bearer" = [])), params(LookupQuery), responses(
    (status = 200, body = PublicUser), (status = 404, body = crate::error::ErrorBody)))]
#[get("/api/users")]
pub async fn by_username(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, AppError> {
    let name = Username::parse(&query.username)?;
    let found = db::run(&state.pool, move |conn| {
        Ok(models::find_by_username(conn, name.as_str())?)
    })
    .await?;
    let user = found.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(PublicUser::from(&user)))
}

#[utoipa::path(tag = "users", security(("bearer" = [])), params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = PublicUser), (status = 404, body = crate::error::ErrorBody)))]
#[get("/api/users/{id}")]
pub async fn by_id(
    state: web::Data<AppState>,
    _user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = UserId(path.into_inner());
    let found = db::run(&state.pool, move |conn| Ok(models::find(conn, id)?)).await?;
    let user = found.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(PublicUser::from(&user)))
}
