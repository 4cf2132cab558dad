//! Parsers for the binary fields clients send: base64 (standard, padded) of a bounded size.
//! They turn wire strings into checked bytes so handlers never re-validate.

use base64::{engine::general_purpose::STANDARD, Engine};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes `value` and checks its length lies in `min..=max` bytes.
pub fn decode(field: &str, value: &str, min: usize, max: usize) -> Result<Vec<u8>, AppError> {
    // Refuse before decoding anything huge.
    if value.len() > max.div_ceil(3) * 4 + 4 {
        return Err(AppError::bad(
            "invalid_field",
            format!("`{field}` is too long"),
        ));
    }
    let bytes = STANDARD.decode(value).map_err(|_| {
        AppError::bad(
            "invalid_base64",
            format!("`{field}` is not standard padded base64"),
        )
    })?;
    if bytes.len() < min || bytes.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(AppError::bad(
            "invalid_field",
            format!("`{field}` must be {want} bytes, got {}", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// A 32-byte client-derived key (auth key, recovery auth key), normalised to canonical base64
/// before bcrypt so every encoding of the same bytes hashes the same.
pub struct AuthKey(String);

impl AuthKey {
    pub fn parse(field: &str, value: &str) -> Result<Self, AppError> {
        Ok(AuthKey(b64(&decode(field, value, 32, 32)?)))
    }
    pub fn into_secret(self) -> String {
        self.0
    }
    pub fn secret(&self) -> String {
        self.0.clone()
    }
}

/// PBKDF2 parameters. The server refuses weak ones, and so do clients whatever it says.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Kdf {
    /// Always `pbkdf2-sha256`.
    pub name: String,
    /// At least 600 000.
    pub iterations: u32,
}

pub const KDF_NAME: &str = "pbkdf2-sha256";
pub const MIN_ITERATIONS: u32 = 600_000;
pub const DEFAULT_ITERATIONS: u32 = 600_000;
const MAX_ITERATIONS: u32 = 10_000_000;

impl Kdf {
    pub fn default_params() -> Self {
        Kdf {
            name: KDF_NAME.into(),
            iterations: DEFAULT_ITERATIONS,
        }
    }
    pub fn validate(&self) -> Result<(), AppError> {
        if self.name != KDF_NAME {
            return Err(AppError::bad(
                "weak_kdf",
                format!("kdf.name must be `{KDF_NAME}`"),
            ));
        }
        if self.iterations < MIN_ITERATIONS {
            return Err(AppError::bad(
                "weak_kdf",
                format!("kdf.iterations must be at least {MIN_ITERATIONS}"),
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(AppError::bad(
                "invalid_kdf",
                format!("kdf.iterations must be at most {MAX_ITERATIONS}"),
            ));
        }
        Ok(())
    }
}

/// Size bounds of the wrapped blobs: iv 12 + ciphertext + tag 16.
pub const WRAP_OVERHEAD: usize = 28;
pub const SALT_LEN: usize = 16;
pub const WRAPPED_USER_KEY_LEN: usize = WRAP_OVERHEAD + 32;
pub const WRAPPED_ENC_PRIVATE: (usize, usize) = (WRAP_OVERHEAD + 1_000, WRAP_OVERHEAD + 5_000);
pub const WRAPPED_SIG_PRIVATE: (usize, usize) = (WRAP_OVERHEAD + 60, WRAP_OVERHEAD + 200);
pub const ENC_PUBLIC: (usize, usize) = (300, 1_100);
pub const SIG_PUBLIC_LEN: usize = 91;
pub const SIGNATURE_LEN: usize = 64;
