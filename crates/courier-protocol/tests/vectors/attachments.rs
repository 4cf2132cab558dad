//! Attachments (docs/protocol.md §11) against `tests/vectors/courier-attachments.json`, and its
//! generator. Regenerate on purpose only:
//! `COURIER_WRITE_VECTORS=1 cargo test -p courier-protocol --test vectors -- --ignored generate_attachment_vectors`
//!
//! Fixed inputs (file key, nonce) are SHA-256 of `courier/v1/test-vector/<label>`; plaintexts are
//! the pattern `byte i = i mod 251`. Small ciphertexts are given whole; large ones by size and
//! SHA-256 (re-encrypt and compare). Tampered cases are concatenations of slices of those
//! ciphertexts and literal bytes, then optional byte flips, so they stay small.

use std::path::PathBuf;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use courier_protocol::crypto::attachment::{
    chunk_iv, ciphertext_size, header, payload_key, AttachmentDecryptor, AttachmentDescriptor,
    AttachmentEncryptor, AttachmentError, AttachmentMessage, AttachmentSummary, Dimensions,
    FileKey, Thumbnail, CIPHERTEXT_CHUNK_LEN,
};
use courier_protocol::crypto::b64;
use courier_protocol::crypto::primitives::sha256;
use courier_protocol::limits::{
    ATTACHMENT_CHUNK_SIZE, ATTACHMENT_CONTENT_TYPE, ATTACHMENT_HEADER_LEN, INFO_ATTACHMENT,
};
use serde_json::{json, Value};
use uuid::Uuid;

const C: usize = ATTACHMENT_CHUNK_SIZE;
const H: usize = ATTACHMENT_HEADER_LEN;
const CT: usize = CIPHERTEXT_CHUNK_LEN;
/// Ciphertexts up to this size are written whole.
const INLINE_MAX: usize = 1024;

const FILES: [(&str, usize); 7] = [
    ("empty", 0),
    ("one_byte", 1),
    ("short", 100),
    ("one_chunk_minus_one", C - 1),
    ("one_full_chunk", C),
    ("one_chunk_plus_one", C + 1),
    ("three_chunks_and_a_tail", 3 * C + 1000),
];

const DESCRIPTION: &str = "Courier attachment known-answer vectors (docs/protocol.md §11). Binary values are standard \
padded base64. file_key (32 bytes) and nonce (32 bytes) are FIXED here (random in real use; a nonce is never reused). \
header = 'CATT' || 0x01 (version) || 0x10 (log2 of the 65536-byte chunk size) || nonce (38 bytes). payload_key = \
HKDF-SHA256(ikm = file_key, salt = header, info = 'courier/v1/attachment', 32 bytes). chunk_ivs: iv of chunk i = i as an \
11-byte big-endian integer || 0x01 for the final chunk, 0x00 otherwise. ciphertext = header || chunk_0 || ... || chunk_n, \
chunk_i = AES-256-GCM(payload_key, iv_i, aad = empty, plaintext[65536 i .. 65536 (i+1)]) with its 16-byte tag; every \
chunk but the final one holds exactly 65536 plaintext bytes, the final one 1..65536 (0 only when the file is empty, \
which is one empty final chunk). files: plaintext byte j = j mod 251, of length size; ciphertext_size = 38 + size + 16 \
max(1, ceil(size / 65536)); sha256 = SHA-256 of the whole ciphertext (header included); ciphertext is given when at most \
1024 bytes, otherwise re-encrypt with file_key and nonce and compare sha256. tampered: bytes = concatenation of segments \
({file, start, end}: that file's ciphertext[start..end]; {base64}: literal bytes), then each offset in flip has its byte \
XORed with 0x01; decrypting bytes with file_key MUST fail (error is the reference implementations' class: bad_header, \
truncated, chunk_failed, empty_final_chunk). ciphertext_sizes: size -> ciphertext_size (null: above 2^53 - 1, refused). \
content: valid[].plaintext is a canonical message plaintext of content type application/vnd.courier.attachment+json \
that MUST parse (its first descriptor describes file one_byte); invalid[].plaintext MUST be refused as a whole (why says why).";

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/courier-attachments.json")
}

