//! Every protocol constant, once (docs/protocol.md §9). The Rust code imports them from here; the
//! browser imports the same values from `frontend/src/lib/protocol/constants.json`, which
//! [`browser_constants`] generates and a test keeps identical (`UPDATE_GENERATED=1 cargo test
//! -p courier-protocol` rewrites it).

// Accounts (§2).
/// Shortest username, after trimming and ASCII lowercasing (§2.1).
pub const USERNAME_MIN_LEN: usize = 3;
/// Longest username (§2.1).
pub const USERNAME_MAX_LEN: usize = 32;
/// The only KDF name the protocol knows (§2.2).
pub const KDF_NAME: &str = "pbkdf2-sha256";
/// The fewest PBKDF2 iterations clients and server accept (OWASP 2023 for PBKDF2-HMAC-SHA256).
pub const MIN_ITERATIONS: u32 = 600_000;
/// What a new account uses.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// The most PBKDF2 iterations accepted, so a hostile server cannot make a client hang.
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// KDF salt length in bytes.
pub const SALT_LEN: usize = 16;
/// HKDF info of the auth key (§2.3).
pub const INFO_AUTH: &str = "courier/v1/auth";
/// HKDF info of the stretch key.
pub const INFO_WRAP: &str = "courier/v1/wrap";
/// HKDF info of the recovery auth key.
pub const INFO_RECOVERY_AUTH: &str = "courier/v1/recovery-auth";
/// HKDF info of the recovery wrap key.
pub const INFO_RECOVERY_WRAP: &str = "courier/v1/recovery-wrap";

// Primitives (§2.5).
/// Length of every symmetric key and HKDF output.
pub const KEY_LEN: usize = 32;
/// AES-GCM IV length (96 bits, the only one the protocol uses).
pub const IV_LEN: usize = 12;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// What a wrap adds to its plaintext: IV and tag.
pub const WRAP_OVERHEAD: usize = IV_LEN + TAG_LEN;
/// A wrapped user key (password or recovery wrap).
pub const WRAPPED_USER_KEY_LEN: usize = WRAP_OVERHEAD + KEY_LEN;
/// Length of a raw P-256 ECDSA signature (`r ‖ s`).
pub const SIGNATURE_LEN: usize = 64;
/// The one RSA modulus size the key policy accepts (§3).
pub const RSA_BITS: usize = 3072;
/// An RSA-OAEP-3072 wrapped content key.
pub const WRAPPED_KEY_LEN: usize = RSA_BITS / 8;

// The envelope (§5).
/// The envelope version written: v2, key-committing.
pub const ENVELOPE_VERSION: u64 = 2;
/// The legacy, non-committing version: still opened (and marked as such), never written.
pub const LEGACY_VERSION: u64 = 1;
/// The largest integer JavaScript represents exactly; `sent_at` must not exceed it.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// The longest `content_type` a reader accepts.
pub const MAX_CONTENT_TYPE_LEN: usize = 127;
/// The longest `content_type` a writer emits (and the server accepts).
pub const MAX_WRITER_CONTENT_TYPE_LEN: usize = 100;
/// The content type of a plain text message.
pub const TEXT_PLAIN: &str = "text/plain";
/// The longest header string, in bytes.
pub const MAX_HEADER_LEN: usize = 16 * 1024;
/// The most recipients a message (and members a conversation) has, the sender included.
pub const MAX_GROUP_SIZE: usize = 256;
/// The longest plaintext of one message.
pub const MAX_PLAINTEXT_LEN: usize = 64 * 1024;
/// The prefix of the committed data: `commitment = HMAC-SHA256(K, COMMIT_LABEL ‖ h)`.
pub const COMMIT_LABEL: &str = "courier/v2/commit";
/// Length of the v2 key commitment.
pub const COMMITMENT_LEN: usize = 32;

