//! The one error type of the crypto module, plus [`KeyError`], the precise reason a set of
//! public keys is refused (the server turns it into a 400 that says what is wrong).
//!
//! Policy: every failure is a value, never a panic, and no variant carries secret material,
//! so errors can be logged as they are. Failures that an attacker could learn from (which
//! step of opening a message failed) are still distinct here, because the caller is the
//! client itself; it shows them all as one "could not verify" to the user.

use thiserror::Error;

/// Why a set of public keys (encryption SPKI, signing SPKI, key signature) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The encryption key is not an RSA (`rsaEncryption`) SubjectPublicKeyInfo in DER.
    #[error("encryption key is not an RSA SubjectPublicKeyInfo (it must be RSA-3072, exponent 65537, SPKI DER)")]
    NotRsa,
    /// The RSA modulus is shorter than the 3072 bits the protocol requires.
    #[error("RSA key has {bits} bits; the encryption key must be RSA-3072 with exponent 65537")]
    RsaTooSmall { bits: usize },
    /// The RSA modulus is longer than the 3072 bits every Courier client uses.
    #[error("RSA key has {bits} bits; the encryption key must be RSA-3072 with exponent 65537")]
    RsaTooLarge { bits: usize },
    /// The RSA public exponent is not 65537.
    #[error(
        "RSA public exponent is not 65537; the encryption key must be RSA-3072 with exponent 65537"
    )]
    RsaExponent,
    /// The RSA key parses but cannot be used for RSA-OAEP (for example an odd exponent policy).
    #[error("RSA key is not usable for RSA-OAEP")]
    RsaUnusable,
    /// The signing key is not an uncompressed P-256 SubjectPublicKeyInfo in DER.
    #[error("signing key is not an uncompressed ECDSA P-256 SubjectPublicKeyInfo (SPKI DER)")]
    NotP256,
    /// The key signature is not 64 bytes (raw `r ‖ s`).
    #[error("key signature must be 64 bytes (raw r||s), got {len}")]
    BadKeySignatureLength { len: usize },
    /// The key signature does not verify: the signing key did not sign this encryption key.
    #[error("key signature does not verify: it must be the signing key's ECDSA P-256 signature over the encryption key's SPKI")]
    BadKeySignature,
    /// A private key (PKCS#8) could not be parsed or is not of the expected kind.
    #[error("private key is not a valid PKCS#8 {kind} key")]
    BadPrivateKey { kind: &'static str },
    /// The private keys do not belong to the public keys they were delivered with.
    #[error("private {kind} key does not match its public key")]
    KeyMismatch { kind: &'static str },
}

/// Every failure of the crypto module.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CryptoError {
    /// A value was not standard padded base64.
    #[error("invalid base64 in {field}")]
    Base64 { field: &'static str },
    /// A binary value has the wrong length (salt, iv, key, signature...).
    #[error("{field} must be {expected} bytes, got {got}")]
    Length {
        field: &'static str,
        expected: usize,
        got: usize,
    },
    /// A username outside the protocol's alphabet (3–32 of `a-z 0-9 _ . -`).
    #[error("invalid username")]
    InvalidUsername,
    /// Too few (or absurdly many) PBKDF2 iterations, or an unknown KDF name.
    #[error("unacceptable KDF parameters: {0}")]
    WeakKdf(String),
    /// An AES-GCM wrap did not authenticate: wrong key, wrong AAD, or tampered bytes.
    /// When it comes from unwrapping the user key, this is what a wrong password looks like.
    #[error("unwrap failed (wrong key or tampered data)")]
    UnwrapFailed,
    /// A public or private key was refused.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The envelope header is not valid JSON of the expected shape.
    #[error("malformed envelope header: {0}")]
    HeaderMalformed(String),
    /// The header parses but is not byte-for-byte its canonical form.
    #[error("envelope header is not canonical")]
    HeaderNotCanonical,
    /// The header names a protocol version this client does not know.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u64),
    /// The header's conversation is not the one the message arrived in.
    #[error("envelope belongs to another conversation")]
    WrongConversation,
    /// The header's sender is not the sender the event names.
    #[error("envelope sender does not match")]
    WrongSender,
    /// The header's message id is not the one the event names.
    #[error("envelope message id does not match")]
    WrongMessageId,
    /// The reader is not among the header's recipients.
    #[error("not a recipient of this envelope")]
    NotARecipient,
    /// Recipients given to `seal` do not match the header's recipients one to one.
    #[error("recipient keys do not match the header's recipients")]
    RecipientMismatch,
    /// The sender's signature (v2: over `h ‖ commitment ‖ iv ‖ ciphertext`; v1: over
    /// `h ‖ iv ‖ ciphertext`) does not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// The wrapped content key does not decrypt with our private key and this header.
    #[error("content key unwrap failed")]
    KeyUnwrapFailed,
    /// The v2 key commitment is missing, or present on a v1 envelope.
    #[error("key commitment missing or not allowed for this envelope version")]
    CommitmentShape,
    /// The unwrapped content key is not the one the sender committed to: this recipient was
    /// given another key than the others (the multi-recipient attack).
    #[error("content key does not match the key commitment")]
    CommitmentMismatch,
    /// The message ciphertext does not decrypt under the content key.
    #[error("message decryption failed")]
    DecryptFailed,
    /// An underlying primitive failed where it should not (RNG, key generation).
    #[error("crypto primitive failed: {0}")]
    Primitive(&'static str),
}

/// Result alias used throughout the crypto module.
pub type Result<T, E = CryptoError> = std::result::Result<T, E>;
