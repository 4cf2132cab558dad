//! AES-256-GCM key wrapping (docs/protocol.md §2.5): `wrap = iv (12) ‖ ciphertext ‖ tag (16)`.
//!
//! Policy: every wrap uses a fresh random IV, and its AAD binds what is wrapped and whose it is
//! (`courier/v1/<purpose>|<lowercase username>`), so the server cannot swap one wrapped blob
//! for another (a user key for a private key, Alice's for Bob's) without the unwrap failing.

use super::error::{CryptoError, Result};
use super::primitives::{aes_gcm_open, aes_gcm_seal, random_array};
use crate::limits::{IV_LEN, KEY_LEN, TAG_LEN};

/// What a wrap holds; each purpose has its own AAD prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapPurpose {
    /// The user key under the password's stretch key.
    UserKey,
    /// The user key under the recovery wrap key.
    UserKeyRecovery,
    /// The RSA private key (PKCS#8) under the user key.
    EncKey,
    /// The P-256 private key (PKCS#8) under the user key.
    SigKey,
}

impl WrapPurpose {
    /// The AAD prefix, before `|<username>`.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::UserKey => "courier/v1/user-key",
            Self::UserKeyRecovery => "courier/v1/user-key-recovery",
            Self::EncKey => "courier/v1/enc-key",
            Self::SigKey => "courier/v1/sig-key",
        }
    }

    /// The AAD for this purpose and an already normalised (lowercase) username.
    pub fn aad(self, username: &str) -> String {
        format!("{}|{}", self.prefix(), username)
    }
}

/// Wraps `plaintext` under `key` with a fresh random IV.
pub fn wrap(key: &[u8; KEY_LEN], aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let iv: [u8; IV_LEN] = random_array()?;
    wrap_with_iv(key, &iv, aad, plaintext)
}

/// Wraps with a caller-chosen IV. Exists for known-answer vectors only: reusing an IV under
/// one key destroys AES-GCM, so real wraps go through [`wrap`].
pub fn wrap_with_iv(
    key: &[u8; KEY_LEN],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let sealed = aes_gcm_seal(key, iv, aad, plaintext)?;
    let mut out = Vec::with_capacity(IV_LEN + sealed.len());
    out.extend_from_slice(iv);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Unwraps `iv ‖ ciphertext ‖ tag`; [`CryptoError::UnwrapFailed`] if the key, the AAD or any
/// byte is wrong.
pub fn unwrap(key: &[u8; KEY_LEN], aad: &[u8], blob: &[u8]) -> Result<Vec<u8>> {
    if blob.len() < IV_LEN + TAG_LEN {
        return Err(CryptoError::UnwrapFailed);
    }
    let (iv, rest) = blob.split_at(IV_LEN);
    let mut iv_arr = [0u8; IV_LEN];
    iv_arr.copy_from_slice(iv);
    aes_gcm_open(key, &iv_arr, aad, rest).ok_or(CryptoError::UnwrapFailed)
}

/// Unwraps a value that must be a 32-byte key (the user key).
pub fn unwrap_key(key: &[u8; KEY_LEN], aad: &[u8], blob: &[u8]) -> Result<[u8; KEY_LEN]> {
    let plain = unwrap(key, aad, blob)?;
    <[u8; KEY_LEN]>::try_from(plain.as_slice()).map_err(|_| CryptoError::UnwrapFailed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [9; 32];

    #[test]
    fn a_wrap_is_iv_then_ciphertext_then_tag() {
        let blob = wrap_with_iv(&KEY, &[1; 12], b"aad", b"hello").unwrap();
        assert_eq!(blob.len(), 12 + 5 + 16);
        assert_eq!(&blob[..12], &[1; 12]);
        assert_eq!(unwrap(&KEY, b"aad", &blob).unwrap(), b"hello");
    }

    #[test]
    fn two_wraps_of_the_same_value_differ() {
        let a = wrap(&KEY, b"aad", b"same").unwrap();
        let b = wrap(&KEY, b"aad", b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn unwrap_refuses_wrong_aad_wrong_key_flipped_bits_and_short_blobs() {
        let blob = wrap(&KEY, b"courier/v1/enc-key|alice", b"secret").unwrap();
        assert_eq!(
            unwrap(&KEY, b"courier/v1/enc-key|bob", &blob),
            Err(CryptoError::UnwrapFailed)
        );
        assert_eq!(
            unwrap(&[8; 32], b"courier/v1/enc-key|alice", &blob),
            Err(CryptoError::UnwrapFailed)
        );
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert!(
                unwrap(&KEY, b"courier/v1/enc-key|alice", &bad).is_err(),
                "byte {i}"
            );
        }
        assert!(unwrap(&KEY, b"", &[0; 27]).is_err());
        assert!(unwrap(&KEY, b"", &[]).is_err());
    }

    #[test]
    fn aads_bind_purpose_and_username() {
        assert_eq!(
            WrapPurpose::UserKey.aad("alice"),
            "courier/v1/user-key|alice"
        );
        assert_eq!(
            WrapPurpose::UserKeyRecovery.aad("alice"),
            "courier/v1/user-key-recovery|alice"
        );
        assert_eq!(WrapPurpose::EncKey.aad("alice"), "courier/v1/enc-key|alice");
        assert_eq!(WrapPurpose::SigKey.aad("alice"), "courier/v1/sig-key|alice");
    }
}
