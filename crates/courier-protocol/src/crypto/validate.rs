//! Checks on public keys that need no secret: what the server runs at registration and what a
//! client runs on every key it fetches before pinning it: the key policy of docs/protocol.md §3.
//!
//! Policy (the one key policy: the browser client, this client and the server refuse exactly the
//! same keys): the encryption key is an `rsaEncryption` SPKI (what WebCrypto exports for
//! RSA-OAEP) in its one canonical DER form, exactly 3072 bits, public exponent exactly 65537;
//! the signing key is exactly an uncompressed
//! P-256 SPKI (26-byte prefix + 65-byte point) whose point is on the curve; the key signature is
//! a raw 64-byte ECDSA-P256-SHA256 signature by the signing key over the encryption SPKI bytes.
//! Canonical encodings matter because fingerprints hash these exact bytes. Garbage in gives an
//! error out, never a panic.

use crate::limits::{RSA_BITS, SIGNATURE_LEN};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey};

use super::error::KeyError;
use super::primitives::{ecdsa_verify, parse_p256_spki};

/// The one public exponent accepted, 65537, as its minimal big-endian DER integer content.
const RSA_EXPONENT: [u8; 3] = [0x01, 0x00, 0x01];

/// AlgorithmIdentifier content for rsaEncryption: OID 1.2.840.113549.1.1.1 and NULL parameters.
const RSA_ENCRYPTION_ALG: [u8; 13] = [
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

/// Validates a user's published keys; the error says which part is wrong.
pub fn validate_public_keys(
    enc_spki: &[u8],
    sig_spki: &[u8],
    key_signature: &[u8],
) -> Result<(), KeyError> {
    validate_enc_public(enc_spki)?;
    validate_sig_public(sig_spki)?;
    if key_signature.len() != SIGNATURE_LEN {
        return Err(KeyError::BadKeySignatureLength {
            len: key_signature.len(),
        });
    }
    if !ecdsa_verify(sig_spki, enc_spki, key_signature) {
        return Err(KeyError::BadKeySignature);
    }
    Ok(())
}

/// Checks an encryption public key and returns its modulus size in bits.
pub fn validate_enc_public(spki: &[u8]) -> Result<usize, KeyError> {
    let (bits, exponent) = rsa_spki_modulus_bits(spki).ok_or(KeyError::NotRsa)?;
    if bits < RSA_BITS {
        return Err(KeyError::RsaTooSmall { bits });
    }
    if bits > RSA_BITS {
        return Err(KeyError::RsaTooLarge { bits });
    }
    if exponent != RSA_EXPONENT {
        return Err(KeyError::RsaExponent);
    }
    let key = PublicEncryptingKey::from_der(spki).map_err(|_| KeyError::RsaUnusable)?;
    // Only the canonical encoding is accepted, so every client hashes the same bytes.
    let canonical = key.as_der().map_err(|_| KeyError::RsaUnusable)?;
    if canonical.as_ref() != spki {
        return Err(KeyError::NotRsa);
    }
    OaepPublicEncryptingKey::new(key).map_err(|_| KeyError::RsaUnusable)?;
    Ok(bits)
}

/// Checks a signing public key: exactly an uncompressed P-256 SPKI with a valid point.
pub fn validate_sig_public(spki: &[u8]) -> Result<(), KeyError> {
    parse_p256_spki(spki).map(|_| ()).ok_or(KeyError::NotP256)
}

/// Reads one DER TLV: returns (tag, content, rest). Definite, minimal lengths only.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n || rest[0] == 0 {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 {
            return None;
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((tag, content, rest))
}

/// Reads a TLV that must have `tag` and be followed by nothing.
fn read_only(input: &[u8], tag: u8) -> Option<&[u8]> {
    match read_tlv(input)? {
        (t, content, []) if t == tag => Some(content),
        _ => None,
    }
}

/// The modulus size and the exponent's DER content of an `rsaEncryption` SPKI, or `None` if
/// it is not one.
fn rsa_spki_modulus_bits(spki: &[u8]) -> Option<(usize, &[u8])> {
    let spki = read_only(spki, 0x30)?;
    let (tag, alg, rest) = read_tlv(spki)?;
    if tag != 0x30 || alg != RSA_ENCRYPTION_ALG {
        return None;
    }
    let bits = read_only(rest, 0x03)?;
    let (&unused, rsa_key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    let rsa_key = read_only(rsa_key, 0x30)?;
    let (tag, modulus, rest) = read_tlv(rsa_key)?;
    if tag != 0x02 {
        return None;
    }
    let exponent = read_only(rest, 0x02)?;
    let modulus = match modulus {
        [first, ..] if first & 0x80 != 0 => return None, // negative
        [0, next, ..] if next & 0x80 != 0 => &modulus[1..],
        [0, ..] | [] => return None, // zero or not minimally encoded
        m => m,
    };
    let top = modulus[0];
    Some((modulus.len() * 8 - top.leading_zeros() as usize, exponent))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::primitives::{EcdsaPrivate, P256_SPKI_PREFIX};

    #[test]
    fn der_lengths_must_be_minimal_and_within_the_input() {
        assert_eq!(
            read_tlv(&[0x30, 0x01, 0xaa]),
            Some((0x30, &[0xaa][..], &[][..]))
        );
        assert_eq!(
            read_tlv(&[0x30, 0x81, 0x01, 0xaa]),
            None,
            "long form for a short length"
        );
        assert_eq!(
            read_tlv(&[0x30, 0x02, 0xaa]),
            None,
            "content runs past the end"
        );
        assert_eq!(read_tlv(&[0x30, 0x80]), None, "indefinite length");
        assert_eq!(read_tlv(&[0x30]), None);
        assert_eq!(read_tlv(&[]), None);
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        let sig = EcdsaPrivate::generate().unwrap();
        let mut inputs: Vec<Vec<u8>> = vec![vec![], vec![0x30], vec![0x30, 0x82, 0xff, 0xff]];
        inputs.extend((0..200u32).map(|i| {
            (0..(i * 7 % 600))
                .map(|j| (j.wrapping_mul(2_654_435_761) >> (i % 24)) as u8)
                .collect()
        }));
        for input in &inputs {
            assert!(validate_public_keys(input, sig.spki(), &[0; 64]).is_err());
            assert_eq!(validate_sig_public(input), Err(KeyError::NotP256));
        }
    }

    #[test]
    fn an_ec_key_is_not_an_encryption_key_and_an_off_curve_point_is_not_p256() {
        let sig = EcdsaPrivate::generate().unwrap();
        assert_eq!(validate_enc_public(sig.spki()), Err(KeyError::NotRsa));
        let mut off_curve = P256_SPKI_PREFIX.to_vec();
        off_curve.push(0x04);
        off_curve.extend([1u8; 64]);
        assert_eq!(validate_sig_public(&off_curve), Err(KeyError::NotP256));
        assert_eq!(validate_sig_public(sig.spki()), Ok(()));
    }
}
