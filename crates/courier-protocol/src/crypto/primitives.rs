//! Thin, panic-free wrappers over aws-lc-rs for the primitives the protocol uses: random bytes,
//! SHA-256, HKDF-SHA256, PBKDF2-HMAC-SHA256, AES-256-GCM, RSA-OAEP-SHA256 (MGF1-SHA256, with a
//! label) and ECDSA P-256/SHA-256 with raw `r ‖ s` signatures. Everything above this file speaks
//! protocol; everything in it speaks bytes.

use crate::limits::{IV_LEN, KEY_LEN, SIGNATURE_LEN, TAG_LEN};
use std::num::NonZeroU32;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
    OAEP_SHA256_MGF1SHA256,
};
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair as _, ParsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use aws_lc_rs::{digest, hkdf, pbkdf2, rand};

use zeroize::Zeroize;

use super::error::{CryptoError, KeyError, Result};

/// The DER prefix of every uncompressed P-256 SubjectPublicKeyInfo: SEQUENCE, AlgorithmIdentifier
/// {id-ecPublicKey, prime256v1}, BIT STRING header. The 65-byte point `04 ‖ x ‖ y` follows.
pub const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// Total length of a P-256 SPKI.
pub const P256_SPKI_LEN: usize = 26 + 65;

/// Fills a fresh array from the operating system's CSPRNG.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    rand::fill(&mut out).map_err(|_| CryptoError::Primitive("random"))?;
    Ok(out)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// HKDF-SHA256 with an empty salt and a 32-byte output, as everywhere in the protocol.
pub fn hkdf_sha256(ikm: &[u8], info: &[u8]) -> [u8; KEY_LEN] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(ikm);
    let mut out = [0u8; KEY_LEN];
    // HKDF_SHA256 as a KeyType asks for exactly 32 bytes, which is always within HKDF's limit.
    let info = [info];
    if let Ok(okm) = prk.expand(&info, hkdf::HKDF_SHA256) {
        if okm.fill(&mut out).is_ok() {
            return out;
        }
    }
    unreachable!("HKDF-SHA256 of 32 bytes cannot fail")
}

/// PBKDF2-HMAC-SHA256 to 32 bytes. Iteration policy is checked by the caller.
pub fn pbkdf2_sha256(secret: &[u8], salt: &[u8], iterations: NonZeroU32) -> [u8; KEY_LEN] {
    let mut out = [0u8; KEY_LEN];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        secret,
        &mut out,
    );
    out
}

fn gcm_key(key: &[u8; KEY_LEN]) -> Result<LessSafeKey> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::Primitive("aes-gcm key"))
}

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&key, message);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Whether HMAC-SHA256(`key`, `message`) is `tag`, compared in constant time.
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], tag: &[u8]) -> bool {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    aws_lc_rs::hmac::verify(&key, message, tag).is_ok()
}

/// AES-256-GCM encryption; returns `ciphertext ‖ tag` (the IV is not included).
pub fn aes_gcm_seal(
    key: &[u8; KEY_LEN],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let mut in_out = plaintext.to_vec();
    gcm_key(key)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(*iv),
            Aad::from(aad),
            &mut in_out,
        )
        .map_err(|_| CryptoError::Primitive("aes-gcm seal"))?;
    Ok(in_out)
}

