//! Account flows: register, log in, unlock the stored keys, change or recover the password.
//!
//! Policy: PBKDF2 runs once per command that needs keys (on a blocking thread, it takes a
//! quarter of a second). At login the client refuses weak KDF parameters whatever the server
//! says, and checks that the delivered keys open with the password, match their public halves
//! and carry a valid key signature before anything is stored. What is stored (`account.json`)
//! is exactly what the server holds: wrapped keys, useless without the password.

use uuid::Uuid;

use super::api::Api;
use super::error::{ClientError, Result};
use super::pins::Pins;
use super::session::Session;
use super::store::{SavedAccount, Store};
use courier_protocol::crypto::{
    b64, fingerprint, normalize_username, CryptoError, PasswordChange, PasswordKeys, RecoveryKey,
    RegistrationMaterial, UnlockedAccount, UserKey,
};
use courier_protocol::limits::MIN_ITERATIONS;
use courier_protocol::wire::PublicUser;

/// Keys opened with the password, plus what they were opened from.
pub struct Unlocked {
    pub account: UnlockedAccount,
    pub password_keys: PasswordKeys,
    pub saved: SavedAccount,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f)
        .await
        .expect("crypto task panicked")
}

fn username(name: &str) -> Result<String> {
    normalize_username(name).map_err(|_| {
        ClientError::Usage(format!("invalid username {name:?}: 3-32 of a-z 0-9 _ . -"))
    })
}

/// Creates an account with fresh keys and a recovery key. Returns the new id and the
/// material (its `recovery_key` is to be shown once, its password keys log in at once).
pub async fn register(
    api: &Api,
    name: &str,
    password: String,
) -> Result<(Uuid, RegistrationMaterial)> {
    let name = username(name)?;
    let n = name.clone();
    let material =
        blocking(move || RegistrationMaterial::new(&n, &password, MIN_ITERATIONS, true)).await?;
    let id = api.register(&material.request).await?;
    Ok((id, material))
}

/// Logs in with already derived password keys and stores session, keys and own pin.
pub async fn login_with_keys(
    api: &Api,
    store: &Store,
    name: &str,
    keys: &PasswordKeys,
    salt_b64: &str,
    iterations: u32,
) -> Result<(Session, UnlockedAccount)> {
    let answer = api.login(name, &keys.auth_key_b64()).await?;
    let account = UnlockedAccount::unlock(&answer.user.username, keys, &answer.keys).map_err(
        |e| match e {
            CryptoError::UnwrapFailed => ClientError::Protocol(
                "the server's wrapped keys do not open with this password".into(),
            ),
            other => ClientError::Protocol(format!(
                "the server delivered keys that fail their checks: {other}"
            )),
        },
    )?;
    store.save_account(&SavedAccount {
        user_id: answer.user.id,
        username: answer.user.username.clone(),
        kdf_iterations: iterations,
        salt: salt_b64.to_owned(),
        keys: answer.keys.clone(),
    })?;
    let session = Session::from_login(api.clone(), &answer, Some(store.clone()))?;
    let me = PublicUser {
        id: answer.user.id,
        username: answer.user.username.clone(),
        enc_public: answer.keys.enc_public.clone(),
        sig_public: answer.keys.sig_public.clone(),
        key_signature: answer.keys.key_signature.clone(),
        fingerprint: fingerprint(
            answer.user.id,
            account.enc_public_spki(),
            account.sig_public_spki(),
        ),
    };
    Pins::load(store, answer.user.id)?.pin_self(&me)?;
    Ok((session, account))
}

/// Password login: prelogin, one PBKDF2, login, checks, store.
pub async fn login(
    api: &Api,
    store: &Store,
    name: &str,
    password: String,
) -> Result<(Session, UnlockedAccount)> {
    let name = username(name)?;
    let pre = api.prelogin(&name).await?;
    // A hostile server must not be able to make the password cheap to guess.
    pre.kdf.check()?;
    let salt = b64::decode("salt", &pre.salt)?;
    let iterations = pre.kdf.iterations;
    let keys = blocking(move || PasswordKeys::derive(&password, &salt, iterations)).await?;
    login_with_keys(api, store, &name, &keys, &pre.salt, iterations).await
}

/// Opens the keys stored at login with the password (no server round trip).
pub async fn unlock(store: &Store, password: String) -> Result<Unlocked> {
    let saved = store.account()?.ok_or(ClientError::NotLoggedIn)?;
    let s = saved.clone();
    blocking(move || {
        let salt = b64::decode("salt", &s.salt)?;
        let password_keys = PasswordKeys::derive(&password, &salt, s.kdf_iterations)?;
        let account =
            UnlockedAccount::unlock(&s.username, &password_keys, &s.keys).map_err(|e| match e {
                CryptoError::UnwrapFailed => ClientError::WrongLocalPassword,
                other => ClientError::Crypto(other),
            })?;
        Ok(Unlocked {
            account,
            password_keys,
            saved: s,
        })
    })
    .await
}

/// Changes the password: re-wraps the user key under a new salt, sends the current auth key as
/// proof, then updates `account.json`. The server revokes every other session.
pub async fn change_password(
    session: &Session,
    store: &Store,
    current: Unlocked,
    new_password: String,
) -> Result<()> {
    let iterations = current.saved.kdf_iterations.max(MIN_ITERATIONS);
    let account = current.account.clone();
    let change = blocking(move || account.rewrap_for_password(&new_password, iterations)).await?;
    let auth_key = current.password_keys.auth_key_b64();
    let (auth_key, change) = (&auth_key, &change);
    session
        .call(|api, t| async move { api.change_password(&t, auth_key, change).await })
        .await?;
    let mut saved = current.saved;
    saved.salt = change.salt.clone();
    saved.kdf_iterations = change.kdf.iterations;
    saved.keys.wrapped_user_key = change.wrapped_user_key.clone();
    store.save_account(&saved)
}

/// Recovery: proves the recovery key, unwraps the user key with it, sets a new password.
/// Every session is revoked; log in again afterwards.
pub async fn recover(
    api: &Api,
    name: &str,
    recovery_key: &str,
    new_password: String,
) -> Result<()> {
    let name = username(name)?;
    let recovery = RecoveryKey::parse(recovery_key)
        .map_err(|_| ClientError::Usage("that is not a recovery code: 52 letters and digits in groups of 4 (or the 44 characters of base64 of older accounts)".into()))?;
    let proof = b64::encode(recovery.auth_key());
    let wrapped = api
        .recover_challenge(&name, &proof)
        .await
        .map_err(|e| match e {
            ClientError::Api { status: 401, .. } => {
                ClientError::Usage("wrong username or recovery key".into())
            }
            other => other,
        })?;
    let wrapped = b64::decode("wrapped_user_key", &wrapped)?;
    let n = name.clone();
    let change: PasswordChange = blocking(move || {
        let user_key = UserKey::unwrap_with_recovery(&n, &recovery, &wrapped)?;
        PasswordChange::new(&n, &user_key, &new_password, MIN_ITERATIONS)
    })
    .await?;
    api.recover_reset(&name, &proof, &change).await
}