// Attachments (§11).
/// Plaintext bytes per attachment chunk; every chunk but the last is exactly this long.
pub const ATTACHMENT_CHUNK_SIZE: usize = 64 * 1024;
/// `log2(ATTACHMENT_CHUNK_SIZE)`, the byte the attachment header carries.
pub const ATTACHMENT_CHUNK_SIZE_LOG2: u8 = 16;
/// The four ASCII bytes an attachment ciphertext starts with.
pub const ATTACHMENT_MAGIC: &str = "CATT";
/// The attachment format version written and read.
pub const ATTACHMENT_VERSION: u8 = 1;
/// Length of the random per-file nonce in the attachment header.
pub const ATTACHMENT_NONCE_LEN: usize = 32;
/// Length of the attachment header: magic (4), version (1), chunk size log2 (1), nonce (32).
pub const ATTACHMENT_HEADER_LEN: usize = 4 + 1 + 1 + ATTACHMENT_NONCE_LEN;
/// HKDF info of the attachment payload key (salt: the whole attachment header).
pub const INFO_ATTACHMENT: &str = "courier/v1/attachment";
/// The content type of a message carrying attachments.
pub const ATTACHMENT_CONTENT_TYPE: &str = "application/vnd.courier.attachment+json";
/// The most attachments one message carries.
pub const MAX_ATTACHMENTS_PER_MESSAGE: usize = 10;
/// The longest attachment name, in Unicode scalar values.
pub const MAX_ATTACHMENT_NAME_LEN: usize = 255;
/// The largest inline thumbnail, in bytes (before base64).
pub const MAX_THUMBNAIL_LEN: usize = 16 * 1024;
/// The largest image width or height a descriptor may state.
pub const MAX_IMAGE_DIMENSION: u64 = 65_535;

// Telemetry series (§12).
/// The content type of a batch of telemetry readings.
pub const SERIES_CONTENT_TYPE: &str = "application/vnd.courier.series+json";
/// The most series (values per point) one batch carries.
pub const MAX_SERIES_PER_BATCH: usize = 16;
/// The most points one batch carries.
pub const MAX_POINTS_PER_BATCH: usize = 1000;
/// The longest stream id, in bytes (ASCII `A-Z a-z 0-9 . _ : -`).
pub const MAX_STREAM_ID_LEN: usize = 64;
/// The longest series name, in Unicode scalar values.
pub const MAX_SERIES_NAME_LEN: usize = 64;
/// The longest series unit, in Unicode scalar values.
pub const MAX_SERIES_UNIT_LEN: usize = 16;
/// How long an emitter holds points before it sends them as a batch, by default.
pub const SERIES_FLUSH_MS: u64 = 250;

