//! Writes `tests/vectors/courier-v1.json` and `courier-v2.json` (the v2 envelope, from the v1
//! file's keys). Run on purpose only:
//! `COURIER_WRITE_VECTORS=1 cargo test -p courier-protocol --test vectors -- --ignored generate_vectors`
//! (`generate_v2_vectors` likewise)
//! (without the variable, a stray `--ignored` run builds the vectors but writes nothing).
//!
//! Fixed inputs (salt, ivs, user key, recovery key, content key) are SHA-256 of
//! `courier/v1/test-vector/<label>`, cut to length. RSA and ECDSA keys cannot be derived from
//! a seed with aws-lc, so the generator reuses the keys of the existing file when there is
//! one: regenerating then changes only the randomised values (signatures, OAEP outputs).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use courier_protocol::crypto::primitives::{
    aes_gcm_seal, rsa_oaep_encrypt, sha256, EcdsaPrivate, RsaPrivate,
};
use courier_protocol::crypto::{
    b64, commitment, derive_auth_key, derive_master_key, derive_stretch_key, fingerprint,
    fingerprint_digest, normalize_password, safety_number, seal_with, signature_input,
    signature_input_v2, wrap_with_iv, AccountKeys, Header, RecoveryKey, UnlockedAccount,
    WrapPurpose,
};
use courier_protocol::limits::COMMIT_LABEL;
use serde_json::{json, Value};
use uuid::Uuid;

use super::support::vectors_path;

pub const USERNAME: &str = "alice";
pub const PASSWORD: &str = "correct horse \u{2603} battery \u{fb01}";
pub const ITERATIONS: u32 = 600_000;
pub const ALICE_ID: &str = "c3a1e0f2-5b7d-4e21-9a3c-2f6d8b1e4a70";
pub const BOB_ID: &str = "4f1d2c3b-8a9e-4b7c-a6d5-e3f2a1b0c9d8";
pub const CONVERSATION_ID: &str = "0e7c9a1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d";
pub const MESSAGE_ID: &str = "d4e5f6a7-b8c9-4dab-9cde-f0123456789a";
pub const SENT_AT: u64 = 1_700_000_000_000;
pub const PLAINTEXT: &str = "Hello, Bob! \u{1f44b}";