/// AES-256-GCM decryption of `ciphertext ‖ tag`; `None` if it does not authenticate.
pub fn aes_gcm_open(
    key: &[u8; KEY_LEN],
    iv: &[u8; IV_LEN],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Option<Vec<u8>> {
    if ciphertext_and_tag.len() < TAG_LEN {
        return None;
    }
    let mut in_out = ciphertext_and_tag.to_vec();
    let key = gcm_key(key).ok()?;
    let len = key
        .open_in_place(
            Nonce::assume_unique_for_key(*iv),
            Aad::from(aad),
            &mut in_out,
        )
        .ok()?
        .len();
    in_out.truncate(len);
    Some(in_out)
}

/// RSA-OAEP-SHA256 (MGF1-SHA256) encryption of `plaintext` under an SPKI with `label`.
pub fn rsa_oaep_encrypt(spki: &[u8], label: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let public = PublicEncryptingKey::from_der(spki).map_err(|_| KeyError::NotRsa)?;
    let oaep = OaepPublicEncryptingKey::new(public).map_err(|_| KeyError::RsaUnusable)?;
    let mut out = vec![0u8; oaep.ciphertext_size()];
    let len = oaep
        .encrypt(&OAEP_SHA256_MGF1SHA256, plaintext, &mut out, Some(label))
        .map_err(|_| CryptoError::Primitive("rsa-oaep encrypt"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// An RSA private key for OAEP decryption, kept with its PKCS#8 and SPKI encodings.
/// Cloning is cheap (aws-lc reference-counts the key).
#[derive(Clone)]
pub struct RsaPrivate {
    key: PrivateDecryptingKey,
    pkcs8: Vec<u8>,
    spki: Vec<u8>,
}

impl RsaPrivate {
    /// Generates a fresh RSA-3072 key. Costs roughly 0.1–1 s of CPU.
    pub fn generate() -> Result<Self> {
        let key = PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa3072)
            .map_err(|_| CryptoError::Primitive("rsa keygen"))?;
        Self::from_key(key, None)
    }

    /// Parses a PKCS#8 RSA private key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let key = PrivateDecryptingKey::from_pkcs8(pkcs8)
            .map_err(|_| KeyError::BadPrivateKey { kind: "RSA" })?;
        Self::from_key(key, Some(pkcs8))
    }

    /// Keeps the caller's PKCS#8 bytes when there are some, so re-wrapping gives back exactly
    /// what another client wrote. Refuses any size but the key policy's (docs/protocol.md §3).
    fn from_key(key: PrivateDecryptingKey, pkcs8: Option<&[u8]>) -> Result<Self> {
        let bad = |_| CryptoError::from(KeyError::BadPrivateKey { kind: "RSA" });
        if key.key_size_bits() != crate::limits::RSA_BITS {
            return Err(KeyError::BadPrivateKey { kind: "RSA" }.into());
        }
        let pkcs8 = match pkcs8 {
            Some(bytes) => bytes.to_vec(),
            None => key.as_der().map_err(bad)?.as_ref().to_vec(),
        };
        let spki = key.public_key().as_der().map_err(bad)?.as_ref().to_vec();
        Ok(Self { key, pkcs8, spki })
    }

    /// RSA-OAEP-SHA256 decryption with `label`; `None` on any failure.
    pub fn decrypt(&self, label: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        let key = OaepPrivateDecryptingKey::new(self.key.clone()).ok()?;
        if ciphertext.len() != key.key_size_bytes() {
            return None;
        }
        let mut out = vec![0u8; key.min_output_size()];
        let len = key
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, Some(label))
            .ok()?
            .len();
        out.truncate(len);
        Some(out)
    }

    /// The private key as PKCS#8 DER (what gets wrapped under the user key).
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as SPKI DER.
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }
}

/// A P-256 signing key kept with its PKCS#8 and SPKI encodings.
#[derive(Clone)]
pub struct EcdsaPrivate {
    key: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    spki: Vec<u8>,
}

impl EcdsaPrivate {
    /// Generates a fresh P-256 key (cheap).
    pub fn generate() -> Result<Self> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| CryptoError::Primitive("ecdsa keygen"))?;
        Self::from_key(key, None)
    }

    /// Parses a PKCS#8 P-256 private key (v1 or v2, as WebCrypto or aws-lc write it).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self> {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
            .map_err(|_| KeyError::BadPrivateKey { kind: "P-256" })?;
        Self::from_key(key, Some(pkcs8))
    }

    /// Keeps the caller's PKCS#8 bytes when there are some, as the RSA one does.
    fn from_key(key: EcdsaKeyPair, pkcs8: Option<&[u8]>) -> Result<Self> {
        let bad = |_| CryptoError::from(KeyError::BadPrivateKey { kind: "P-256" });
        let pkcs8 = match pkcs8 {
            Some(bytes) => bytes.to_vec(),
            None => key.to_pkcs8v1().map_err(bad)?.as_ref().to_vec(),
        };
        let spki = key.public_key().as_der().map_err(bad)?.as_ref().to_vec();
        Ok(Self { key, pkcs8, spki })
    }

    /// ECDSA-P256-SHA256 over `message`, raw `r ‖ s` (64 bytes).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        self.key
            .sign(&rng, message)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| CryptoError::Primitive("ecdsa sign"))
    }

    /// The private key as PKCS#8 DER.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as SPKI DER (91 bytes).
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }
}