fn fixed<const N: usize>(label: &str) -> [u8; N] {
    sha256(format!("courier/v1/test-vector/{label}").as_bytes())[..N]
        .try_into()
        .unwrap()
}

fn file_key() -> FileKey {
    FileKey::from_bytes(fixed("attachment-file-key"))
}

fn nonce() -> [u8; 32] {
    fixed("attachment-nonce")
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Encrypts in uneven pieces, as a streaming caller would.
fn encrypt_fixed(plaintext: &[u8]) -> (Vec<u8>, AttachmentSummary) {
    let mut enc = AttachmentEncryptor::with_nonce(&file_key(), &nonce()).unwrap();
    let mut out = Vec::new();
    for piece in plaintext.chunks(40_000) {
        out.extend(enc.update(piece).unwrap());
    }
    let (tail, summary) = enc.finish().unwrap();
    out.extend(tail);
    (out, summary)
}

fn ciphertext_of(name: &str) -> Vec<u8> {
    let size = FILES.iter().find(|(n, _)| *n == name).unwrap().1;
    encrypt_fixed(&pattern(size)).0
}

/// A chunk sealed by hand, for the cases an honest encryptor never writes.
fn seal_chunk(index: u64, last: bool, plaintext: &[u8]) -> Vec<u8> {
    let key = payload_key(&file_key(), &header(&nonce()));
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap());
    let mut out = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(chunk_iv(index, last)),
        Aad::empty(),
        &mut out,
    )
    .unwrap();
    out
}

fn error_class(e: &AttachmentError) -> &'static str {
    match e {
        AttachmentError::BadHeader => "bad_header",
        AttachmentError::Truncated => "truncated",
        AttachmentError::ChunkFailed { .. } => "chunk_failed",
        AttachmentError::EmptyFinalChunk => "empty_final_chunk",
        AttachmentError::TrailingData => "trailing_data",
        _ => "other",
    }
}

fn seg(file: &str, start: usize, end: usize) -> Value {
    json!({"file": file, "start": start, "end": end})
}