const DESCRIPTION: &str = "Courier protocol v1 known-answer vectors. All binary values are standard base64 with padding; \
all strings are UTF-8. Deterministic values must be recomputed and compared exactly; randomised ones (ECDSA signatures, \
RSA-OAEP outputs) must be verified instead. \
kdf: password is NFKC-normalised (password_nfkc; note the U+FB01 ligature becomes 'fi') and UTF-8 encoded, then \
master_key = PBKDF2-HMAC-SHA256(password_nfkc, salt (16 bytes), iterations, 32 bytes); auth_key = HKDF-SHA256(ikm=master_key, \
salt=empty, info='courier/v1/auth', 32 bytes); stretch_key = HKDF(master_key, info 'courier/v1/wrap'). username is the \
lowercase username bound into the AADs. \
recovery: recovery_key is 32 bytes (shown to users as this base64 string); auth_key = HKDF(recovery_key, \
'courier/v1/recovery-auth'); wrap_key = HKDF(recovery_key, 'courier/v1/recovery-wrap'). \
wraps: AES-256-GCM wraps with a FIXED iv (real wraps use a random one): wrapped = iv (12) || ciphertext || tag (16), \
under key, with aad the UTF-8 of the aad string, of plaintext. name user_key: the user key under kdf.stretch_key; \
user_key_recovery: the user key under recovery.wrap_key; enc_private / sig_private: keys.enc_private_pkcs8 / \
keys.sig_private_pkcs8 under keys.user_key. Recompute wrapped and compare; also unwrap it. \
keys: user_key (32 bytes); enc_private_pkcs8 / enc_public_spki: RSA-3072 (e = 65537) PKCS#8 and SPKI DER, used with \
RSA-OAEP SHA-256 / MGF1-SHA-256; sig_private_pkcs8 / sig_public_spki: ECDSA P-256 PKCS#8 and SPKI DER; \
key_signature: ECDSA-P256-SHA256, raw r||s (64 bytes), by sig_private over the bytes of enc_public_spki (verify it). \
Together with wraps these are alice's login keys: {enc_public, sig_public, key_signature, wrapped_user_key = \
wraps[user_key].wrapped, wrapped_enc_private = wraps[enc_private].wrapped, wrapped_sig_private = wraps[sig_private].wrapped}, \
which open with kdf.password. \
envelope: header_fields are the header's fields; header is their canonical JSON (RFC 8785: keys sorted, no \
whitespace, lowercase hyphenated UUIDs, recipients sorted ascending and including the sender); h = SHA-256(header); \
content_key (32 bytes) and iv (12 bytes) are FIXED here (random in real use); ciphertext = AES-256-GCM(content_key, iv, \
plaintext_utf8, aad = h), tag included, iv not included; signature_input = h || iv || ciphertext; signature = \
ECDSA-P256-SHA256 raw r||s by keys.sig_private over signature_input (randomised: verify with keys.sig_public_spki); \
wrapped_key = RSA-OAEP-SHA256 (MGF1-SHA256) of content_key under keys.enc_public_spki with OAEP label = h (the 32 raw \
bytes) for recipient_user_id (alice, the sender; randomised: decrypt with keys.enc_private_pkcs8 and compare to \
content_key). \
fingerprint: digest = SHA-256(user_id as the 36-character lowercase UUID string in UTF-8 || 0x00 || enc_public_spki || \
sig_public_spki); fingerprint = 6 groups, group i = big-endian integer of digest[5i..5i+5] mod 100000, zero-padded to 5 \
digits, joined by single spaces. \
safety_number: a is alice (fingerprint above), b is bob (his public keys given so his fingerprint can be recomputed); \
safety_number = the two fingerprints ordered by user id string ascending (here bob's first), joined by a single space. \
bad: rsa2048_spki is a valid 2048-bit RSA SPKI that must be refused as too small (as enc_public, with the keys above); \
key_signature_wrong is a valid-looking signature over keys.enc_public_spki by a different P-256 key, which must not \
verify under keys.sig_public_spki.";

fn fixed<const N: usize>(label: &str) -> [u8; N] {
    let digest = sha256(format!("courier/v1/test-vector/{label}").as_bytes());
    digest[..N].try_into().unwrap()
}

