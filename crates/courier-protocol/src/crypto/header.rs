//! The envelope header: the signed, hashed, authenticated description of one message.
//!
//! Policy: the header travels as a string and `h = SHA-256(string)` binds everything else (AES
//! AAD, OAEP label, signature). So one header must have exactly one string: RFC 8785 (sorted
//! keys, no whitespace, minimal escapes) with lowercase hyphenated UUIDs, recipients sorted
//! ascending and unique with the sender among them, `v` 2 (or 1 for legacy messages, read
//! only), `sent_at` a non-negative
//! integer no larger than 2^53 − 1 (exact in JavaScript), and a `content_type` of printable
//! ASCII without quote or backslash (so no escaping question can arise between implementations).
//! A received header is parsed and re-serialised; any difference is an error.
//!
//! This is the one parser of the header (docs/protocol.md §5.1, §6): readers use
//! [`Header::parse`], the server checks a posted header with [`Header::parse_posted`] (the
//! writer rules: v2 only, the strict `content_type` alphabet), and [`Header::new`] only builds
//! headers that pass the writer rules.

use crate::limits::{
    ENVELOPE_VERSION, LEGACY_VERSION, MAX_CONTENT_TYPE_LEN, MAX_GROUP_SIZE, MAX_HEADER_LEN,
    MAX_SAFE_INTEGER, MAX_WRITER_CONTENT_TYPE_LEN,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ids::parse_canonical_uuid;

use super::error::{CryptoError, Result};
use super::primitives::sha256;

/// A message header. Fields are declared in sorted key order: serde_json writes them in
/// declaration order, which is what makes [`Header::canonical`] the RFC 8785 form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    content_type: String,
    conversation_id: Uuid,
    message_id: Uuid,
    recipients: Vec<Uuid>,
    sender_id: Uuid,
    sent_at: u64,
    v: u64,
}

/// A header as it arrives, before its ids are known to be canonical: the UUIDs stay strings so
/// an uppercase or unhyphenated id is told apart (malformed) from mere non-canonical layout.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    content_type: String,
    conversation_id: String,
    message_id: String,
    recipients: Vec<String>,
    sender_id: String,
    sent_at: u64,
    v: u64,
}

impl RawHeader {
    fn into_header(self) -> Result<Header> {
        Ok(Header {
            conversation_id: canonical_uuid(&self.conversation_id, "conversation_id")?,
            message_id: canonical_uuid(&self.message_id, "message_id")?,
            recipients: self
                .recipients
                .iter()
                .map(|r| canonical_uuid(r, "recipients"))
                .collect::<Result<_>>()?,
            sender_id: canonical_uuid(&self.sender_id, "sender_id")?,
            content_type: self.content_type,
            sent_at: self.sent_at,
            v: self.v,
        })
    }
}

/// A UUID in its one wire form: lowercase, hyphenated.
fn canonical_uuid(text: &str, field: &str) -> Result<Uuid> {
    parse_canonical_uuid(text).ok_or_else(|| {
        CryptoError::HeaderMalformed(format!("{field} must be lowercase hyphenated UUIDs"))
    })
}

/// The writer rule for a content or media type (§5.1): 1–100 of `a-z 0-9 . / + - _`, so no
/// escaping question can ever arise between implementations.
pub fn is_writer_content_type(content_type: &str) -> bool {
    (1..=MAX_WRITER_CONTENT_TYPE_LEN).contains(&content_type.len())
        && content_type
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"./+-_".contains(&b))
}

impl Header {
    /// Builds a v2 header. `recipients` may come in any order and may omit the sender: they
    /// are sorted, de-duplicated and the sender is added, as the protocol requires.
    pub fn new(
        conversation_id: Uuid,
        message_id: Uuid,
        sender_id: Uuid,
        recipients: impl IntoIterator<Item = Uuid>,
        content_type: &str,
        sent_at: u64,
    ) -> Result<Self> {
        let mut recipients: Vec<Uuid> = recipients.into_iter().collect();
        recipients.push(sender_id);
        recipients.sort_unstable();
        recipients.dedup();
        let header = Self {
            content_type: content_type.to_owned(),
            conversation_id,
            message_id,
            recipients,
            sender_id,
            sent_at,
            v: ENVELOPE_VERSION,
        };
        header.check()?;
        header.check_writer_rules()?;
        Ok(header)
    }

    /// The same header as a legacy v1 one. Exists for known-answer vectors and tests of
    /// old stored messages only: clients never write v1.
    pub fn into_legacy_v1(mut self) -> Self {
        self.v = LEGACY_VERSION;
        self
    }

