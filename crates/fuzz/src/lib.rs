//! The bodies of the fuzz targets: one function per parser that sees untrusted bytes. Each must
//! return for any input, never panic, and uphold the invariant it asserts (a panic is a
//! finding). The libFuzzer binaries in `fuzz_targets/` call these; `tests/fuzz_corpus.rs`
//! includes this file and replays the committed corpus through every one of them on stable.
//!
//! Inputs often start with a selector byte that picks how the rest is used, so one target
//! covers a parser both as raw bytes and as the structured value a peer could really send
//! (e.g. claims correctly signed, a header inside an otherwise valid envelope).

use std::sync::OnceLock;

use base64::{engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD}, Engine};
use courier_protocol::crypto::{self, AccountKeys, Header, KeyBundle, OpenContext, ReceivedMessage, UnlockedAccount};
use hmac::{Hmac, Mac};
use uuid::Uuid;

/// Every target by name, for the corpus replay.
pub const TARGETS: [(&str, fn(&[u8])); 6] = [
    ("server_envelope", server_envelope),
    ("client_envelope", client_envelope),
    ("last_event_id", last_event_id),
    ("sse", sse),
    ("token", token),
    ("unwrap", unwrap),
];

fn split(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((first, rest)) => (*first, rest),
        None => (0, &[]),
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The server's envelope check (`POST …/messages`): either a whole JSON body, or a header
/// string inside a body whose other fields are well formed. Whatever it accepts is canonical.
pub fn server_envelope(data: &[u8]) {
    use courier::messages::envelope::{Envelope, EnvelopeBody};
    let (mode, rest) = split(data);
    let body = if mode % 2 == 0 {
        match serde_json::from_slice::<EnvelopeBody>(rest) {
            Ok(body) => body,
            Err(_) => return,
        }
    } else {
        let header = text(rest);
        let keys = serde_json::from_str::<serde_json::Value>(&header)
            .ok()
            .and_then(|h| h.get("recipients").cloned())
            .and_then(|r| serde_json::from_value::<Vec<Uuid>>(r).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|user_id| serde_json::json!({"user_id": user_id, "wrapped_key": STANDARD.encode([7u8; 384])}))
            .collect::<Vec<_>>();
        let body = serde_json::json!({
            "header": header,
            "iv": STANDARD.encode([1u8; 12]),
            "ciphertext": STANDARD.encode([2u8; 32]),
            "signature": STANDARD.encode([3u8; 64]),
            "keys": keys,
        });
        serde_json::from_value(body).expect("a well-formed body")
    };
    if let Ok(envelope) = Envelope::parse(body) {
        let reparsed: serde_json::Value = serde_json::from_str(&envelope.header).expect("accepted header is JSON");
        assert_eq!(serde_json::to_string(&reparsed).unwrap(), envelope.header, "accepted header is canonical");
        assert!(envelope.recipients.windows(2).all(|w| w[0] < w[1]), "recipients sorted and unique");
        assert!(envelope.recipients.contains(&envelope.sender_id), "sender among recipients");
        assert_eq!(envelope.keys.len(), envelope.recipients.len(), "one key per recipient");
        assert!(envelope.sent_at >= 0, "sent_at non-negative");
    }
}

/// One account, made once per process (RSA key generation is slow): the reader, and for the
/// "malicious sender" mode also the sender.
fn account() -> &'static UnlockedAccount {
    static ACCOUNT: OnceLock<UnlockedAccount> = OnceLock::new();
    ACCOUNT.get_or_init(|| UnlockedAccount::from_keys("fuzzer", AccountKeys::generate().unwrap()).unwrap())
}

fn ids() -> (Uuid, Uuid, Uuid) {
    (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3))
}

/// The clients' side: `Header::parse`, and `open` on a received message, either all from the
/// input or a genuinely sealed message (a group member may sign anything) whose unsigned
/// wrapped key, or whose plaintext, the input chooses. Nothing unverified is ever returned.
pub fn client_envelope(data: &[u8]) {
    let (mode, rest) = split(data);
    match mode % 3 {
        0 => {
            let input = text(rest);
            if let Ok(header) = Header::parse(&input) {
                assert_eq!(header.canonical(), input, "a parsed header is its canonical form");
                assert!(header.recipients().contains(&header.sender_id()));
            }
        }
        1 => {
            let Ok(message) = serde_json::from_slice::<ReceivedMessage>(rest) else { return };
            let reader = account();
            let (conversation_id, sender_id, _) = ids();
            let context = match Header::parse(&message.header) {
                Ok(h) => OpenContext {
                    conversation_id: h.conversation_id(),
                    sender_id: h.sender_id(),
                    recipient_id: h.recipients()[0],
                    message_id: None,
                },
                Err(_) => OpenContext { conversation_id, sender_id, recipient_id: sender_id, message_id: None },
            };
            let opened = crypto::open(&message, &context, reader.sig_public_spki(), reader);
            assert!(opened.is_err(), "no input signature verifies under a key generated in this process");
        }
        _ => {
            let sender = account();
            let (conversation_id, message_id, me) = ids();
            let Ok(header) = Header::new(conversation_id, message_id, me, [me], courier_protocol::limits::TEXT_PLAIN, 1) else { return };
            let (plaintext, wrapped) = rest.split_at(rest.len() / 2);
            let envelope = crypto::seal(&header, plaintext, sender, &[(me, sender.enc_public_spki())]).expect("seal");
            let mut message = envelope.for_recipient(me).expect("own copy");
            let honest = wrapped.is_empty();
            if !honest {
                message.wrapped_key = wrapped.to_vec();
            }
            let context = OpenContext { conversation_id, sender_id: me, recipient_id: me, message_id: Some(message_id) };
            match crypto::open(&message, &context, sender.sig_public_spki(), sender) {
                Ok(opened) => assert_eq!(opened.plaintext, plaintext, "what opens is what was sealed"),
                Err(e) => assert!(!honest, "an honest message must open: {e:?}"),
            }
        }
    }
}