#[test]
#[ignore = "writes tests/vectors/courier-v1.json; run it on purpose"]
fn generate_vectors() {
    let old: Option<Value> = std::fs::read_to_string(vectors_path())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let reuse = |pointer: &str| -> Option<Vec<u8>> {
        let text = old.as_ref()?.pointer(pointer)?.as_str()?;
        b64::decode("reuse", text).ok()
    };

    let enc_pkcs8 = reuse("/keys/enc_private_pkcs8")
        .unwrap_or_else(|| RsaPrivate::generate().unwrap().pkcs8().to_vec());
    let sig_pkcs8 = reuse("/keys/sig_private_pkcs8")
        .unwrap_or_else(|| EcdsaPrivate::generate().unwrap().pkcs8().to_vec());
    let (bob_enc, bob_sig) = match (
        reuse("/safety_number/b/enc_public_spki"),
        reuse("/safety_number/b/sig_public_spki"),
    ) {
        (Some(enc), Some(sig)) => (enc, sig),
        _ => {
            let keys = AccountKeys::generate().unwrap();
            (
                keys.enc_public_spki().to_vec(),
                keys.sig_public_spki().to_vec(),
            )
        }
    };
    let rsa2048 = reuse("/bad/rsa2048_spki").unwrap_or_else(|| {
        let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
        key.public_key().as_der().unwrap().as_ref().to_vec()
    });

    // kdf and recovery
    let salt: [u8; 16] = fixed("salt");
    let master = derive_master_key(PASSWORD, &salt, ITERATIONS).unwrap();
    let (auth, stretch) = (derive_auth_key(&master), derive_stretch_key(&master));
    let recovery = RecoveryKey::from_bytes(fixed("recovery-key"));

    // keys
    let user_key: [u8; 32] = fixed("user-key");
    let keys = AccountKeys::from_parts(user_key, &enc_pkcs8, &sig_pkcs8).unwrap();
    let alice = UnlockedAccount::from_keys(USERNAME, keys.clone()).unwrap();

    // wraps
    let wrap_entries = [
        ("user_key", WrapPurpose::UserKey, stretch, user_key.to_vec()),
        (
            "user_key_recovery",
            WrapPurpose::UserKeyRecovery,
            recovery.wrap_key(),
            user_key.to_vec(),
        ),
        (
            "enc_private",
            WrapPurpose::EncKey,
            user_key,
            enc_pkcs8.clone(),
        ),
        (
            "sig_private",
            WrapPurpose::SigKey,
            user_key,
            sig_pkcs8.clone(),
        ),
    ];
    let wraps: Vec<Value> = wrap_entries
        .iter()
        .map(|(name, purpose, key, plaintext)| {
            let iv: [u8; 12] = fixed(&format!("iv/{name}"));
            let aad = purpose.aad(USERNAME);
            let wrapped = wrap_with_iv(key, &iv, aad.as_bytes(), plaintext).unwrap();
            json!({"name": name, "key": b64::encode(key), "iv": b64::encode(iv), "aad": aad,
                   "plaintext": b64::encode(plaintext), "wrapped": b64::encode(wrapped)})
        })
        .collect();

    // envelope
    let (alice_id, bob_id) = (
        Uuid::parse_str(ALICE_ID).unwrap(),
        Uuid::parse_str(BOB_ID).unwrap(),
    );
    let conversation_id = Uuid::parse_str(CONVERSATION_ID).unwrap();
    let message_id = Uuid::parse_str(MESSAGE_ID).unwrap();
    let header = Header::new(
        conversation_id,
        message_id,
        alice_id,
        [bob_id],
        "text/plain",
        SENT_AT,
    )
    .unwrap()
    .into_legacy_v1();
    let h = header.hash();
    let content_key: [u8; 32] = fixed("content-key");
    let iv: [u8; 12] = fixed("envelope-iv");
    let recipients = [
        (alice_id, keys.enc_public_spki().to_vec()),
        (bob_id, bob_enc.clone()),
    ];
    let envelope = seal_with(
        &header,
        PLAINTEXT.as_bytes(),
        &alice,
        &recipients,
        &content_key,
        &iv,
    )
    .unwrap();
    assert_eq!(
        envelope.ciphertext,
        aes_gcm_seal(&content_key, &iv, &h, PLAINTEXT.as_bytes()).unwrap()
    );
    let alice_wrapped = envelope
        .keys
        .iter()
        .find(|k| k.user_id == alice_id)
        .unwrap();

    // fingerprints
    let alice_fp = fingerprint(alice_id, keys.enc_public_spki(), keys.sig_public_spki());
    let bob_fp = fingerprint(bob_id, &bob_enc, &bob_sig);
    let wrong_signature = EcdsaPrivate::generate()
        .unwrap()
        .sign(keys.enc_public_spki())
        .unwrap();

    let vectors = json!({
        "description": DESCRIPTION,
        "version": 1,
        "kdf": {
            "username": USERNAME, "password": PASSWORD, "password_nfkc": normalize_password(PASSWORD),
            "salt": b64::encode(salt), "iterations": ITERATIONS, "master_key": b64::encode(master),
            "auth_key": b64::encode(auth), "stretch_key": b64::encode(stretch),
        },
        "recovery": {
            "recovery_key": b64::encode(recovery.as_bytes()), "auth_key": b64::encode(recovery.auth_key()),
            "wrap_key": b64::encode(recovery.wrap_key()),
        },
        "wraps": wraps,
        "keys": {
            "user_key": b64::encode(user_key),
            "enc_private_pkcs8": b64::encode(&enc_pkcs8), "enc_public_spki": b64::encode(keys.enc_public_spki()),
            "sig_private_pkcs8": b64::encode(&sig_pkcs8), "sig_public_spki": b64::encode(keys.sig_public_spki()),
            "key_signature": b64::encode(keys.key_signature()),
        },
        "envelope": {
            "header_fields": {
                "v": 1, "conversation_id": CONVERSATION_ID, "message_id": MESSAGE_ID, "sender_id": ALICE_ID,
                "recipients": header.recipients(), "content_type": "text/plain", "sent_at": SENT_AT,
            },
            "header": envelope.header, "h": b64::encode(h), "content_key": b64::encode(content_key),
            "iv": b64::encode(iv), "plaintext_utf8": PLAINTEXT, "ciphertext": b64::encode(&envelope.ciphertext),
            "signature_input": b64::encode(signature_input(&h, &iv, &envelope.ciphertext)),
            "signature": b64::encode(&envelope.signature), "recipient_user_id": ALICE_ID,
            "wrapped_key": b64::encode(&alice_wrapped.wrapped_key),
        },
        "fingerprint": {
            "user_id": ALICE_ID, "enc_public_spki": b64::encode(keys.enc_public_spki()),
            "sig_public_spki": b64::encode(keys.sig_public_spki()),
            "digest": b64::encode(fingerprint_digest(alice_id, keys.enc_public_spki(), keys.sig_public_spki())),
            "fingerprint": alice_fp,
        },
        "safety_number": {
            "a": {"user_id": ALICE_ID, "fingerprint": alice_fp},
            "b": {"user_id": BOB_ID, "fingerprint": bob_fp, "enc_public_spki": b64::encode(&bob_enc),
                  "sig_public_spki": b64::encode(&bob_sig)},
            "safety_number": safety_number(alice_id, &alice_fp, bob_id, &bob_fp),
        },
        "bad": {"rsa2048_spki": b64::encode(&rsa2048), "key_signature_wrong": b64::encode(wrong_signature)},
    });
    let text = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    if std::env::var_os("COURIER_WRITE_VECTORS").is_some() {
        std::fs::write(vectors_path(), text).unwrap();
    } else {
        eprintln!(
            "set COURIER_WRITE_VECTORS=1 to write {}",
            vectors_path().display()
        );
    }
}