impl Drop for RsaPrivate {
    fn drop(&mut self) {
        self.pkcs8.zeroize();
    }
}

impl Drop for EcdsaPrivate {
    fn drop(&mut self) {
        self.pkcs8.zeroize();
    }
}

/// Whether `spki` is exactly an uncompressed P-256 SubjectPublicKeyInfo (format only).
pub fn is_p256_spki(spki: &[u8]) -> bool {
    spki.len() == P256_SPKI_LEN && spki[..26] == P256_SPKI_PREFIX && spki[26] == 0x04
}

/// Parses a P-256 SPKI into a verification key: exact format, and a point on the curve.
pub fn parse_p256_spki(spki: &[u8]) -> Option<ParsedPublicKey> {
    if !is_p256_spki(spki) {
        return None;
    }
    // Hand over the bare point so aws-lc's SPKI/point auto-detection has nothing to guess.
    ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &spki[26..]).ok()
}

/// Verifies a raw `r ‖ s` ECDSA-P256-SHA256 signature under a P-256 SPKI. Anything that is not
/// exactly a P-256 SPKI, or a signature that is not 64 bytes, fails.
pub fn ecdsa_verify(spki: &[u8], message: &[u8], signature: &[u8]) -> bool {
    if signature.len() != SIGNATURE_LEN {
        return false;
    }
    parse_p256_spki(spki).is_some_and(|key| key.verify_sig(message, signature).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn hkdf_with_an_empty_salt_matches_rfc_5869_test_case_3() {
        // RFC 5869 A.3: SHA-256, IKM = 0x0b * 22, salt and info empty; first 32 bytes of OKM.
        let okm = hkdf_sha256(&[0x0b; 22], b"");
        assert_eq!(
            okm.to_vec(),
            hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d")
        );
    }

    #[test]
    fn pbkdf2_matches_rfc_7914() {
        // RFC 7914 §11: PBKDF2-HMAC-SHA256("passwd", "salt", 1); first 32 bytes.
        let out = pbkdf2_sha256(b"passwd", b"salt", NonZeroU32::new(1).unwrap());
        assert_eq!(
            out.to_vec(),
            hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
        );
    }

    #[test]
    fn ecdsa_signatures_are_raw_64_bytes_and_bound_to_message_and_key() {
        let key = EcdsaPrivate::generate().unwrap();
        let other = EcdsaPrivate::generate().unwrap();
        let sig = key.sign(b"message").unwrap();
        assert_eq!(sig.len(), 64);
        assert_eq!(key.spki().len(), P256_SPKI_LEN);
        assert!(ecdsa_verify(key.spki(), b"message", &sig));
        assert!(!ecdsa_verify(key.spki(), b"messagf", &sig));
        assert!(!ecdsa_verify(other.spki(), b"message", &sig));
        assert!(
            !ecdsa_verify(&key.spki()[26..], b"message", &sig),
            "a bare point is not an SPKI"
        );
        assert!(!ecdsa_verify(key.spki(), b"message", &sig[..63]));
        let back = EcdsaPrivate::from_pkcs8(key.pkcs8()).unwrap();
        assert_eq!(back.spki(), key.spki());
    }

    #[test]
    fn aes_gcm_refuses_a_wrong_aad() {
        let ct = aes_gcm_seal(&[1; 32], &[2; 12], b"aad", b"text").unwrap();
        assert_eq!(
            aes_gcm_open(&[1; 32], &[2; 12], b"aad", &ct).unwrap(),
            b"text"
        );
        assert!(aes_gcm_open(&[1; 32], &[2; 12], b"aae", &ct).is_none());
        assert!(aes_gcm_open(&[1; 32], &[2; 12], b"aad", &ct[..15]).is_none());
    }
}