fn tampered() -> Vec<Value> {
    let big = "three_chunks_and_a_tail";
    let end = ciphertext_size((3 * C + 1000) as u64).unwrap() as usize;
    let chunk = |i: usize| (H + i * CT, (H + (i + 1) * CT).min(end));
    let (c0, c1, c2, c3) = (chunk(0), chunk(1), chunk(2), chunk(3));
    let case = |name: &str, why: &str, segments: Vec<Value>, flip: Vec<usize>, error: &str| json!({"name": name, "why": why, "segments": segments, "flip": flip, "error": error});
    let whole = || vec![seg(big, 0, end)];
    let lit = |bytes: &[u8]| json!({"base64": b64::encode(bytes)});
    vec![
        case("bit_flip_in_chunk_1", "a ciphertext byte of a middle chunk changed", whole(), vec![H + CT + 100], "chunk_failed"),
        case("bit_flip_in_final_tag", "the final chunk's tag changed", whole(), vec![end - 1], "chunk_failed"),
        case("nonce_changed", "the header nonce changed: another payload key", whole(), vec![10], "chunk_failed"),
        case("magic_changed", "not CATT", whole(), vec![0], "bad_header"),
        case("version_changed", "version 0x00", whole(), vec![4], "bad_header"),
        case("chunk_size_changed", "log2 chunk size 0x11", whole(), vec![5], "bad_header"),
        case("chunks_swapped", "chunks 0 and 1 exchanged", vec![seg(big, 0, H), seg(big, c1.0, c1.1), seg(big, c0.0, c0.1), seg(big, c2.0, end)], vec![], "chunk_failed"),
        case("last_chunk_dropped", "truncated at a chunk boundary: chunk 2 is not final", vec![seg(big, 0, c3.0)], vec![], "chunk_failed"),
        case("first_chunk_dropped", "chunk 1 in position 0", vec![seg(big, 0, H), seg(big, c1.0, end)], vec![], "chunk_failed"),
        case("truncated_mid_chunk", "cut inside chunk 1", vec![seg(big, 0, c1.0 + 500)], vec![], "chunk_failed"),
        case("truncated_inside_a_tag", "fewer than 16 bytes after the header", vec![seg(big, 0, H + 10)], vec![], "truncated"),
        case("header_only", "no chunk at all", vec![seg(big, 0, H)], vec![], "truncated"),
        case("truncated_header", "cut inside the header", vec![seg(big, 0, 20)], vec![], "truncated"),
        case("nothing", "zero bytes", vec![], vec![], "truncated"),
        case("chunk_appended", "the final chunk again after itself", vec![seg(big, 0, end), seg(big, c3.0, c3.1)], vec![], "chunk_failed"),
        case("byte_appended", "one byte after the final chunk", vec![seg(big, 0, end), lit(&[0])], vec![], "chunk_failed"),
        case(
            "final_flag_on_a_non_final_chunk",
            "chunk 0 sealed as final (from one_full_chunk), then a valid chunk 1 (from one_chunk_plus_one)",
            vec![seg("one_full_chunk", 0, H + CT), seg("one_chunk_plus_one", H + CT, H + CT + 17)],
            vec![],
            "chunk_failed",
        ),
        case(
            "empty_final_chunk_after_data",
            "a full non-final chunk 0, then an empty final chunk 1: not the canonical encoding of 65536 bytes",
            vec![seg("one_chunk_plus_one", 0, H + CT), lit(&seal_chunk(1, true, b""))],
            vec![],
            "empty_final_chunk",
        ),
        case(
            "empty_file_not_final",
            "an empty file whose one chunk is marked non-final",
            vec![seg("empty", 0, H), lit(&seal_chunk(0, false, b""))],
            vec![],
            "chunk_failed",
        ),
    ]
}

fn sample_descriptor(summary: &AttachmentSummary) -> AttachmentDescriptor {
    AttachmentDescriptor {
        attachment_id: Uuid::parse_str("5b0c8f5e-3a1d-4c2b-9e7f-0a1b2c3d4e5f").unwrap(),
        key: file_key(),
        sha256: summary.sha256,
        name: "Café menu 📷.jpg".into(),
        media_type: "image/jpeg".into(),
        size: summary.size,
        ciphertext_size: summary.ciphertext_size,
        dimensions: Some(Dimensions {
            width: 1024,
            height: 768,
        }),
        thumbnail: Some(Thumbnail {
            media_type: "image/jpeg".into(),
            bytes: vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F', b'I', b'F', 0],
        }),
    }
}