/// The constants the browser reads, as the JSON object of
/// `frontend/src/lib/protocol/constants.json` (keys sorted).
pub fn browser_constants() -> serde_json::Value {
    use serde_json::json;
    // Pairs, not one json! object: the macro's recursion limit stops at this many keys.
    let pairs = [
        ("ATTACHMENT_CHUNK_SIZE", json!(ATTACHMENT_CHUNK_SIZE)),
        (
            "ATTACHMENT_CHUNK_SIZE_LOG2",
            json!(ATTACHMENT_CHUNK_SIZE_LOG2),
        ),
        ("ATTACHMENT_CONTENT_TYPE", json!(ATTACHMENT_CONTENT_TYPE)),
        ("ATTACHMENT_HEADER_LEN", json!(ATTACHMENT_HEADER_LEN)),
        ("ATTACHMENT_MAGIC", json!(ATTACHMENT_MAGIC)),
        ("ATTACHMENT_NONCE_LEN", json!(ATTACHMENT_NONCE_LEN)),
        ("ATTACHMENT_VERSION", json!(ATTACHMENT_VERSION)),
        ("COMMITMENT_LEN", json!(COMMITMENT_LEN)),
        ("COMMIT_LABEL", json!(COMMIT_LABEL)),
        ("DEFAULT_ITERATIONS", json!(DEFAULT_ITERATIONS)),
        ("ENVELOPE_VERSION", json!(ENVELOPE_VERSION)),
        ("INFO_ATTACHMENT", json!(INFO_ATTACHMENT)),
        ("INFO_AUTH", json!(INFO_AUTH)),
        ("INFO_RECOVERY_AUTH", json!(INFO_RECOVERY_AUTH)),
        ("INFO_RECOVERY_WRAP", json!(INFO_RECOVERY_WRAP)),
        ("INFO_WRAP", json!(INFO_WRAP)),
        ("IV_LEN", json!(IV_LEN)),
        ("KDF_NAME", json!(KDF_NAME)),
        ("KEY_LEN", json!(KEY_LEN)),
        ("LEGACY_VERSION", json!(LEGACY_VERSION)),
        (
            "MAX_ATTACHMENTS_PER_MESSAGE",
            json!(MAX_ATTACHMENTS_PER_MESSAGE),
        ),
        ("MAX_ATTACHMENT_NAME_LEN", json!(MAX_ATTACHMENT_NAME_LEN)),
        ("MAX_CONTENT_TYPE_LEN", json!(MAX_CONTENT_TYPE_LEN)),
        ("MAX_GROUP_SIZE", json!(MAX_GROUP_SIZE)),
        ("MAX_HEADER_LEN", json!(MAX_HEADER_LEN)),
        ("MAX_IMAGE_DIMENSION", json!(MAX_IMAGE_DIMENSION)),
        ("MAX_ITERATIONS", json!(MAX_ITERATIONS)),
        ("MAX_PLAINTEXT_LEN", json!(MAX_PLAINTEXT_LEN)),
        ("MAX_POINTS_PER_BATCH", json!(MAX_POINTS_PER_BATCH)),
        ("MAX_SAFE_INTEGER", json!(MAX_SAFE_INTEGER)),
        ("MAX_SERIES_NAME_LEN", json!(MAX_SERIES_NAME_LEN)),
        ("MAX_SERIES_PER_BATCH", json!(MAX_SERIES_PER_BATCH)),
        ("MAX_SERIES_UNIT_LEN", json!(MAX_SERIES_UNIT_LEN)),
        ("MAX_STREAM_ID_LEN", json!(MAX_STREAM_ID_LEN)),
        ("MAX_THUMBNAIL_LEN", json!(MAX_THUMBNAIL_LEN)),
        (
            "MAX_WRITER_CONTENT_TYPE_LEN",
            json!(MAX_WRITER_CONTENT_TYPE_LEN),
        ),
        ("RSA_BITS", json!(RSA_BITS)),
        ("SALT_LEN", json!(SALT_LEN)),
        ("SERIES_CONTENT_TYPE", json!(SERIES_CONTENT_TYPE)),
        ("SERIES_FLUSH_MS", json!(SERIES_FLUSH_MS)),
        ("SIGNATURE_LEN", json!(SIGNATURE_LEN)),
        ("TAG_LEN", json!(TAG_LEN)),
        ("TEXT_PLAIN", json!(TEXT_PLAIN)),
        ("USERNAME_MAX_LEN", json!(USERNAME_MAX_LEN)),
        ("USERNAME_MIN_LEN", json!(USERNAME_MIN_LEN)),
        ("WRAPPED_KEY_LEN", json!(WRAPPED_KEY_LEN)),
    ];
    serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    /// The browser's copy is generated from this file; a stale one fails here.
    #[test]
    fn the_browser_constants_file_is_generated_from_these_constants() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../frontend/src/lib/protocol/constants.json");
        let want = serde_json::to_string_pretty(&super::browser_constants()).unwrap() + "\n";
        if std::env::var_os("UPDATE_GENERATED").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            have,
            want,
            "{} is stale: run UPDATE_GENERATED=1 cargo test -p courier-protocol",
            path.display()
        );
    }
}
