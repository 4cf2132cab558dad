//! The protocol's crypto against the known-answer files `tests/vectors/courier-v1.json` and
//! `courier-v2.json` (the key-committing envelope; the single source of truth shared with the
//! TypeScript client), plus round trips and tampering checks.
//! The attachment vectors (`courier-attachments.json`, §11) are checked in `vectors/attachments.rs`.
//! Regenerate the file with
//! `COURIER_WRITE_VECTORS=1 cargo test -p courier-protocol --test vectors -- --ignored generate_vectors`.

#[path = "vectors/attachments.rs"]
mod attachments;
#[path = "vectors/generate.rs"]
mod generate;
#[path = "vectors/round_trips.rs"]
mod round_trips;
#[path = "vectors/series.rs"]
mod series;
#[path = "vectors/support.rs"]
mod support;
#[path = "vectors/tampering.rs"]
mod tampering;

use courier_protocol::crypto::primitives::{
    aes_gcm_seal, ecdsa_verify, sha256, EcdsaPrivate, RsaPrivate,
};
use courier_protocol::crypto::{
    b64, commitment, derive_auth_key, derive_master_key, derive_recovery_auth_key,
    derive_recovery_wrap_key, derive_stretch_key, fingerprint, fingerprint_digest,
    normalize_password, open, safety_number, signature_input, signature_input_v2, unwrap,
    validate_public_keys, wrap_with_iv, CryptoError, Header, KeyBundle, KeyError, OpenContext,
    ReceivedMessage, RecoveryKey, UnlockedAccount, WrapPurpose,
};
use courier_protocol::limits::COMMIT_LABEL;
use serde_json::Value;
use uuid::Uuid;

use support::{b, b32, s, vectors, vectors_v2};

fn uuid(v: &Value, pointer: &str) -> Uuid {
    Uuid::parse_str(s(v, pointer)).unwrap()
}

/// Alice's login keys as the server would return them, taken from the vector wraps.
fn vector_login_keys(v: &Value) -> KeyBundle {
    let wrapped = |name: &str| {
        let wraps = v["wraps"].as_array().unwrap();
        let entry = wraps.iter().find(|w| w["name"] == name).unwrap();
        entry["wrapped"].as_str().unwrap().to_owned()
    };
    KeyBundle {
        enc_public: s(v, "/keys/enc_public_spki").to_owned(),
        sig_public: s(v, "/keys/sig_public_spki").to_owned(),
        key_signature: s(v, "/keys/key_signature").to_owned(),
        wrapped_user_key: wrapped("user_key"),
        wrapped_enc_private: wrapped("enc_private"),
        wrapped_sig_private: wrapped("sig_private"),
    }
}

#[test]
fn the_vector_file_is_version_1_and_describes_itself() {
    let v = vectors();
    assert_eq!(v["version"], 1);
    assert!(s(v, "/description").len() > 500);
}

#[test]
fn vector_password_derivations_are_reproduced() {
    let v = vectors();
    let password = s(v, "/kdf/password");
    assert_eq!(normalize_password(password), s(v, "/kdf/password_nfkc"));
    assert_ne!(
        password,
        s(v, "/kdf/password_nfkc"),
        "the vector must exercise NFKC"
    );
    let iterations = v["kdf"]["iterations"].as_u64().unwrap() as u32;
    assert_eq!(iterations, 600_000);
    let master = derive_master_key(password, &b(v, "/kdf/salt"), iterations).unwrap();
    assert_eq!(master, b32(v, "/kdf/master_key"));
    assert_eq!(derive_auth_key(&master), b32(v, "/kdf/auth_key"));
    assert_eq!(derive_stretch_key(&master), b32(v, "/kdf/stretch_key"));
}

