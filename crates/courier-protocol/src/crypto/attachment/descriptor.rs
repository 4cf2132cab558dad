//! The attachment descriptor and the content of a message that carries attachments
//! (docs/protocol.md §11.4).

use super::*;

/// Image dimensions a descriptor may state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    /// Width in pixels, 1..=65535.
    pub width: u64,
    /// Height in pixels, 1..=65535.
    pub height: u64,
}

/// An inline thumbnail: a small JPEG, PNG or WebP image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// `image/jpeg`, `image/png` or `image/webp`; the bytes start with that format's signature.
    pub media_type: String,
    /// The image bytes, at most 16 KiB.
    pub bytes: Vec<u8>,
}

/// One attachment as its message describes it (docs/protocol.md §11.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentDescriptor {
    /// The server's id of the uploaded ciphertext.
    pub attachment_id: Uuid,
    /// The file key.
    pub key: FileKey,
    /// SHA-256 of the whole ciphertext.
    pub sha256: [u8; 32],
    /// The file name the sender gives (display only; sanitise again before saving).
    pub name: String,
    /// The media type the sender claims (a claim: never a reason to render active content).
    pub media_type: String,
    /// Plaintext size in bytes.
    pub size: u64,
    /// Ciphertext size in bytes; always [`ciphertext_size`]`(size)`.
    pub ciphertext_size: u64,
    /// Image dimensions, when the sender states them.
    pub dimensions: Option<Dimensions>,
    /// An inline thumbnail, when the sender gives one.
    pub thumbnail: Option<Thumbnail>,
}

/// The plaintext of a message of content type `application/vnd.courier.attachment+json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMessage {
    /// An optional caption (non-empty when present).
    pub text: Option<String>,
    /// One to ten attachments, distinct ids.
    pub attachments: Vec<AttachmentDescriptor>,
}

const THUMBNAIL_TYPES: [(&str, &[u8]); 3] = [
    ("image/jpeg", &[0xff, 0xd8, 0xff]),
    (
        "image/png",
        &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a],
    ),
    ("image/webp", b"RIFF"),
];

/// Whether `media_type` follows the writer content_type rule: 1–100 of `a-z 0-9 . / + - _`.
pub fn is_valid_media_type(media_type: &str) -> bool {
    crate::crypto::header::is_writer_content_type(media_type)
}

/// Whether `name` is an acceptable attachment name: 1–255 Unicode scalar values, not `.` or
/// `..`, without `/`, `\`, control characters (U+0000–U+001F, U+007F–U+009F) or bidi
/// controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
pub fn is_valid_attachment_name(name: &str) -> bool {
    let count = name.chars().count();
    (1..=MAX_ATTACHMENT_NAME_LEN).contains(&count)
        && name != "."
        && name != ".."
        && !name.chars().any(|c| {
            matches!(c, '/' | '\\' | '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
                | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
}

fn invalid<T>(why: &'static str) -> Result<T> {
    Err(AttachmentError::InvalidContent(why))
}

/// Whether `text` is a lowercase hyphenated UUID.
fn is_lower_uuid(text: &str) -> bool {
    crate::ids::parse_canonical_uuid(text).is_some()
}

/// Canonical JSON of the shapes used here: safe integers only (§11.4).
fn canonical(value: &Value) -> Option<String> {
    crate::canonical::to_string(value, crate::canonical::Numbers::SafeIntegers)
}

fn get_str<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
    why: &'static str,
) -> Result<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map_or_else(|| invalid(why), Ok)
}

fn get_int(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    why: &'static str,
) -> Result<Option<u64>> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= MAX_SAFE_INTEGER => Ok(Some(n)),
            _ => invalid(why),
        },
    }
}

const DESCRIPTOR_FIELDS: [&str; 11] = [
    "attachment_id",
    "ciphertext_size",
    "height",
    "key",
    "media_type",
    "name",
    "sha256",
    "size",
    "thumbnail",
    "thumbnail_media_type",
    "width",
];

