//! `POST /api/auth/prelogin`: the KDF parameters and salt for a username. An unknown name gets
//! a deterministic fake salt (HMAC of a server secret and the name) and the default
//! parameters, so answers cannot be used to list accounts.

use actix_web::{post, web, HttpResponse};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{
    accounts::{
        fields::{b64, Kdf, KDF_NAME, SALT_LEN},
        models,
        username::Username,
    },
    db,
    error::AppError,
    state::AppState,
};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreloginRequest {
    pub username: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreloginResponse {
    pub kdf: Kdf,
    /// 16 bytes, base64.
    pub salt: String,
}

fn fake_salt(secret: &str, username: &Username) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"courier/v1/fake-salt|");
    mac.update(username.as_str().as_bytes());
    mac.finalize().into_bytes()[..SALT_LEN].to_vec()
}

#[utoipa::path(tag = "auth", request_body = PreloginRequest, responses(
    (status = 200, body = PreloginResponse),
    (status = 400, body = crate::error::ErrorBody)))]
#[post("/api/auth/prelogin")]
pub async fn prelogin(
    state: web::Data<AppState>,
    body: web::Json<PreloginRequest>,
) -> Result<HttpResponse, AppError> {
    let username = Username::parse(&body.username)?;
    let name = username.clone();
    let found = db::run(&state.pool, move |conn| {
        Ok(models::find_by_username(conn, name.as_str())?.map(|u| (u.kdf_iterations, u.salt)))
    })
    .await?;
    let (kdf, salt) = match found {
        Some((iterations, salt)) => (
            Kdf {
                name: KDF_NAME.into(),
                iterations: iterations as u32,
            },
            salt,
        ),
        None => (
            Kdf::default_params(),
            fake_salt(state.settings.prelogin_secret.expose(), &username),
        ),
    };
    Ok(HttpResponse::Ok().json(PreloginResponse {
        kdf,
        salt: b64(&salt),
    }))
}