#[test]
fn vector_recovery_derivations_are_reproduced() {
    let v = vectors();
    let recovery = RecoveryKey::parse(s(v, "/recovery/recovery_key")).unwrap();
    assert_eq!(recovery.auth_key(), b32(v, "/recovery/auth_key"));
    assert_eq!(recovery.wrap_key(), b32(v, "/recovery/wrap_key"));
    assert_eq!(
        derive_recovery_auth_key(recovery.as_bytes()),
        recovery.auth_key()
    );
    assert_eq!(
        derive_recovery_wrap_key(recovery.as_bytes()),
        recovery.wrap_key()
    );
}

#[test]
fn vector_wraps_are_reproduced_with_their_fixed_ivs_and_unwrap() {
    let v = vectors();
    let username = s(v, "/kdf/username");
    let expected = [
        (
            "user_key",
            WrapPurpose::UserKey,
            "/kdf/stretch_key",
            "/keys/user_key",
        ),
        (
            "user_key_recovery",
            WrapPurpose::UserKeyRecovery,
            "/recovery/wrap_key",
            "/keys/user_key",
        ),
        (
            "enc_private",
            WrapPurpose::EncKey,
            "/keys/user_key",
            "/keys/enc_private_pkcs8",
        ),
        (
            "sig_private",
            WrapPurpose::SigKey,
            "/keys/user_key",
            "/keys/sig_private_pkcs8",
        ),
    ];
    let wraps = v["wraps"].as_array().unwrap();
    assert_eq!(wraps.len(), expected.len());
    for (name, purpose, key_at, plaintext_at) in expected {
        let w = wraps.iter().find(|w| w["name"] == name).unwrap();
        assert_eq!(s(w, "/aad"), purpose.aad(username), "{name}");
        assert_eq!(b(w, "/key"), b(v, key_at), "{name} key");
        assert_eq!(b(w, "/plaintext"), b(v, plaintext_at), "{name} plaintext");
        let key = b32(w, "/key");
        let iv: [u8; 12] = b(w, "/iv").try_into().unwrap();
        let wrapped =
            wrap_with_iv(&key, &iv, s(w, "/aad").as_bytes(), &b(w, "/plaintext")).unwrap();
        assert_eq!(b64::encode(&wrapped), s(w, "/wrapped"), "{name} wrapped");
        assert_eq!(
            unwrap(&key, s(w, "/aad").as_bytes(), &wrapped).unwrap(),
            b(w, "/plaintext")
        );
    }
}

#[test]
fn vector_keys_are_consistent_and_their_key_signature_verifies() {
    let v = vectors();
    let enc = RsaPrivate::from_pkcs8(&b(v, "/keys/enc_private_pkcs8")).unwrap();
    let sig = EcdsaPrivate::from_pkcs8(&b(v, "/keys/sig_private_pkcs8")).unwrap();
    assert_eq!(enc.spki(), b(v, "/keys/enc_public_spki"));
    assert_eq!(sig.spki(), b(v, "/keys/sig_public_spki"));
    validate_public_keys(enc.spki(), sig.spki(), &b(v, "/keys/key_signature")).unwrap();
}

