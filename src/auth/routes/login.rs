//! `POST /api/auth/login`: proves the auth key, opens a session, returns tokens and the
//! wrapped keys the client unwraps with its password-derived stretch key.

use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{refresh_cookie, TokenPair};
use crate::{
    accounts::{
        fields::AuthKey,
        models::{key_bundle, UserRef},
        username::Username,
    },
    audit::{self, AuditKind},
    auth::{
        credentials::{self, Proof},
        cross_site,
        password::BcryptGate,
        tokens::TokenKeys,
    },
    db,
    error::AppError,
    request::meta::RequestMeta,
    sessions::store,
    state::AppState,
};
use courier_protocol::crypto::KeyBundle;
use courier_protocol::ids::SessionId;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub auth_key: String,
    /// Browsers set this: the refresh token then comes as an HttpOnly cookie, not in the body.
    #[serde(default)]
    pub use_cookie: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    #[serde(flatten)]
    pub tokens: TokenPair,
    #[schema(value_type = String, format = Uuid)]
    pub session_id: SessionId,
    pub user: UserRef,
    pub keys: KeyBundle,
}

#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 401, description = "wrong username or key (the same answer for both)", body = crate::error::ErrorBody),
    (status = 403, description = "`use_cookie` from another site (`cross_site`)", body = crate::error::ErrorBody),
    (status = 429, description = "too many failed attempts; `Retry-After` says how many seconds to wait", body = crate::error::ErrorBody)))]
#[post("/api/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    tokens: web::Data<TokenKeys>,
    bcrypt: web::Data<BcryptGate>,
    req: HttpRequest,
    meta: RequestMeta,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    if body.use_cookie {
        // Setting the cookie from another site would sign the victim's browser in as the
        // attacker (login CSRF): the same origin rule as the requests the cookie authenticates.
        cross_site::check(&req, &state.settings)?;
    }
    let username = Username::parse(&body.username)
        .map_err(|_| AppError::Unauthenticated(credentials::BAD_CREDENTIALS))?;
    let key = AuthKey::parse("auth_key", &body.auth_key)?;
    let user =
        credentials::verify_by_name(&state, &bcrypt, username, key, Proof::AuthKey, &meta).await?;

    let user_id = user.id;
    let ttl = state.settings.refresh_token_ttl;
    let agent = meta.user_agent.clone();
    let (session, refresh) = db::transaction(&state.pool, move |conn| {
        let (session, refresh) = store::create(conn, user_id, agent.as_deref(), ttl)?;
        audit::record(
            conn,
            AuditKind::LoginOk,
            Some(user_id),
            Some(session),
            &meta,
            serde_json::json!({}),
        )?;
        Ok((session, refresh))
    })
    .await?;

    let access_token = tokens.issue(user_id, session)?;
    let mut response = HttpResponse::Ok();
    let refresh_token = if body.use_cookie {
        response.cookie(refresh_cookie(&refresh.0, ttl.as_secs() as i64));
        None
    } else {
        Some(refresh.0)
    };
    Ok(response.json(LoginResponse {
        tokens: TokenPair {
            access_token,
            expires_in: tokens.ttl_secs(),
            refresh_token,
        },
        session_id: session,
        user: UserRef {
            id: user_id,
            username: user.username.clone(),
        },
        keys: key_bundle(&user),
    }))
}
