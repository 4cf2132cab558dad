//! What a client sends to create an account or change its password (docs/protocol.md §2.7),
//! built in one place so the CLI, the integration tests and the benchmark all send exactly what
//! the browser sends.
//!
//! Policy: the salt is fresh at registration and at every password change; the recovery key
//! is generated here, handed back once for showing, and never stored by this module.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::b64;
use super::error::Result;
use super::kdf::{new_salt, normalize_username, KdfParams, PasswordKeys, RecoveryKey};
use super::keys::{AccountKeys, KeyBundle, UnlockedAccount, UserKey};

/// The optional `recovery` object of register: `{auth_key, wrapped_user_key}`, base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryRequest {
    pub auth_key: String,
    pub wrapped_user_key: String,
}

/// The body of `POST /api/auth/register`, exactly:
/// `{username, auth_key, kdf: {name, iterations}, salt, keys: {...}, recovery?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterRequest {
    pub username: String,
    pub auth_key: String,
    pub kdf: KdfParams,
    pub salt: String,
    pub keys: KeyBundle,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoveryRequest>,
}

/// Everything a registration produces: the request to send, the unlocked account (so the
/// client can use it right away), the password keys (auth key for the first login) and the
/// recovery key to show once.
pub struct RegistrationMaterial {
    pub request: RegisterRequest,
    pub account: UnlockedAccount,
    pub password_keys: PasswordKeys,
    pub recovery_key: Option<RecoveryKey>,
}

impl RegistrationMaterial {
    /// Generates keys, a salt and (optionally) a recovery key, and derives the password keys.
    /// Costs one RSA-3072 key generation plus one PBKDF2 (together about 0.3–1.5 s).
    pub fn new(
        username: &str,
        password: &str,
        iterations: u32,
        with_recovery: bool,
    ) -> Result<Self> {
        let salt = new_salt()?;
        let password_keys = PasswordKeys::derive(password, &salt, iterations)?;
        let recovery = if with_recovery {
            Some(RecoveryKey::generate()?)
        } else {
            None
        };
        Self::from_parts(
            username,
            &salt,
            iterations,
            password_keys,
            AccountKeys::generate()?,
            recovery,
        )
    }

    /// Builds the material from given parts, with no key generation and no PBKDF2: only
    /// AES-GCM wraps. The cheap path for tests and benchmarks registering many accounts
    /// (derive one `PasswordKeys`, generate one `AccountKeys`, clone them per account).
    /// `password_keys` must have been derived from `salt` and `iterations`.
    pub fn from_parts(
        username: &str,
        salt: &[u8],
        iterations: u32,
        password_keys: PasswordKeys,
        keys: AccountKeys,
        recovery_key: Option<RecoveryKey>,
    ) -> Result<Self> {
        let username = normalize_username(username)?;
        let kdf = KdfParams::pbkdf2(iterations);
        kdf.check()?;
        let recovery = match &recovery_key {
            Some(rk) => Some(RecoveryRequest {
                auth_key: b64::encode(rk.auth_key()),
                wrapped_user_key: b64::encode(keys.user_key().wrap_for_recovery(&username, rk)?),
            }),
            None => None,
        };
        let request = RegisterRequest {
            username: username.clone(),
            auth_key: password_keys.auth_key_b64(),
            kdf,
            salt: b64::encode(salt),
            keys: keys.login_keys(&username, &password_keys)?,
            recovery,
        };
        let account = UnlockedAccount::from_keys(&username, keys)?;
        Ok(Self {
            request,
            account,
            password_keys,
            recovery_key,
        })
    }
}

impl fmt::Debug for RegistrationMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationMaterial")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

/// The new-password part of `POST /api/account/password` and of step 2 of
/// `POST /api/account/recover`: `{new_auth_key, kdf, salt, wrapped_user_key}`. Callers add
/// the other fields (`auth_key`, or `username` and `recovery_auth_key`) with `#[serde(flatten)]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub new_auth_key: String,
    pub kdf: KdfParams,
    pub salt: String,
    pub wrapped_user_key: String,
}

impl PasswordChange {
    /// Derives keys for `new_password` under a fresh salt and re-wraps `user_key` with them.
    /// Used after a password login (via [`UnlockedAccount::rewrap_for_password`]) and after
    /// recovery (with the user key from [`UserKey::unwrap_with_recovery`]).
    pub fn new(
        username: &str,
        user_key: &UserKey,
        new_password: &str,
        iterations: u32,
    ) -> Result<Self> {
        let salt = new_salt()?;
        let keys = PasswordKeys::derive(new_password, &salt, iterations)?;
        Ok(Self {
            new_auth_key: keys.auth_key_b64(),
            kdf: KdfParams::pbkdf2(iterations),
            salt: b64::encode(salt),
            wrapped_user_key: b64::encode(user_key.wrap_for_password(username, &keys)?),
        })
    }
}

/// The recovery auth key as `/api/account/recover` wants it (`recovery_auth_key`, base64).
pub fn recovery_auth_key_b64(recovery: &RecoveryKey) -> String {
    b64::encode(recovery.auth_key())
}
