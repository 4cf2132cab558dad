//! The one error type of the client module.
//!
//! Policy: every variant says what the user can do about it (log in again, run `verify`,
//! check the server address), and none carries a secret, so errors can be printed as they are.
//! [`ClientError::exit_code`] gives scripts a stable number per kind of failure.

use thiserror::Error;

use courier_protocol::crypto::CryptoError;

#[derive(Debug, Error)]
pub enum ClientError {
    /// The server could not be reached at all (DNS, refused, TLS handshake, timeout).
    #[error("cannot reach the server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The server refused the username/password pair (it does not say which one is wrong).
    #[error("wrong username or password")]
    WrongPassword,
    /// The password does not open the locally stored keys.
    #[error("wrong password (it does not unlock the keys stored at login)")]
    WrongLocalPassword,
    /// No session is stored in the config folder.
    #[error("not logged in: run `courier-cli login USERNAME` first")]
    NotLoggedIn,
    /// The session was revoked (logout elsewhere, password change, refresh-token reuse) or
    /// has expired.
    #[error("session revoked or expired ({0}): run `courier-cli login` again")]
    SessionRevoked(String),
    /// A contact's keys are not the pinned ones any more. Sending stops until `verify`.
    #[error(
        "the keys of {username} have CHANGED since you pinned them; refusing to send.\n\
         Compare the new safety number with {username} (in person or another channel), then run\n\
         `courier-cli verify {username}` to accept the new key"
    )]
    KeyChanged { username: String },
    /// The server answered with a `{code, message}` error.
    #[error("server refused ({status}, {code}): {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// Too many requests (failed logins, a full bcrypt queue …); the server's `Retry-After`
    /// (seconds), if it sent one, so the user knows how long to wait rather than hammering.
    #[error("too many attempts: try again {}", retry_wording(*.retry_after))]
    RateLimited { retry_after: Option<u64> },
    /// A user, conversation or message that does not exist (or is not visible to us).
    #[error("not found: {0}")]
    NotFound(String),
    /// An attachment's ciphertext is not there for us: `404` (§11.5).
    #[error("attachment unavailable (deleted, expired or not shared with you)")]
    AttachmentUnavailable,
    /// A downloaded attachment failed a check of §11.3 (a chunk, the hash, a size): it was
    /// discarded, nothing of it saved.
    #[error("the attachment could not be verified ({0}); nothing was saved")]
    AttachmentUnverified(String),
    /// The server's answer does not make sense (wrong shape, keys that do not verify).
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// A cryptographic check or operation failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// Local state could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A local state file is not valid JSON.
    #[error("{path}: corrupt state file: {source}")]
    CorruptState {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// The command line or the input does not make sense.
    #[error("{0}")]
    Usage(String),
}

impl ClientError {
    /// Exit codes for scripts: 2 usage, 3 wrong password, 4 not logged in / session revoked,
    /// 5 changed key, 6 unreachable server, 1 anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            ClientError::Usage(_) => 2,
            ClientError::WrongPassword | ClientError::WrongLocalPassword => 3,
            ClientError::NotLoggedIn | ClientError::SessionRevoked(_) => 4,
            ClientError::KeyChanged { .. } => 5,
            ClientError::Unreachable { .. } => 6,
            _ => 1,
        }
    }

    /// A short machine-readable kind, for `--json` error output.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Unreachable { .. } => "unreachable",
            ClientError::WrongPassword | ClientError::WrongLocalPassword => "wrong_password",
            ClientError::NotLoggedIn => "not_logged_in",
            ClientError::SessionRevoked(_) => "session_revoked",
            ClientError::KeyChanged { .. } => "key_changed",
            ClientError::Api { .. } => "api",
            ClientError::RateLimited { .. } => "rate_limited",
            ClientError::NotFound(_) => "not_found",
            ClientError::AttachmentUnavailable => "attachment_unavailable",
            ClientError::AttachmentUnverified(_) => "attachment_unverified",
            ClientError::Protocol(_) => "protocol",
            ClientError::Crypto(_) => "crypto",
            ClientError::Io { .. } | ClientError::CorruptState { .. } => "local_state",
            ClientError::Usage(_) => "usage",
        }
    }

    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        ClientError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

fn retry_wording(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(secs) => format!("in {secs} s"),
        None => "later".to_owned(),
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::ClientError;

    #[test]
    fn a_rate_limit_says_how_long_to_wait() {
        assert_eq!(
            ClientError::RateLimited {
                retry_after: Some(42)
            }
            .to_string(),
            "too many attempts: try again in 42 s"
        );
        assert_eq!(
            ClientError::RateLimited { retry_after: None }.to_string(),
            "too many attempts: try again later"
        );
    }
}