impl AttachmentDescriptor {
    /// Validates one descriptor object (§11.4). Used by [`AttachmentMessage::parse`].
    pub fn from_json(value: &Value) -> Result<Self> {
        let obj = value
            .as_object()
            .map_or_else(|| invalid("descriptor is not an object"), Ok)?;
        if obj.keys().any(|k| !DESCRIPTOR_FIELDS.contains(&k.as_str())) {
            return invalid("unknown descriptor field");
        }
        let id = get_str(obj, "attachment_id", "attachment_id missing")?;
        if !is_lower_uuid(id) {
            return invalid("attachment_id is not a lowercase UUID");
        }
        let attachment_id =
            Uuid::parse_str(id).map_err(|_| AttachmentError::InvalidContent("attachment_id"))?;
        let key = b64::decode_array::<KEY_LEN>("key", get_str(obj, "key", "key missing")?)
            .map_err(|_| AttachmentError::InvalidContent("key is not 32 bytes of base64"))?;
        let sha256 =
            b64::decode_array::<32>("sha256", get_str(obj, "sha256", "sha256 missing")?)
                .map_err(|_| AttachmentError::InvalidContent("sha256 is not 32 bytes of base64"))?;
        let name = get_str(obj, "name", "name missing")?;
        if !is_valid_attachment_name(name) {
            return invalid("invalid name");
        }
        let media_type = get_str(obj, "media_type", "media_type missing")?;
        if !is_valid_media_type(media_type) {
            return invalid("invalid media_type");
        }
        let size = get_int(obj, "size", "size is not an integer 0..2^53-1")?
            .map_or_else(|| invalid("size missing"), Ok)?;
        let ct_size = get_int(obj, "ciphertext_size", "ciphertext_size is not an integer")?
            .map_or_else(|| invalid("ciphertext_size missing"), Ok)?;
        if ciphertext_size(size) != Some(ct_size) {
            return invalid("ciphertext_size does not match size");
        }
        let dim = |k| get_int(obj, k, "width/height must be integers 1..65535");
        let dimensions = match (dim("width")?, dim("height")?) {
            (None, None) => None,
            (Some(width), Some(height))
                if (1..=MAX_IMAGE_DIMENSION).contains(&width)
                    && (1..=MAX_IMAGE_DIMENSION).contains(&height) =>
            {
                Some(Dimensions { width, height })
            }
            _ => return invalid("width and height must both be present, 1..65535"),
        };
        let thumbnail = match (obj.get("thumbnail"), obj.get("thumbnail_media_type")) {
            (None, None) => None,
            (Some(Value::String(t)), Some(Value::String(mt))) => {
                let bytes = b64::decode("thumbnail", t)
                    .map_err(|_| AttachmentError::InvalidContent("thumbnail is not base64"))?;
                if bytes.is_empty() || bytes.len() > MAX_THUMBNAIL_LEN {
                    return invalid("thumbnail must be 1..16384 bytes");
                }
                let Some((_, magic)) = THUMBNAIL_TYPES.iter().find(|(t, _)| t == mt) else {
                    return invalid(
                        "thumbnail_media_type must be image/jpeg, image/png or image/webp",
                    );
                };
                let webp_ok = mt != "image/webp" || bytes.get(8..12) == Some(b"WEBP".as_slice());
                if !bytes.starts_with(magic) || !webp_ok {
                    return invalid("thumbnail bytes are not of thumbnail_media_type");
                }
                Some(Thumbnail {
                    media_type: mt.clone(),
                    bytes,
                })
            }
            _ => return invalid("thumbnail and thumbnail_media_type go together, as strings"),
        };
        Ok(Self {
            attachment_id,
            key: FileKey::from_bytes(key),
            sha256,
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size,
            ciphertext_size: ct_size,
            dimensions,
            thumbnail,
        })
    }

    /// The descriptor as a JSON object (serialise it canonically with [`AttachmentMessage`]).
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert(
            "attachment_id".into(),
            self.attachment_id.to_string().into(),
        );
        obj.insert("key".into(), b64::encode(self.key.as_bytes()).into());
        obj.insert("sha256".into(), b64::encode(self.sha256).into());
        obj.insert("name".into(), self.name.clone().into());
        obj.insert("media_type".into(), self.media_type.clone().into());
        obj.insert("size".into(), self.size.into());
        obj.insert("ciphertext_size".into(), self.ciphertext_size.into());
        if let Some(d) = self.dimensions {
            obj.insert("width".into(), d.width.into());
            obj.insert("height".into(), d.height.into());
        }
        if let Some(t) = &self.thumbnail {
            obj.insert("thumbnail".into(), b64::encode(&t.bytes).into());
            obj.insert("thumbnail_media_type".into(), t.media_type.clone().into());
        }
        Value::Object(obj)
    }
}

impl AttachmentMessage {
    /// The message content type these messages carry.
    pub const CONTENT_TYPE: &'static str = ATTACHMENT_CONTENT_TYPE;

    /// Parses and validates a decrypted plaintext (§11.4): UTF-8, canonical JSON, exactly the
    /// known fields, every descriptor rule. Anything else is refused as a whole.
    pub fn parse(plaintext: &[u8]) -> Result<Self> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return invalid("content longer than a message plaintext");
        }
        let text = std::str::from_utf8(plaintext)
            .map_err(|_| AttachmentError::InvalidContent("content is not UTF-8"))?;
        let value: Value = serde_json::from_str(text)
            .map_err(|_| AttachmentError::InvalidContent("content is not JSON"))?;
        if canonical(&value).as_deref() != Some(text) {
            return invalid("content is not canonical JSON");
        }
        let obj = value
            .as_object()
            .map_or_else(|| invalid("content is not an object"), Ok)?;
        if obj.keys().any(|k| k != "text" && k != "attachments") {
            return invalid("unknown content field");
        }
        let caption = match obj.get("text") {
            None => None,
            Some(Value::String(t)) if !t.trim().is_empty() => Some(t.clone()),
            Some(_) => return invalid("text must be a non-blank string"),
        };
        let items = obj
            .get("attachments")
            .and_then(Value::as_array)
            .map_or_else(|| invalid("attachments missing"), Ok)?;
        if items.is_empty() || items.len() > MAX_ATTACHMENTS_PER_MESSAGE {
            return invalid("attachments must hold 1..10 descriptors");
        }
        let attachments = items
            .iter()
            .map(AttachmentDescriptor::from_json)
            .collect::<Result<Vec<_>>>()?;
        for (i, a) in attachments.iter().enumerate() {
            if attachments[..i]
                .iter()
                .any(|b| b.attachment_id == a.attachment_id)
            {
                return invalid("duplicate attachment_id");
            }
        }
        Ok(Self {
            text: caption,
            attachments,
        })
    }

    /// The canonical JSON plaintext to seal with content type
    /// `application/vnd.courier.attachment+json`. Refuses content a reader would refuse.
    pub fn to_plaintext(&self) -> Result<Vec<u8>> {
        let mut obj = serde_json::Map::new();
        if let Some(t) = &self.text {
            obj.insert("text".into(), t.clone().into());
        }
        let items: Vec<Value> = self
            .attachments
            .iter()
            .map(AttachmentDescriptor::to_json)
            .collect();
        obj.insert("attachments".into(), Value::Array(items));
        let text =
            canonical(&Value::Object(obj)).map_or_else(|| invalid("not serialisable"), Ok)?;
        Self::parse(text.as_bytes())?;
        Ok(text.into_bytes())
    }
}