fn content_vectors() -> Value {
    let (_, summary) = encrypt_fixed(&pattern(1));
    let full = AttachmentMessage {
        text: Some("Dinner at 8?\n— A.".into()),
        attachments: vec![sample_descriptor(&summary)],
    };
    let mut plain_file = sample_descriptor(&summary);
    plain_file.attachment_id = Uuid::parse_str("0f0e0d0c-0b0a-4908-8706-050403020100").unwrap();
    plain_file.name = "notes.txt".into();
    plain_file.media_type = "text/plain".into();
    plain_file.dimensions = None;
    plain_file.thumbnail = None;
    let bare = AttachmentMessage {
        text: None,
        attachments: vec![plain_file.clone()],
    };
    // Pins string escaping (RFC 8785 = JSON.stringify): only quote, backslash and C0 controls.
    let mut odd = plain_file;
    odd.name = "€ 'quoted' \"name\" — a/b? no: a+b (1) \u{1f4c4}.txt".replace('/', "∕");
    let escapes = AttachmentMessage {
        text: Some("tab\there, nul \u{0} bell \u{7} esc \u{1b} del \u{7f} nel \u{85} slash / back \\ quote \" \u{2028} end".into()),
        attachments: vec![odd],
    };
    let valid: Vec<String> = [&full, &bare, &escapes]
        .iter()
        .map(|m| String::from_utf8(m.to_plaintext().unwrap()).unwrap())
        .collect();
    let good = valid[0].clone();
    let swap = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replacen(from, to, 1)
    };
    let ct_size = format!("\"ciphertext_size\":{}", summary.ciphertext_size);
    let invalid = vec![
        ("not canonical: a space", swap("\"name\":", "\"name\": ")),
        ("not canonical: keys out of order", {
            let at = good.find(",\"text\":").unwrap();
            format!("{{{},{}}}", &good[at + 1..good.len() - 1], &good[1..at])
        }),
        (
            "duplicate key",
            swap(
                "\"name\":\"Café menu 📷.jpg\"",
                "\"name\":\"Café menu 📷.jpg\",\"name\":\"x.exe\"",
            ),
        ),
        (
            "unknown descriptor field",
            swap("{\"attachment_id\"", "{\"a\":1,\"attachment_id\""),
        ),
        (
            "unknown content field",
            format!("{},\"v\":1}}", &good[..good.len() - 1]),
        ),
        ("uppercase attachment_id", swap("5b0c8f5e", "5B0C8F5E")),
        ("name with a slash", swap("Café menu", "../Café menu")),
        (
            "name with a backslash",
            swap("Café menu", "..\\\\Café menu"),
        ),
        (
            "name with a control character",
            swap("Café menu", "Café\\u0007menu"),
        ),
        (
            "name with a bidi override",
            swap("Café menu", "Café\u{202e}menu"),
        ),
        (
            "name is ..",
            swap("\"name\":\"Café menu 📷.jpg\"", "\"name\":\"..\""),
        ),
        ("name too long", swap("Café menu 📷.jpg", &"x".repeat(256))),
        (
            "media_type with uppercase",
            swap(
                "\"media_type\":\"image/jpeg\"",
                "\"media_type\":\"image/JPEG\"",
            ),
        ),
        (
            "media_type with a parameter",
            swap(
                "\"media_type\":\"image/jpeg\"",
                "\"media_type\":\"text/plain; charset=utf-8\"",
            ),
        ),
        (
            "key of 31 bytes",
            swap(
                &format!("\"key\":\"{}\"", b64::encode(file_key().as_bytes())),
                &format!("\"key\":\"{}\"", b64::encode(&file_key().as_bytes()[..31])),
            ),
        ),
        (
            "sha256 not base64",
            swap(
                &format!("\"sha256\":\"{}\"", b64::encode(summary.sha256)),
                "\"sha256\":\"not base64\"",
            ),
        ),
        (
            "ciphertext_size not matching size",
            swap(&ct_size, "\"ciphertext_size\":1"),
        ),
        ("negative size", swap("\"size\":1,", "\"size\":-1,")),
        ("float width", swap("\"width\":1024", "\"width\":1024.0")),
        ("width without height", swap("\"height\":768,", "")),
        ("width 0", swap("\"width\":1024", "\"width\":0")),
        (
            "width above 65535",
            swap("\"width\":1024", "\"width\":65536"),
        ),
        (
            "thumbnail bytes not of its type",
            swap(
                "\"thumbnail_media_type\":\"image/jpeg\"",
                "\"thumbnail_media_type\":\"image/png\"",
            ),
        ),
        (
            "thumbnail of an unsupported type",
            swap(
                "\"thumbnail_media_type\":\"image/jpeg\"",
                "\"thumbnail_media_type\":\"image/svg+xml\"",
            ),
        ),
        (
            "thumbnail without its type",
            swap(",\"thumbnail_media_type\":\"image/jpeg\"", ""),
        ),
        (
            "thumbnail too large",
            swap(
                "\"thumbnail\":\"",
                &format!(
                    "\"thumbnail\":\"{}",
                    b64::encode([0xff, 0xd8, 0xff].repeat(5462)).trim_end_matches('=')
                ),
            ),
        ),
        (
            "blank caption",
            swap("\"text\":\"Dinner at 8?\\n— A.\"", "\"text\":\" \""),
        ),
        ("no attachments", "{\"attachments\":[]}".to_owned()),
        (
            "attachments not an array",
            "{\"attachments\":{}}".to_owned(),
        ),
        ("duplicate attachment ids", {
            let one = &good[good.find('[').unwrap() + 1..good.rfind(']').unwrap()];
            good.replacen(one, &format!("{one},{one}"), 1)
        }),
        (
            "lone surrogate escape",
            swap("Café menu", "Caf\\ud800 menu"),
        ),
        ("not an object", "[]".to_owned()),
        ("byte order mark before the JSON", format!("\u{feff}{good}")),
        ("trailing newline", format!("{good}\n")),
        (
            "deeply nested",
            format!(
                "{{\"attachments\":{}{}}}",
                "[".repeat(10_000),
                "]".repeat(10_000)
            ),
        ),
    ];
    json!({
        "content_type": ATTACHMENT_CONTENT_TYPE,
        "valid": valid.iter().map(|p| json!({"plaintext": p})).collect::<Vec<_>>(),
        "invalid": invalid.iter().map(|(why, p)| json!({"why": why, "plaintext": p})).collect::<Vec<_>>(),
    })
}

