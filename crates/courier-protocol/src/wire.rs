//! The server's JSON shapes as clients read them (docs/protocol.md §8; the exact schemas are the
//! served OpenAPI document, docs/openapi.json). Unknown fields are ignored so a newer server does
//! not break a client.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::crypto::{KdfParams, KeyBundle, ReceivedMessage};

/// `POST /api/auth/prelogin` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Prelogin {
    pub kdf: KdfParams,
    pub salt: String,
}

/// `{id, username}`: a user reference (login answer, conversation members).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: Uuid,
    pub username: String,
}

/// `POST /api/auth/login` answer (refresh token in the body: we never ask for the cookie).
#[derive(Debug, Clone, Deserialize)]
pub struct LoginAnswer {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: Option<String>,
    pub session_id: Uuid,
    pub user: UserRef,
    pub keys: KeyBundle,
}

/// `POST /api/auth/refresh` answer.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenPair {
    pub access_token: String,
    pub expires_in: u64,
    pub refresh_token: Option<String>,
}

/// `GET /api/users?username=` / `GET /api/users/{id}` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicUser {
    pub id: Uuid,
    pub username: String,
    pub enc_public: String,
    pub sig_public: String,
    pub key_signature: String,
    pub fingerprint: String,
}

/// A conversation as `GET /api/conversations` returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: Uuid,
    pub kind: String,
    pub title: Option<String>,
    pub members: Vec<UserRef>,
    #[serde(default)]
    pub last_position: i64,
    #[serde(default)]
    pub read_up_to: Option<i64>,
    #[serde(default)]
    pub unread_count: Option<i64>,
    #[serde(default)]
    pub last_activity_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConversationList {
    pub conversations: Vec<Conversation>,
}

/// A message as history and `message` events carry it. A deleted message has no envelope
/// fields, only `deleted: true`.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageItem {
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    pub position: i64,
    pub sender_id: Uuid,
    pub server_ts: i64,
    #[serde(default)]
    pub deleted: bool,
    #[serde(flatten)]
    pub rest: Value,
}

impl MessageItem {
    /// The envelope part as the crypto module wants it; `None` for a deleted message, and an
    /// error text for a malformed one (shown as "could not verify").
    pub fn envelope(&self) -> Option<Result<ReceivedMessage, String>> {
        if self.deleted {
            return None;
        }
        Some(
            serde_json::from_value(self.rest.clone())
                .map_err(|e| format!("malformed message: {e}")),
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct History {
    pub messages: Vec<MessageItem>,
}

/// `POST .../messages` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Posted {
    pub message_id: Uuid,
    #[serde(default)]
    pub seq: Option<i64>,
    #[serde(default)]
    pub position: Option<i64>,
    pub server_ts: i64,
}

/// An attachment upload as the server has it: the answer of `POST /api/attachments` and
/// `PATCH /api/attachments/{id}` (docs/protocol.md §8.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    pub attachment_id: Uuid,
    /// The declared `Upload-Length`: ciphertext bytes.
    pub size: u64,
    /// Bytes the server has committed: where the next `PATCH` starts.
    pub offset: u64,
    /// Every byte is in: a message may reference it now.
    pub complete: bool,
}

/// One of the caller's sessions.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: Uuid,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub user_agent: Option<String>,
    #[serde(default)]
    pub current: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}