#[test]
fn vector_envelope_is_reproduced_and_its_randomised_parts_verify() {
    let v = vectors();
    let e = &v["envelope"];
    let f = &e["header_fields"];
    assert_eq!(f["v"], 1);
    let recipients: Vec<Uuid> = f["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let header = Header::new(
        uuid(f, "/conversation_id"),
        uuid(f, "/message_id"),
        uuid(f, "/sender_id"),
        recipients.clone(),
        s(f, "/content_type"),
        f["sent_at"].as_u64().unwrap(),
    )
    .unwrap()
    .into_legacy_v1();
    assert_eq!(
        header.recipients(),
        recipients.as_slice(),
        "vector recipients are sorted"
    );
    assert_eq!(header.canonical(), s(e, "/header"));
    assert_eq!(Header::parse(s(e, "/header")).unwrap(), header);
    let h = sha256(s(e, "/header").as_bytes());
    assert_eq!(h.to_vec(), b(e, "/h"));
    let content_key = b32(e, "/content_key");
    let iv: [u8; 12] = b(e, "/iv").try_into().unwrap();
    let plaintext = s(e, "/plaintext_utf8").as_bytes();
    let ciphertext = aes_gcm_seal(&content_key, &iv, &h, plaintext).unwrap();
    assert_eq!(ciphertext, b(e, "/ciphertext"));
    assert_eq!(
        signature_input(&h, &iv, &ciphertext),
        b(e, "/signature_input")
    );
    assert!(ecdsa_verify(
        &b(v, "/keys/sig_public_spki"),
        &b(e, "/signature_input"),
        &b(e, "/signature")
    ));
    let enc = RsaPrivate::from_pkcs8(&b(v, "/keys/enc_private_pkcs8")).unwrap();
    assert_eq!(enc.decrypt(&h, &b(e, "/wrapped_key")).unwrap(), content_key);
    assert!(
        enc.decrypt(&[0; 32], &b(e, "/wrapped_key")).is_none(),
        "the OAEP label is h"
    );
}

#[test]
fn vector_envelope_opens_after_a_password_login_with_the_vector_keys() {
    let v = vectors();
    let account = UnlockedAccount::open(
        s(v, "/kdf/username"),
        s(v, "/kdf/password"),
        &b(v, "/kdf/salt"),
        600_000,
        &vector_login_keys(v),
    )
    .unwrap();
    let e = &v["envelope"];
    let message = ReceivedMessage {
        header: s(e, "/header").to_owned(),
        commitment: None,
        iv: b(e, "/iv"),
        ciphertext: b(e, "/ciphertext"),
        signature: b(e, "/signature"),
        wrapped_key: b(e, "/wrapped_key"),
    };
    let context = OpenContext {
        conversation_id: uuid(e, "/header_fields/conversation_id"),
        sender_id: uuid(e, "/header_fields/sender_id"),
        recipient_id: uuid(e, "/recipient_user_id"),
        message_id: Some(uuid(e, "/header_fields/message_id")),
    };
    let opened = open(&message, &context, &b(v, "/keys/sig_public_spki"), &account).unwrap();
    assert_eq!(opened.plaintext, s(e, "/plaintext_utf8").as_bytes());
    assert!(
        opened.is_legacy(),
        "a v1 message opens but is marked legacy"
    );
    let with_commitment = ReceivedMessage {
        commitment: Some(vec![0; 32]),
        ..message
    };
    assert_eq!(
        open(
            &with_commitment,
            &context,
            &b(v, "/keys/sig_public_spki"),
            &account
        ),
        Err(CryptoError::CommitmentShape),
        "a v1 envelope carries no commitment"
    );
}

/// Alice's account, unlocked from the v1 vector file's login keys.
fn vector_alice() -> UnlockedAccount {
    let v = vectors();
    UnlockedAccount::open(
        s(v, "/kdf/username"),
        s(v, "/kdf/password"),
        &b(v, "/kdf/salt"),
        600_000,
        &vector_login_keys(v),
    )
    .unwrap()
}

#[test]
fn the_v2_vector_file_is_version_2_and_uses_the_v1_keys() {
    let (v1, v2) = (vectors(), vectors_v2());
    assert_eq!(v2["version"], 2);
    assert!(s(v2, "/description").len() > 500);
    for k in ["enc_private_pkcs8", "enc_public_spki", "sig_public_spki"] {
        assert_eq!(v2["keys"][k], v1["keys"][k], "{k}");
    }
}