const DESCRIPTION_V2: &str = "Courier protocol v2 envelope known-answer vectors: the key-committing envelope. \
Everything not described here is as in courier-v1.json (same encodings; keys are alice's keys from courier-v1.json, \
copied under keys). envelope: header_fields are the header's fields, with v = 2; header is their canonical JSON; \
h = SHA-256(header); content_key K (32 bytes) and iv (12 bytes) are FIXED here (random in real use); ciphertext = \
AES-256-GCM(K, iv, plaintext_utf8, aad = h), tag included; commit_label is the ASCII string 'courier/v2/commit'; \
commitment_input = commit_label || h (17 + 32 bytes); commitment = HMAC-SHA256(key = K, message = commitment_input), \
32 bytes, sent as the envelope field `commitment`; signature_input = h || commitment || iv || ciphertext; signature = \
ECDSA-P256-SHA256 raw r||s by alice's signing key over signature_input (randomised: verify with keys.sig_public_spki); \
wrapped_key = RSA-OAEP-SHA256 of K under keys.enc_public_spki with label h, for recipient_user_id (alice; randomised: \
decrypt with keys.enc_private_pkcs8 and compare to K). A receiver checks the header against the event, verifies the \
signature over signature_input with the sender's pinned key, unwraps K, recomputes the commitment and compares it in \
constant time (a mismatch is a verification failure), and only then decrypts. multi_recipient_attack: the same kind of \
signed v2 message, except that the copy of the content key wrapped for recipient_user_id is other_key (a different \
key, as a malicious sender would give one recipient so that it reads something else than the others): the signature \
verifies, the wrapped key unwraps to other_key, and opening must fail on the commitment check (before any decryption).";