fn build() -> Value {
    let hdr = header(&nonce());
    let files: Vec<Value> = FILES
        .iter()
        .map(|(name, size)| {
            let (ct, summary) = encrypt_fixed(&pattern(*size));
            let mut v = json!({
                "name": name, "size": size, "ciphertext_size": ct.len(), "sha256": b64::encode(summary.sha256),
            });
            if ct.len() <= INLINE_MAX {
                v["ciphertext"] = b64::encode(&ct).into();
            }
            v
        })
        .collect();
    let ivs: Vec<Value> = [
        (0u64, false),
        (0, true),
        (1, false),
        (0x0102_0304_0506, true),
    ]
    .iter()
    .map(|&(i, last)| json!({"index": i, "last": last, "iv": b64::encode(chunk_iv(i, last))}))
    .collect();
    let sizes: Vec<u64> = vec![
        0,
        1,
        65_535,
        65_536,
        65_537,
        131_072,
        100 * 1024 * 1024,
        (1 << 53) - 1,
    ];
    json!({
        "version": 1,
        "description": DESCRIPTION,
        "chunk_size": C,
        "info": INFO_ATTACHMENT,
        "file_key": b64::encode(file_key().as_bytes()),
        "nonce": b64::encode(nonce()),
        "header": b64::encode(hdr),
        "payload_key": b64::encode(payload_key(&file_key(), &hdr)),
        "chunk_ivs": ivs,
        "files": files,
        "tampered": tampered(),
        "ciphertext_sizes": sizes.iter().map(|&s| json!({"size": s, "ciphertext_size": ciphertext_size(s)})).collect::<Vec<_>>(),
        "content": content_vectors(),
    })
}

#[test]
#[ignore = "writes tests/vectors/courier-attachments.json; run it on purpose"]
fn generate_attachment_vectors() {
    let text = serde_json::to_string_pretty(&build()).unwrap() + "\n";
    if std::env::var_os("COURIER_WRITE_VECTORS").is_some() {
        std::fs::write(path(), text).unwrap();
    }
}

fn vectors() -> Value {
    serde_json::from_str(&std::fs::read_to_string(path()).expect("read courier-attachments.json"))
        .unwrap()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))
}

#[test]
fn attachment_vectors_are_reproduced_exactly() {
    let v = vectors();
    assert_eq!(
        v,
        build(),
        "the file is what the generator writes (regenerate on purpose only)"
    );
}

