//! Attachments (docs/protocol.md §8.4, §11): a file encrypted as it is read from disk and
//! uploaded in resumable pieces; a download decrypted and verified as it streams, kept only
//! once every check has passed.
//!
//! Policy, in one place:
//! - Neither direction holds a whole file in memory: an upload holds one piece of ciphertext
//!   (8 MiB by default) so it can resend it, a download one chunk.
//! - A dropped connection, a timeout or a 5xx is retried a bounded number of times with
//!   backoff ([`Transfer`]); an upload then asks the server how far it got (`HEAD`) and goes on
//!   from there, a download asks for the rest with `Range`. Every ciphertext byte still goes
//!   through one encryptor, or one decryptor, and one hash.
//! - A download is written to a temporary file beside its destination and moved into place only
//!   after the decryptor verified the chunks, the SHA-256 and the sizes the signed descriptor
//!   names (§11.3 step 4); any failure deletes it ([`ClientError::AttachmentUnverified`]). It
//!   never replaces an existing file.
//! - Names are sanitised twice: into a descriptor name when sending (§11.4), and again into a
//!   local file name when saving (§11.5), in [`naming`].

pub mod download;
pub mod naming;
pub mod upload;

use std::{sync::Arc, time::Duration};

pub use download::{download, Downloaded, Target};
pub use upload::{upload_file, Uploaded};

use super::error::ClientError;

/// How transfers are cut and retried. The defaults suit real use; tests make pieces small.
#[derive(Debug, Clone)]
pub struct Transfer {
    piece_size: usize,
    max_retries: u32,
    backoff: Duration,
    idle_timeout: Duration,
    piece_timeout: Duration,
}

/// Upload piece size: a few MiB, so a drop loses little (§8.4 asks for a few MiB to 64 MiB).
pub const DEFAULT_PIECE_SIZE: usize = 8 << 20;

impl Default for Transfer {
    fn default() -> Self {
        Self {
            piece_size: DEFAULT_PIECE_SIZE,
            max_retries: 6,
            backoff: Duration::from_millis(500),
            idle_timeout: Duration::from_secs(60),
            piece_timeout: Duration::from_secs(300),
        }
    }
}

impl Transfer {
    /// Pieces of `bytes` (at least 1) instead of 8 MiB: for tests of multi-piece uploads and
    /// resumption with small files. Not a user setting.
    #[doc(hidden)]
    pub fn with_piece_size(mut self, bytes: usize) -> Self {
        self.piece_size = bytes.max(1);
        self
    }

    /// The first wait before a retry (doubled each time, at most 8 s). For tests.
    #[doc(hidden)]
    pub fn with_backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// How many failed attempts in a row (without progress) end a transfer.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    pub fn piece_size(&self) -> usize {
        self.piece_size
    }

    /// The wait before retry number `attempt` (1-based): the server's `Retry-After` when it
    /// gave one, else exponential backoff.
    fn delay(&self, attempt: u32, retry_after: Option<u64>) -> Duration {
        if let Some(secs) = retry_after {
            return Duration::from_secs(secs.min(60));
        }
        let factor = 1u32 << attempt.saturating_sub(1).min(5);
        (self.backoff * factor).min(Duration::from_secs(8))
    }
}

/// Told the bytes of ciphertext done so far (sent and committed or on their way; received).
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// What happened during a transfer, in order: for progress reports and for tests that check a
/// resumed transfer went on from where the server was rather than starting over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `POST /api/attachments` with the first `length` bytes.
    Post { length: u64 },
    /// `PATCH` of `length` bytes at `offset`.
    Patch { offset: u64, length: u64 },
    /// `HEAD` answered that the server has `offset` bytes.
    Head { offset: u64 },
    /// `409 offset_mismatch`: the server has `offset` bytes.
    Moved { offset: u64 },
    /// `GET` from byte `from` (a `Range` request when not 0).
    Get { from: u64 },
    /// A failed attempt that will be retried, and why.
    Retry { reason: String },
}

/// Whether `error` is worth another attempt, and how long the server asked us to wait.
fn retriable(error: &ClientError) -> Option<Option<u64>> {
    match error {
        ClientError::Unreachable { .. } => Some(None),
        // Server faults and a dependency briefly away; not 507 (the quota will not free itself).
        ClientError::Api {
            status: 500 | 502 | 503 | 504,
            ..
        } => Some(None),
        ClientError::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    }
}

/// Sleeps before attempt `attempt + 1`, or answers `error` when it is final (not retriable,
/// or too many attempts in a row).
async fn wait_or_fail(
    error: ClientError,
    attempt: u32,
    transfer: &Transfer,
    steps: &mut Vec<Step>,
) -> Result<(), ClientError> {
    let Some(retry_after) = retriable(&error) else {
        return Err(error);
    };
    if attempt > transfer.max_retries {
        return Err(error);
    }
    steps.push(Step::Retry {
        reason: error.to_string(),
    });
    tokio::time::sleep(transfer.delay(attempt, retry_after)).await;
    Ok(())
}

/// Human size: `532 B`, `1.4 KiB`, `23.0 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_expect() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(100 << 20), "100.0 MiB");
        assert_eq!(human_size(3 << 30), "3.0 GiB");
    }

    #[test]
    fn retries_back_off_and_honour_retry_after() {
        let t = Transfer::default();
        assert_eq!(t.delay(1, None), Duration::from_millis(500));
        assert_eq!(t.delay(2, None), Duration::from_secs(1));
        assert_eq!(t.delay(10, None), Duration::from_secs(8));
        assert_eq!(t.delay(1, Some(3)), Duration::from_secs(3));
        let unreachable = ClientError::Unreachable {
            url: "x".into(),
            reason: "reset".into(),
        };
        assert_eq!(retriable(&unreachable), Some(None));
        let quota = ClientError::Api {
            status: 507,
            code: "quota_exceeded".into(),
            message: String::new(),
        };
        assert_eq!(retriable(&quota), None, "a full quota does not free itself");
        let down = ClientError::Api {
            status: 503,
            code: "unavailable".into(),
            message: String::new(),
        };
        assert_eq!(retriable(&down), Some(None));
        let gone = ClientError::Api {
            status: 404,
            code: "not_found".into(),
            message: String::new(),
        };
        assert_eq!(retriable(&gone), None);
    }
}