#[test]
fn vector_v2_envelope_is_reproduced_with_its_commitment() {
    let v = vectors_v2();
    let e = &v["envelope"];
    let f = &e["header_fields"];
    assert_eq!(f["v"], 2);
    let recipients: Vec<Uuid> = f["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().parse().unwrap())
        .collect();
    let header = Header::new(
        uuid(f, "/conversation_id"),
        uuid(f, "/message_id"),
        uuid(f, "/sender_id"),
        recipients,
        s(f, "/content_type"),
        f["sent_at"].as_u64().unwrap(),
    )
    .unwrap();
    assert_eq!(header.canonical(), s(e, "/header"), "new headers are v2");
    let h = sha256(s(e, "/header").as_bytes());
    assert_eq!(h.to_vec(), b(e, "/h"));
    let k = b32(e, "/content_key");
    let iv: [u8; 12] = b(e, "/iv").try_into().unwrap();
    let ciphertext = aes_gcm_seal(&k, &iv, &h, s(e, "/plaintext_utf8").as_bytes()).unwrap();
    assert_eq!(ciphertext, b(e, "/ciphertext"));
    assert_eq!(s(e, "/commit_label"), COMMIT_LABEL);
    assert_eq!(
        [COMMIT_LABEL.as_bytes(), h.as_slice()].concat(),
        b(e, "/commitment_input")
    );
    let c = commitment(&k, &h);
    assert_eq!(c.to_vec(), b(e, "/commitment"));
    assert_eq!(
        signature_input_v2(&h, &c, &iv, &ciphertext),
        b(e, "/signature_input")
    );
    assert!(ecdsa_verify(
        &b(v, "/keys/sig_public_spki"),
        &b(e, "/signature_input"),
        &b(e, "/signature")
    ));
    let enc = RsaPrivate::from_pkcs8(&b(v, "/keys/enc_private_pkcs8")).unwrap();
    assert_eq!(enc.decrypt(&h, &b(e, "/wrapped_key")).unwrap(), k);
}

fn v2_message(e: &Value) -> (ReceivedMessage, OpenContext) {
    let header = Header::parse(s(e, "/header")).unwrap();
    let message = ReceivedMessage {
        header: s(e, "/header").to_owned(),
        commitment: Some(b(e, "/commitment")),
        iv: b(e, "/iv"),
        ciphertext: b(e, "/ciphertext"),
        signature: b(e, "/signature"),
        wrapped_key: b(e, "/wrapped_key"),
    };
    let context = OpenContext {
        conversation_id: header.conversation_id(),
        sender_id: header.sender_id(),
        recipient_id: uuid(e, "/recipient_user_id"),
        message_id: Some(header.message_id()),
    };
    (message, context)
}

#[test]
fn vector_v2_envelope_opens_and_is_not_legacy() {
    let v = vectors_v2();
    let (message, context) = v2_message(&v["envelope"]);
    let opened = open(
        &message,
        &context,
        &b(v, "/keys/sig_public_spki"),
        &vector_alice(),
    )
    .unwrap();
    assert_eq!(
        opened.plaintext,
        s(v, "/envelope/plaintext_utf8").as_bytes()
    );
    assert!(!opened.is_legacy());
    let without = ReceivedMessage {
        commitment: None,
        ..message.clone()
    };
    assert_eq!(
        open(
            &without,
            &context,
            &b(v, "/keys/sig_public_spki"),
            &vector_alice()
        ),
        Err(CryptoError::CommitmentShape),
        "a v2 envelope without its commitment"
    );
    let mut other = message;
    other.commitment.as_mut().unwrap()[0] ^= 1;
    assert_eq!(
        open(
            &other,
            &context,
            &b(v, "/keys/sig_public_spki"),
            &vector_alice()
        ),
        Err(CryptoError::BadSignature),
        "the commitment is signed"
    );
}

#[test]
fn vector_multi_recipient_attack_is_refused_on_the_commitment() {
    let v = vectors_v2();
    let a = &v["multi_recipient_attack"];
    let (message, context) = v2_message(a);
    let h = sha256(s(a, "/header").as_bytes());
    let sig_input =
        signature_input_v2(&h, &b(a, "/commitment"), &b(a, "/iv"), &b(a, "/ciphertext"));
    assert!(
        ecdsa_verify(
            &b(v, "/keys/sig_public_spki"),
            &sig_input,
            &b(a, "/signature")
        ),
        "the sender really signed it"
    );
    let enc = RsaPrivate::from_pkcs8(&b(v, "/keys/enc_private_pkcs8")).unwrap();
    assert_eq!(
        enc.decrypt(&h, &b(a, "/wrapped_key")).unwrap(),
        b(a, "/other_key"),
        "and wrapped another key"
    );
    assert_eq!(
        commitment(&b32(a, "/content_key"), &h).to_vec(),
        b(a, "/commitment")
    );
    assert_eq!(
        open(
            &message,
            &context,
            &b(v, "/keys/sig_public_spki"),
            &vector_alice()
        ),
        Err(CryptoError::CommitmentMismatch)
    );
}

#[test]
fn vector_recovery_wrap_unlocks_the_vector_account() {
    let v = vectors();
    let recovery = RecoveryKey::parse(s(v, "/recovery/recovery_key")).unwrap();
    let wraps = v["wraps"].as_array().unwrap();
    let w = wraps
        .iter()
        .find(|w| w["name"] == "user_key_recovery")
        .unwrap();
    let account = UnlockedAccount::open_with_recovery(
        s(v, "/kdf/username"),
        &recovery,
        &b(w, "/wrapped"),
        &vector_login_keys(v),
    )
    .unwrap();
    assert_eq!(account.sig_public_spki(), b(v, "/keys/sig_public_spki"));
}

#[test]
fn vector_fingerprint_and_safety_number_are_reproduced() {
    let v = vectors();
    let fp = &v["fingerprint"];
    assert_eq!(s(fp, "/enc_public_spki"), s(v, "/keys/enc_public_spki"));
    assert_eq!(s(fp, "/sig_public_spki"), s(v, "/keys/sig_public_spki"));
    let id = uuid(fp, "/user_id");
    let (enc, sig) = (b(fp, "/enc_public_spki"), b(fp, "/sig_public_spki"));
    assert_eq!(
        fingerprint_digest(id, &enc, &sig).to_vec(),
        b(fp, "/digest")
    );
    assert_eq!(fingerprint(id, &enc, &sig), s(fp, "/fingerprint"));

    let sn = &v["safety_number"];
    let (a, bb) = (&sn["a"], &sn["b"]);
    assert_eq!(s(a, "/fingerprint"), s(fp, "/fingerprint"));
    let b_fp = fingerprint(
        uuid(bb, "/user_id"),
        &b(bb, "/enc_public_spki"),
        &b(bb, "/sig_public_spki"),
    );
    assert_eq!(b_fp, s(bb, "/fingerprint"));
    let expected = s(sn, "/safety_number");
    let (a_id, b_id) = (uuid(a, "/user_id"), uuid(bb, "/user_id"));
    assert_eq!(
        safety_number(a_id, s(a, "/fingerprint"), b_id, &b_fp),
        expected
    );
    assert_eq!(
        safety_number(b_id, &b_fp, a_id, s(a, "/fingerprint")),
        expected
    );
    assert!(
        expected.starts_with(&b_fp),
        "bob's id sorts first in the vector"
    );
    assert_eq!(expected.split(' ').count(), 12);
}

#[test]
fn vector_bad_keys_are_refused() {
    let v = vectors();
    let (enc, sig) = (b(v, "/keys/enc_public_spki"), b(v, "/keys/sig_public_spki"));
    let small = b(v, "/bad/rsa2048_spki");
    assert_eq!(
        validate_public_keys(&small, &sig, &b(v, "/keys/key_signature")),
        Err(KeyError::RsaTooSmall { bits: 2048 })
    );
    assert_eq!(
        validate_public_keys(&enc, &sig, &b(v, "/bad/key_signature_wrong")),
        Err(KeyError::BadKeySignature)
    );
}
