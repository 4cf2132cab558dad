//! The cryptography of the Courier protocol (docs/protocol.md §2–5; §11, attachments, in
//! [`attachment`]): pure functions, no I/O, no async. Used by the CLI, the server's integration tests and the
//! benchmark; the server itself uses the key policy ([`validate_public_keys`]) and the header
//! parser.
//!
//! Policy, in one place:
//! - Primitives come from aws-lc-rs: PBKDF2-HMAC-SHA256 (≥ 600 000 iterations, refused below),
//!   HKDF-SHA256 (empty salt, 32 bytes), AES-256-GCM (12-byte random IVs), RSA-OAEP-3072 with
//!   SHA-256/MGF1-SHA256 and a label, ECDSA P-256/SHA-256 with raw 64-byte `r ‖ s` signatures.
//! - Bytes on the wire are standard padded base64; public keys are SPKI DER, private keys
//!   PKCS#8 DER, and every wrap binds purpose and owner in its AAD.
//! - Whatever the TypeScript client computes from the same inputs is byte-identical; the
//!   known-answer files `tests/vectors/courier-v1.json` and `courier-v2.json` (the
//!   key-committing envelope) pin it, and both test suites check them.
//! - No function panics on hostile input; failures are [`CryptoError`] (or [`KeyError`]).
//!   Secret-holding types zeroise on drop and print as `***`.
//!
//! Costs to plan around: [`AccountKeys::generate`] (RSA-3072) takes ~0.1–1 s, PBKDF2 at
//! 600 000 iterations ~0.25 s; everything else is sub-millisecond, except one RSA public
//! operation per recipient when sealing.

pub mod attachment;
pub mod b64;
pub mod envelope;
pub mod error;
pub mod fingerprint;
pub mod header;
pub mod kdf;
pub mod keys;
pub mod primitives;
pub mod registration;
pub mod validate;
pub mod wrap;

pub use envelope::{
    commitment, open, seal, seal_with, signature_input, signature_input_v2, Envelope, OpenContext,
    OpenedMessage, ReceivedMessage, RecipientKey,
};
pub use error::{CryptoError, KeyError, Result};
pub use fingerprint::{fingerprint, fingerprint_digest, fingerprint_from_digest, safety_number};
pub use header::Header;
pub use kdf::{
    derive_auth_key, derive_master_key, derive_recovery_auth_key, derive_recovery_wrap_key,
    derive_stretch_key, new_salt, normalize_password, normalize_username, KdfParams, PasswordKeys,
    RecoveryKey,
};
pub use keys::{AccountKeys, KeyBundle, UnlockedAccount, UserKey};
pub use registration::{
    recovery_auth_key_b64, PasswordChange, RecoveryRequest, RegisterRequest, RegistrationMaterial,
};
pub use validate::{validate_enc_public, validate_public_keys, validate_sig_public};
pub use wrap::{unwrap, wrap, wrap_with_iv, WrapPurpose};
