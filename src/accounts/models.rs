//! The `users` row, its insertable and changeset, the queries on it, and the public shapes.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{accounts::fields::b64, db::schema::users};
use courier_protocol::crypto::KeyBundle;
use courier_protocol::ids::UserId;

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub auth_hash: String,
    pub kdf_iterations: i32,
    pub salt: Vec<u8>,
    pub enc_public: Vec<u8>,
    pub sig_public: Vec<u8>,
    pub key_signature: Vec<u8>,
    pub wrapped_user_key: Vec<u8>,
    pub wrapped_enc_private: Vec<u8>,
    pub wrapped_sig_private: Vec<u8>,
    pub recovery_hash: Option<String>,
    pub wrapped_user_key_recovery: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: UserId,
    pub username: String,
    pub auth_hash: String,
    pub kdf_iterations: i32,
    pub salt: Vec<u8>,
    pub enc_public: Vec<u8>,
    pub sig_public: Vec<u8>,
    pub key_signature: Vec<u8>,
    pub wrapped_user_key: Vec<u8>,
    pub wrapped_enc_private: Vec<u8>,
    pub wrapped_sig_private: Vec<u8>,
    pub recovery_hash: Option<String>,
    pub wrapped_user_key_recovery: Option<Vec<u8>>,
}

/// What a password change or a recovery rewrites: the KDF inputs, the auth hash and the user
/// key's wrap. The private keys stay wrapped under the unchanged user key.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub struct CredentialsChangeset {
    pub auth_hash: String,
    pub kdf_iterations: i32,
    pub salt: Vec<u8>,
    pub wrapped_user_key: Vec<u8>,
    pub updated_at: DateTime<Utc>,
}

pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The key bundle a client needs after login (public keys and the wrapped private keys), as
/// stored at registration.
pub fn key_bundle(u: &User) -> KeyBundle {
    KeyBundle {
        enc_public: b64(&u.enc_public),
        sig_public: b64(&u.sig_public),
        key_signature: b64(&u.key_signature),
        wrapped_user_key: b64(&u.wrapped_user_key),
        wrapped_enc_private: b64(&u.wrapped_enc_private),
        wrapped_sig_private: b64(&u.wrapped_sig_private),
    }
}

/// What anyone signed in may learn about a user: the public keys and their fingerprint.
/// Clients must recompute the fingerprint and pin keys themselves; this is a convenience.
#[derive(Serialize, Deserialize, Clone, Debug, utoipa::ToSchema)]
pub struct PublicUser {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub username: String,
    pub enc_public: String,
    pub sig_public: String,
    pub key_signature: String,
    pub fingerprint: String,
}

impl From<&User> for PublicUser {
    fn from(u: &User) -> Self {
        PublicUser {
            id: u.id,
            username: u.username.clone(),
            enc_public: b64(&u.enc_public),
            sig_public: b64(&u.sig_public),
            key_signature: b64(&u.key_signature),
            fingerprint: courier_protocol::crypto::fingerprint(u.id.0, &u.enc_public, &u.sig_public),
        }
    }
}

/// `{id, username}`, the user as named in login answers and member lists.
#[derive(Serialize, Deserialize, Clone, Debug, utoipa::ToSchema)]
pub struct UserRef {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub username: String,
}