#[test]
fn attachment_vector_derivations() {
    let v = vectors();
    assert_eq!(v["chunk_size"], C);
    assert_eq!(s(&v, "info"), INFO_ATTACHMENT);
    let nonce: [u8; 32] = b64::decode_array("nonce", s(&v, "nonce")).unwrap();
    let key = FileKey::from_bytes(b64::decode_array("key", s(&v, "file_key")).unwrap());
    let hdr = header(&nonce);
    assert_eq!(b64::encode(hdr), s(&v, "header"));
    assert_eq!(b64::encode(payload_key(&key, &hdr)), s(&v, "payload_key"));
    for iv in v["chunk_ivs"].as_array().unwrap() {
        let got = chunk_iv(iv["index"].as_u64().unwrap(), iv["last"].as_bool().unwrap());
        assert_eq!(b64::encode(got), s(iv, "iv"));
    }
    for c in v["ciphertext_sizes"].as_array().unwrap() {
        assert_eq!(
            ciphertext_size(c["size"].as_u64().unwrap()),
            c["ciphertext_size"].as_u64()
        );
    }
}

#[test]
fn attachment_vector_files_encrypt_and_decrypt() {
    let v = vectors();
    for f in v["files"].as_array().unwrap() {
        let name = s(f, "name");
        let size = f["size"].as_u64().unwrap() as usize;
        let (ct, summary) = encrypt_fixed(&pattern(size));
        assert_eq!(
            ct.len() as u64,
            f["ciphertext_size"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(b64::encode(summary.sha256), s(f, "sha256"), "{name}");
        assert_eq!(b64::encode(sha256(&ct)), s(f, "sha256"), "{name}");
        if let Some(whole) = f["ciphertext"].as_str() {
            assert_eq!(b64::encode(&ct), whole, "{name}");
        }
        let descriptor = AttachmentDescriptor {
            attachment_id: Uuid::nil(),
            key: file_key(),
            sha256: summary.sha256,
            name: "f".into(),
            media_type: "application/octet-stream".into(),
            size: size as u64,
            ciphertext_size: ct.len() as u64,
            dimensions: None,
            thumbnail: None,
        };
        let mut dec = AttachmentDecryptor::for_descriptor(&descriptor);
        let mut out = Vec::new();
        for piece in ct.chunks(7_777) {
            out.extend(dec.update(piece).unwrap());
        }
        out.extend(dec.finish().unwrap().0);
        assert_eq!(out, pattern(size), "{name}");
    }
}

#[test]
fn attachment_vector_tampered_ciphertexts_are_refused() {
    let v = vectors();
    let cases = v["tampered"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for t in cases {
        let mut bytes = Vec::new();
        for seg in t["segments"].as_array().unwrap() {
            if let Some(lit) = seg["base64"].as_str() {
                bytes.extend(b64::decode("segment", lit).unwrap());
            } else {
                let ct = ciphertext_of(s(seg, "file"));
                let (a, b) = (
                    seg["start"].as_u64().unwrap() as usize,
                    seg["end"].as_u64().unwrap() as usize,
                );
                bytes.extend(&ct[a..b]);
            }
        }
        for at in t["flip"].as_array().unwrap() {
            bytes[at.as_u64().unwrap() as usize] ^= 1;
        }
        let mut dec = AttachmentDecryptor::new(&file_key());
        let result = dec.update(&bytes).and_then(|_| dec.finish());
        let err = result.expect_err(s(t, "name"));
        assert_eq!(error_class(&err), s(t, "error"), "{}", s(t, "name"));
    }
}

#[test]
fn attachment_vector_contents_parse_or_are_refused() {
    let v = vectors();
    let c = &v["content"];
    assert_eq!(s(c, "content_type"), ATTACHMENT_CONTENT_TYPE);
    for ok in c["valid"].as_array().unwrap() {
        let text = s(ok, "plaintext");
        let msg = AttachmentMessage::parse(text.as_bytes()).unwrap();
        assert_eq!(msg.to_plaintext().unwrap(), text.as_bytes());
    }
    let first = AttachmentMessage::parse(s(&c["valid"][0], "plaintext").as_bytes()).unwrap();
    let d = &first.attachments[0];
    assert_eq!(d.size, 1);
    assert_eq!(b64::encode(d.sha256), s(&v["files"][1], "sha256"));
    for bad in c["invalid"].as_array().unwrap() {
        assert!(
            AttachmentMessage::parse(s(bad, "plaintext").as_bytes()).is_err(),
            "{}",
            s(bad, "why")
        );
    }
}
