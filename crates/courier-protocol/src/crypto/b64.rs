//! Base64 as the protocol uses it (docs/protocol.md §1): the standard alphabet with padding (RFC 4648 §4), decoded
//! strictly (canonical padding, no stray bits, no whitespace), so one value has one encoding
//! and the TypeScript client (`btoa`/`atob`) agrees byte for byte.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::error::{CryptoError, Result};

/// Encodes bytes as standard padded base64.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard padded base64; `field` names the value in the error.
pub fn decode(field: &'static str, text: &str) -> Result<Vec<u8>> {
    STANDARD
        .decode(text)
        .map_err(|_| CryptoError::Base64 { field })
}

/// Decodes base64 that must hold exactly `N` bytes (keys, salts, ivs).
pub fn decode_array<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N]> {
    let bytes = decode(field, text)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| CryptoError::Length {
        field,
        expected: N,
        got: bytes.len(),
    })
}

/// `#[serde(with = "crate::crypto::b64::bytes")]` for `Vec<u8>` fields carried as base64 strings.
pub mod bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises bytes as a base64 string.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    /// Deserialises a strict base64 string into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("invalid base64"))
    }
}

/// `#[serde(default, with = "crate::crypto::b64::opt_bytes", skip_serializing_if = "Option::is_none")]`
/// for optional base64 fields (the v2 envelope's `commitment`).
pub mod opt_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises present bytes as a base64 string (absent ones are skipped by the field).
    pub fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::bytes::serialize(b, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Deserialises an optional strict base64 string (`null` counts as absent).
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(text) => super::decode("commitment", &text)
                .map(Some)
                .map_err(|_| serde::de::Error::custom("invalid base64")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_is_standard_and_padded() {
        assert_eq!(encode([0xfb, 0xff]), "+/8=");
        assert_eq!(decode("x", "+/8=").unwrap(), vec![0xfb, 0xff]);
    }

    #[test]
    fn unpadded_urlsafe_or_noncanonical_base64_is_refused() {
        assert!(decode("x", "+/8").is_err());
        assert!(decode("x", "-_8=").is_err());
        assert!(
            decode("x", "+/9=").is_err(),
            "stray low bits must be refused"
        );
        assert!(decode("x", " +/8=").is_err());
    }

    #[test]
    fn decode_array_checks_the_length() {
        assert_eq!(decode_array::<2>("x", "+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(
            decode_array::<3>("x", "+/8="),
            Err(CryptoError::Length {
                field: "x",
                expected: 3,
                got: 2
            })
        );
    }
}
