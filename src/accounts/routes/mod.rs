//! One file per endpoint.

pub mod delete;
pub mod lookup;
pub mod password;
pub mod recover;

crate::routes![
    password::change_password,
    recover::recover,
    delete::delete_account,
    lookup::by_username,
    lookup::by_id,
];

use serde::Deserialize;

use crate::{
    accounts::{
        fields::{self, decode, AuthKey, Kdf},
        models::CredentialsChangeset,
    },
    error::AppError,
};

/// New credentials, as sent by password change and recovery: fresh salt, auth key and the user
/// key re-wrapped under the new stretch key.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewCredentials {
    pub new_auth_key: String,
    pub kdf: Kdf,
    pub salt: String,
    pub wrapped_user_key: String,
}

pub struct ParsedCredentials {
    pub auth_key: AuthKey,
    pub kdf: Kdf,
    pub salt: Vec<u8>,
    pub wrapped_user_key: Vec<u8>,
}

impl NewCredentials {
    pub fn parse(&self) -> Result<ParsedCredentials, AppError> {
        let auth_key = AuthKey::parse("new_auth_key", &self.new_auth_key)?;
        self.kdf.validate()?;
        let salt = decode("salt", &self.salt, fields::SALT_LEN, fields::SALT_LEN)?;
        let n = fields::WRAPPED_USER_KEY_LEN;
        let wrapped_user_key = decode("wrapped_user_key", &self.wrapped_user_key, n, n)?;
        Ok(ParsedCredentials {
            auth_key,
            kdf: self.kdf.clone(),
            salt,
            wrapped_user_key,
        })
    }
}

impl ParsedCredentials {
    pub fn auth_key_secret(&self) -> String {
        self.auth_key.secret()
    }

    pub fn changeset(self, auth_hash: String) -> CredentialsChangeset {
        CredentialsChangeset {
            auth_hash,
            kdf_iterations: self.kdf.iterations as i32,
            salt: self.salt,
            wrapped_user_key: self.wrapped_user_key,
            updated_at: chrono::Utc::now(),
        }
    }
}
