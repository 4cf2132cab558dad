//! `POST /api/auth/register`: checks everything a server can check without private keys, then
//! stores the account. Nothing is written unless every field is valid.
//!
//! Policy: the public keys must pass the one key policy every Courier client applies
//! (`crypto::validate_public_keys`: RSA-3072 with e = 65537 for encryption, P-256 for signing,
//! both canonical SPKI DER, and a key signature that verifies); anything else is refused with
//! 400 `unsupported_key`, because an account that clients refuse could talk to no one.

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    accounts::{
        fields::{self, decode, AuthKey, Kdf},
        models::NewUser,
        username::Username,
    },
    audit::{self, AuditKind},
    auth::password::BcryptGate,
    db::{
        self,
        schema::{event_counters, users},
    },
    error::AppError,
    request::meta::RequestMeta,
    state::AppState,
};
use courier_protocol::crypto::KeyBundle;
use courier_protocol::ids::UserId;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RecoveryMaterial {
    /// HKDF(recovery key, `courier/v1/recovery-auth`), 32 bytes, base64.
    pub auth_key: String,
    /// The user key wrapped under the recovery wrap key.
    pub wrapped_user_key: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RegisterRequest {
    pub username: String,
    /// HKDF(master key, `courier/v1/auth`), 32 bytes, base64. Never the password.
    pub auth_key: String,
    pub kdf: Kdf,
    /// 16 random bytes, base64.
    pub salt: String,
    pub keys: KeyBundle,
    pub recovery: Option<RecoveryMaterial>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
}

/// A registration that passed every check.
struct NewAccount {
    username: Username,
    auth_key: AuthKey,
    recovery_key: Option<AuthKey>,
    row: NewUser,
}

fn parse(req: RegisterRequest) -> Result<NewAccount, AppError> {
    let username = Username::parse(&req.username)?;
    let auth_key = AuthKey::parse("auth_key", &req.auth_key)?;
    req.kdf.validate()?;
    let salt = decode("salt", &req.salt, fields::SALT_LEN, fields::SALT_LEN)?;
    let k = &req.keys;
    // Sizes are the key policy's business: any size up to a bound decodes, and a wrong one is
    // refused below as an unsupported key, with what is required.
    let enc_public = decode("keys.enc_public", &k.enc_public, 0, fields::ENC_PUBLIC.1)?;
    let sig_public = decode("keys.sig_public", &k.sig_public, 0, fields::ENC_PUBLIC.1)?;
    let key_signature = decode(
        "keys.key_signature",
        &k.key_signature,
        0,
        fields::ENC_PUBLIC.1,
    )?;
    let wuk = fields::WRAPPED_USER_KEY_LEN;
    let wrapped_user_key = decode("keys.wrapped_user_key", &k.wrapped_user_key, wuk, wuk)?;
    let (lo, hi) = fields::WRAPPED_ENC_PRIVATE;
    let wrapped_enc_private = decode("keys.wrapped_enc_private", &k.wrapped_enc_private, lo, hi)?;
    let (lo, hi) = fields::WRAPPED_SIG_PRIVATE;
    let wrapped_sig_private = decode("keys.wrapped_sig_private", &k.wrapped_sig_private, lo, hi)?;
    courier_protocol::crypto::validate_public_keys(&enc_public, &sig_public, &key_signature)
        .map_err(unsupported_key)?;
    let (recovery_key, wrapped_user_key_recovery) = match &req.recovery {
        None => (None, None),
        Some(r) => (
            Some(AuthKey::parse("recovery.auth_key", &r.auth_key)?),
            Some(decode(
                "recovery.wrapped_user_key",
                &r.wrapped_user_key,
                wuk,
                wuk,
            )?),
        ),
    };
    Ok(NewAccount {
        row: NewUser {
            id: UserId::new(),
            username: username.as_str().to_owned(),
            auth_hash: String::new(),
            kdf_iterations: req.kdf.iterations as i32,
            salt,
            enc_public,
            sig_public,
            key_signature,
            wrapped_user_key,
            wrapped_enc_private,
            wrapped_sig_private,
            recovery_hash: None,
            wrapped_user_key_recovery,
        },
        username,
        auth_key,
        recovery_key,
    })
}

/// The 400 for keys a Courier client would refuse: what is wrong, then what is required.
fn unsupported_key(e: courier_protocol::crypto::KeyError) -> AppError {
    AppError::bad(
        "unsupported_key",
        format!(
            "{e}. Required: enc_public RSA-OAEP 3072-bit with exponent 65537 and sig_public ECDSA P-256 \
             (uncompressed), both SPKI DER, and key_signature the signing key's 64-byte ECDSA P-256 \
             signature over enc_public"
        ),
    )
}

#[utoipa::path(tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, body = RegisterResponse),
    (status = 400, body = crate::error::ErrorBody),
    (status = 409, description = "username taken", body = crate::error::ErrorBody),
    (status = 429, description = "too many registrations from this address", body = crate::error::ErrorBody)))]
#[post("/api/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    bcrypt: web::Data<BcryptGate>,
    meta: RequestMeta,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, AppError> {
    let mut account = parse(body.into_inner())?;
    let name = account.username.as_str().to_owned();
    let (limits, address) = (state.settings.clone(), meta.ip.clone());
    let taken = db::transaction(&state.pool, move |conn| {
        crate::auth::signups::reserve(conn, &limits, &address)?;
        Ok(diesel::select(diesel::dsl::exists(
            users::table.filter(users::username.eq(name)),
        ))
        .get_result::<bool>(conn)?)
    })
    .await?;
    if taken {
        return Err(AppError::conflict(
            "username_taken",
            "that username is taken",
        ));
    }
    account.row.auth_hash = bcrypt.hash(account.auth_key.into_secret()).await?;
    if let Some(recovery) = account.recovery_key.take() {
        account.row.recovery_hash = Some(bcrypt.hash(recovery.into_secret()).await?);
    }
    let user_id = account.row.id;
    db::transaction(&state.pool, move |conn| {
        let inserted = diesel::insert_into(users::table)
            .values(&account.row)
            .on_conflict(users::username)
            .do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Err(AppError::conflict(
                "username_taken",
                "that username is taken",
            ));
        }
        diesel::insert_into(event_counters::table)
            .values(event_counters::user_id.eq(user_id))
            .execute(conn)?;
        audit::record(
            conn,
            AuditKind::Register,
            Some(user_id),
            None,
            &meta,
            serde_json::json!({}),
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(RegisterResponse { user_id }))
}