#[test]
#[ignore = "writes tests/vectors/courier-v2.json; run it on purpose"]
fn generate_v2_vectors() {
    let v1: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors_path()).unwrap()).unwrap();
    let key = |name: &str| b64::decode("v1", v1["keys"][name].as_str().unwrap()).unwrap();
    let user_key: [u8; 32] = key("user_key").try_into().unwrap();
    let keys = AccountKeys::from_parts(
        user_key,
        &key("enc_private_pkcs8"),
        &key("sig_private_pkcs8"),
    )
    .unwrap();
    let alice = UnlockedAccount::from_keys(USERNAME, keys.clone()).unwrap();
    let bob_enc = b64::decode(
        "v1",
        v1["safety_number"]["b"]["enc_public_spki"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let (alice_id, bob_id) = (
        Uuid::parse_str(ALICE_ID).unwrap(),
        Uuid::parse_str(BOB_ID).unwrap(),
    );
    let header = Header::new(
        Uuid::parse_str(CONVERSATION_ID).unwrap(),
        Uuid::parse_str(MESSAGE_ID).unwrap(),
        alice_id,
        [bob_id],
        "text/plain",
        SENT_AT,
    )
    .unwrap();
    assert_eq!(header.version(), 2);
    let h = header.hash();
    let content_key: [u8; 32] = fixed("v2/content-key");
    let iv: [u8; 12] = fixed("v2/envelope-iv");
    let recipients = [
        (alice_id, keys.enc_public_spki().to_vec()),
        (bob_id, bob_enc),
    ];
    let envelope = seal_with(
        &header,
        PLAINTEXT.as_bytes(),
        &alice,
        &recipients,
        &content_key,
        &iv,
    )
    .unwrap();
    let commitment = commitment(&content_key, &h);
    assert_eq!(envelope.commitment.as_deref(), Some(commitment.as_slice()));
    let wrapped = |e: &courier_protocol::crypto::Envelope| {
        e.keys
            .iter()
            .find(|k| k.user_id == alice_id)
            .unwrap()
            .wrapped_key
            .clone()
    };

    // The attack: same header, another fixed key and iv, and alice's copy of the content key
    // replaced by another key after signing.
    let attack_key: [u8; 32] = fixed("v2/attack-content-key");
    let other_key: [u8; 32] = fixed("v2/attack-other-key");
    let attack_iv: [u8; 12] = fixed("v2/attack-iv");
    let attack = seal_with(
        &header,
        b"pay alice",
        &alice,
        &recipients,
        &attack_key,
        &attack_iv,
    )
    .unwrap();
    let substituted = rsa_oaep_encrypt(keys.enc_public_spki(), &h, &other_key).unwrap();

    let vectors = json!({
        "description": DESCRIPTION_V2,
        "version": 2,
        "keys": {
            "enc_private_pkcs8": v1["keys"]["enc_private_pkcs8"], "enc_public_spki": v1["keys"]["enc_public_spki"],
            "sig_public_spki": v1["keys"]["sig_public_spki"],
        },
        "envelope": {
            "header_fields": {
                "v": 2, "conversation_id": CONVERSATION_ID, "message_id": MESSAGE_ID, "sender_id": ALICE_ID,
                "recipients": header.recipients(), "content_type": "text/plain", "sent_at": SENT_AT,
            },
            "header": envelope.header, "h": b64::encode(h), "content_key": b64::encode(content_key),
            "iv": b64::encode(iv), "plaintext_utf8": PLAINTEXT, "ciphertext": b64::encode(&envelope.ciphertext),
            "commit_label": COMMIT_LABEL,
            "commitment_input": b64::encode([COMMIT_LABEL.as_bytes(), h.as_slice()].concat()),
            "commitment": b64::encode(commitment),
            "signature_input": b64::encode(signature_input_v2(&h, &commitment, &iv, &envelope.ciphertext)),
            "signature": b64::encode(&envelope.signature), "recipient_user_id": ALICE_ID,
            "wrapped_key": b64::encode(wrapped(&envelope)),
        },
        "multi_recipient_attack": {
            "header": attack.header, "content_key": b64::encode(attack_key), "other_key": b64::encode(other_key),
            "iv": b64::encode(attack_iv), "ciphertext": b64::encode(&attack.ciphertext),
            "commitment": b64::encode(attack.commitment.as_deref().unwrap()),
            "signature": b64::encode(&attack.signature), "recipient_user_id": ALICE_ID,
            "wrapped_key": b64::encode(substituted),
        },
    });
    let text = serde_json::to_string_pretty(&vectors).unwrap() + "\n";
    if std::env::var_os("COURIER_WRITE_VECTORS").is_some() {
        std::fs::write(vectors_path().with_file_name("courier-v2.json"), text).unwrap();
    } else {
        eprintln!("set COURIER_WRITE_VECTORS=1 to write courier-v2.json");
    }
}