    /// Parses a received header string; refuses anything that is not exactly the canonical
    /// form of a valid v2 (or legacy v1) header under the reader rules.
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_HEADER_LEN {
            return Err(CryptoError::HeaderMalformed(format!(
                "longer than {MAX_HEADER_LEN} bytes"
            )));
        }
        let raw: RawHeader =
            serde_json::from_str(text).map_err(|e| CryptoError::HeaderMalformed(e.to_string()))?;
        if raw.v != ENVELOPE_VERSION && raw.v != LEGACY_VERSION {
            return Err(CryptoError::UnsupportedVersion(raw.v));
        }
        let header = raw.into_header()?;
        header.check()?;
        // Field by field it is valid; byte for byte it must be the one canonical string (key
        // order, whitespace, escapes).
        if header.canonical() != text {
            return Err(CryptoError::HeaderNotCanonical);
        }
        Ok(header)
    }

    /// Parses a header as the server accepts it in a new post: everything [`Header::parse`]
    /// checks, then the writer rules (v2 only; `content_type` 1–100 of `a-z 0-9 . / + - _`).
    pub fn parse_posted(text: &str) -> Result<Self> {
        let header = Self::parse(text)?;
        if header.v != ENVELOPE_VERSION {
            return Err(CryptoError::UnsupportedVersion(header.v));
        }
        header.check_writer_rules()?;
        Ok(header)
    }

    /// The reader rules (§5.1).
    fn check(&self) -> Result<()> {
        let malformed = |why: &str| Err(CryptoError::HeaderMalformed(why.to_owned()));
        if self.recipients.is_empty() || self.recipients.len() > MAX_GROUP_SIZE {
            return malformed("recipients must have 1 to 256 entries");
        }
        if !self.recipients.windows(2).all(|w| w[0] < w[1]) {
            return malformed("recipients must be sorted ascending and unique");
        }
        if self.recipients.binary_search(&self.sender_id).is_err() {
            return malformed("sender must be among the recipients");
        }
        if self.sent_at > MAX_SAFE_INTEGER {
            return malformed("sent_at must be an integer from 0 to 2^53 - 1");
        }
        let ct = self.content_type.as_bytes();
        let printable = ct
            .iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        if ct.is_empty() || ct.len() > MAX_CONTENT_TYPE_LEN || !printable {
            return malformed("content_type must be 1-127 printable ASCII characters");
        }
        Ok(())
    }

    /// The writer rules on top of the reader rules: what a client may emit.
    fn check_writer_rules(&self) -> Result<()> {
        if !is_writer_content_type(&self.content_type) {
            return Err(CryptoError::HeaderMalformed(
                "content_type must be 1-100 characters of a-z 0-9 . / + - _".to_owned(),
            ));
        }
        Ok(())
    }

    /// The canonical JSON string (RFC 8785): what travels and what is hashed.
    pub fn canonical(&self) -> String {
        // Strings, UUIDs, integers and a list of UUIDs: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `h = SHA-256(canonical header)`.
    pub fn hash(&self) -> [u8; 32] {
        sha256(self.canonical().as_bytes())
    }

    /// Protocol version: 2, or 1 for a legacy (non-committing) message.
    pub fn version(&self) -> u64 {
        self.v
    }

    /// The conversation the message belongs to.
    pub fn conversation_id(&self) -> Uuid {
        self.conversation_id
    }

    /// The message id (the idempotency key).
    pub fn message_id(&self) -> Uuid {
        self.message_id
    }

    /// The sender.
    pub fn sender_id(&self) -> Uuid {
        self.sender_id
    }

    /// Every member the message was sealed for, sender included, sorted.
    pub fn recipients(&self) -> &[Uuid] {
        &self.recipients
    }

    /// The content type, e.g. `text/plain`.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The sender's clock at sending, milliseconds since the epoch.
    pub fn sent_at(&self) -> u64 {
        self.sent_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> Uuid {
        Uuid::from_bytes([n; 16])
    }

    fn sample() -> Header {
        Header::new(
            id(0xcc),
            id(0xdd),
            id(0x22),
            [id(0x11), id(0x22)],
            "text/plain",
            1_700_000_000_000,
        )
        .unwrap()
    }

    #[test]
    fn the_canonical_header_has_sorted_keys_and_no_spaces() {
        let text = sample().canonical();
        assert_eq!(
            text,
            format!(
                "{{\"content_type\":\"text/plain\",\"conversation_id\":\"{c}\",\"message_id\":\"{m}\",\
                 \"recipients\":[\"{a}\",\"{b}\"],\"sender_id\":\"{b}\",\"sent_at\":1700000000000,\"v\":2}}",
                c = id(0xcc),
                m = id(0xdd),
                a = id(0x11),
                b = id(0x22)
            )
        );
        assert_eq!(Header::parse(&text).unwrap(), sample());
    }

    #[test]
    fn new_sorts_recipients_and_adds_the_sender() {
        let h = Header::new(id(1), id(2), id(9), [id(5), id(3), id(5)], "text/plain", 0).unwrap();
        assert_eq!(h.recipients(), &[id(3), id(5), id(9)]);
    }

    #[test]
    fn non_canonical_headers_are_refused() {
        let text = sample().canonical();
        let spaced = text.replace(",", ", ");
        let reordered = text
            .replacen("{\"content_type\":\"text/plain\",", "{", 1)
            .replacen(",\"v\":2}", ",\"v\":2,\"content_type\":\"text/plain\"}", 1);
        let escaped = text.replace("text/plain", "text\\/plain");
        for bad in [spaced, reordered, escaped] {
            assert_eq!(
                Header::parse(&bad),
                Err(CryptoError::HeaderNotCanonical),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_headers_are_refused() {
        let text = sample().canonical();
        let unsorted = text.replace(
            &format!("[\"{}\",\"{}\"]", id(0x11), id(0x22)),
            &format!("[\"{}\",\"{}\"]", id(0x22), id(0x11)),
        );
        let no_sender = text.replace(&format!("\"{}\",", id(0x11)), "").replace(
            &format!("\"sender_id\":\"{}\"", id(0x22)),
            &format!("\"sender_id\":\"{}\"", id(0x11)),
        );
        let extra = text.replace(",\"v\":2}", ",\"v\":2,\"x\":0}");
        let upper = text.replace(&id(0xcc).to_string(), &id(0xcc).to_string().to_uppercase());
        let no_recipients = Header {
            recipients: vec![],
            ..sample()
        }
        .canonical();
        let too_long = text.replace("text/plain", &"x".repeat(MAX_HEADER_LEN));
        for bad in [
            unsorted,
            upper,
            no_recipients,
            too_long,
            no_sender,
            extra,
            "".into(),
            "[]".into(),
            "{".into(),
        ] {
            assert!(
                matches!(Header::parse(&bad), Err(CryptoError::HeaderMalformed(_))),
                "{bad}"
            );
        }
        let v3 = text.replace("\"v\":2", "\"v\":3");
        assert_eq!(Header::parse(&v3), Err(CryptoError::UnsupportedVersion(3)));
        let v0 = text.replace("\"v\":2", "\"v\":0");
        assert_eq!(Header::parse(&v0), Err(CryptoError::UnsupportedVersion(0)));
        let v1 = text.replace("\"v\":2", "\"v\":1");
        assert_eq!(
            Header::parse(&v1).unwrap(),
            sample().into_legacy_v1(),
            "legacy v1 still parses"
        );
        assert!(Header::new(id(1), id(2), id(3), [], "text plain", 0).is_err());
        assert!(Header::new(id(1), id(2), id(3), [], "", 0).is_err());
        assert!(Header::new(id(1), id(2), id(3), [], "a", MAX_SAFE_INTEGER + 1).is_err());
        let crowd: Vec<Uuid> = (0..=MAX_GROUP_SIZE as u16)
            .map(|n| Uuid::from_u128(n.into()))
            .collect();
        assert!(Header::new(id(1), id(2), crowd[0], crowd.clone(), "text/plain", 0).is_err());
    }

    #[test]
    fn readers_accept_any_printable_content_type_but_writers_only_the_strict_alphabet() {
        let lenient = Header {
            content_type: "Text/Plain;charset=UTF-8".into(),
            ..sample()
        };
        let text = lenient.canonical();
        assert_eq!(Header::parse(&text).unwrap(), lenient);
        assert!(matches!(
            Header::parse_posted(&text),
            Err(CryptoError::HeaderMalformed(_))
        ));
        assert!(Header::new(id(1), id(2), id(3), [], "Text/Plain", 0).is_err());
        let long = Header {
            content_type: "a".repeat(MAX_WRITER_CONTENT_TYPE_LEN + 1),
            ..sample()
        };
        assert!(Header::parse(&long.canonical()).is_ok());
        assert!(Header::parse_posted(&long.canonical()).is_err());
        assert!(Header::parse_posted(&sample().canonical()).is_ok());
    }

    #[test]
    fn a_posted_header_must_be_v2() {
        let v1 = sample().into_legacy_v1().canonical();
        assert!(Header::parse(&v1).is_ok());
        assert_eq!(
            Header::parse_posted(&v1),
            Err(CryptoError::UnsupportedVersion(1))
        );
    }
}