/// `GET /api/events`' resume point: the raw query string, then (after a 0 byte) the
/// `Last-Event-ID` header's bytes. Any accepted value is a seq ≥ 0.
pub fn last_event_id(data: &[u8]) {
    let (query, header) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let query = text(query);
    if let Ok(seq) = courier::events::resume::resume_point_from(&query, header) {
        assert!(seq >= 0, "resume point {seq} is negative");
    }
}

/// The clients' SSE parser: the first byte picks a chunk size; events must not depend on how
/// the bytes were split, and every event has data.
pub fn sse(data: &[u8]) {
    use courier_client::sse::SseParser;
    let (size, rest) = split(data);
    let collect = |chunk: usize| {
        let mut parser = SseParser::default();
        let mut events = Vec::new();
        for piece in rest.chunks(chunk.max(1)) {
            if parser.feed(piece).is_err() {
                return None;
            }
            while let Some(event) = parser.next_event() {
                events.push(event);
            }
        }
        Some(events)
    };
    let whole = collect(rest.len());
    let pieces = collect(usize::from(size % 17) + 1);
    if let (Some(whole), Some(pieces)) = (whole, pieces) {
        assert_eq!(whole, pieces, "chunking changed the events");
        assert!(whole.iter().all(|e| !e.event.is_empty()), "every event has a type");
    }
}

const SECRET: &[u8] = b"fuzz-jwt-secret-that-is-long-enough-0123456789";

/// Access-token verification: either the input as a token, or the input as the claims of a
/// correctly signed HS256 token (so the claims decoder and the checks after the signature
/// are reached). Whatever verifies names our issuer and audience and has not expired.
pub fn token(data: &[u8]) {
    let keys = courier::auth::tokens::TokenKeys::from_secret(SECRET, 900);
    let (mode, rest) = split(data);
    let token = if mode % 2 == 0 {
        text(rest)
    } else {
        let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let signing_input = format!("{head}.{}", URL_SAFE_NO_PAD.encode(rest));
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET).expect("any key length");
        mac.update(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    };
    if let Some(verified) = keys.verify(&token) {
        assert_eq!(mode % 2, 1, "an unsigned input verified");
        let claims: serde_json::Value = serde_json::from_slice(rest).expect("verified claims are JSON");
        assert_eq!(claims["iss"], courier::auth::tokens::ISSUER);
        assert!(verified.expires_at.saturating_add(5) >= courier::auth::tokens::now_secs(), "an expired token verified");
    }
}

/// Key unwrapping on the client: AES-GCM wraps (raw), recovery keys as typed, and the login
/// `keys` object from the server, both as given and with private keys wrapped correctly
/// under the user key (so the PKCS#8 parsing and key checks behind the unwrap are reached).
pub fn unwrap(data: &[u8]) {
    use crypto::wrap::{unwrap, unwrap_key, wrap_with_iv, WrapPurpose};
    const KEY: [u8; 32] = [5; 32];
    let (mode, rest) = split(data);
    match mode % 4 {
        0 => {
            let aad = WrapPurpose::UserKey.aad("fuzzer");
            assert!(unwrap(&KEY, aad.as_bytes(), rest).is_err(), "a forged wrap opened");
            assert!(unwrap_key(&KEY, aad.as_bytes(), rest).is_err(), "a forged key wrap opened");
        }
        1 => {
            let _ = crypto::RecoveryKey::parse(&text(rest));
            let _ = crypto::normalize_username(&text(rest));
        }
        2 => {
            let Ok(keys) = serde_json::from_slice::<KeyBundle>(rest) else { return };
            let user_key = crypto::UserKey::from_bytes(KEY);
            assert!(UnlockedAccount::with_user_key("fuzzer", user_key, &keys).is_err(), "forged keys unlocked");
        }
        _ => {
            let genuine = account().keys();
            let (enc, sig) = rest.split_at(rest.len() / 2);
            let wrap = |purpose: WrapPurpose, plain: &[u8]| {
                STANDARD.encode(wrap_with_iv(&KEY, &[9; 12], purpose.aad("fuzzer").as_bytes(), plain).unwrap())
            };
            let keys = KeyBundle {
                enc_public: STANDARD.encode(genuine.enc_public_spki()),
                sig_public: STANDARD.encode(genuine.sig_public_spki()),
                key_signature: STANDARD.encode(genuine.key_signature()),
                wrapped_user_key: String::new(),
                wrapped_enc_private: wrap(WrapPurpose::EncKey, enc),
                wrapped_sig_private: wrap(WrapPurpose::SigKey, sig),
            };
            if UnlockedAccount::with_user_key("fuzzer", crypto::UserKey::from_bytes(KEY), &keys).is_ok() {
                assert_eq!(enc, genuine.enc_private_pkcs8(), "a foreign RSA key passed as ours");
            }
        }
    }
}
