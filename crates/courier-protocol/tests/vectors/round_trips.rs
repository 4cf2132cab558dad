//! Whole flows through the public API: register → log in, recovery, password change, seal →
//! open for every recipient, and the JSON shapes the server receives.

use courier_protocol::crypto::{
    b64, open, recovery_auth_key_b64, seal, validate_public_keys, AccountKeys, CryptoError,
    Envelope, Header, KeyBundle, KeyError, OpenContext, PasswordChange, PasswordKeys,
    ReceivedMessage, RegistrationMaterial, UnlockedAccount, UserKey,
};
use courier_protocol::limits::TEXT_PLAIN;
use serde_json::{json, Value};
use uuid::Uuid;

use super::support::{alice, bob, carol, Person};

const PASSWORD: &str = "correct horse battery staple";

fn context(conversation: Uuid, sender: &Person, reader: &Person) -> OpenContext {
    OpenContext {
        conversation_id: conversation,
        sender_id: sender.id,
        recipient_id: reader.id,
        message_id: None,
    }
}

fn enc_keys(people: &[&Person]) -> Vec<(Uuid, Vec<u8>)> {
    people
        .iter()
        .map(|p| (p.id, p.account.enc_public_spki().to_vec()))
        .collect()
}

#[test]
fn registration_material_has_the_register_json_shape_and_valid_keys() {
    let reg = RegistrationMaterial::new("Dave", PASSWORD, 600_000, true).unwrap();
    let body = serde_json::to_value(&reg.request).unwrap();
    let top: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut top_sorted = top.clone();
    top_sorted.sort_unstable();
    assert_eq!(
        top_sorted,
        ["auth_key", "kdf", "keys", "recovery", "salt", "username"]
    );
    assert_eq!(body["username"], "dave");
    assert_eq!(
        body["kdf"],
        json!({"name": "pbkdf2-sha256", "iterations": 600_000})
    );
    assert_eq!(
        b64::decode("salt", body["salt"].as_str().unwrap())
            .unwrap()
            .len(),
        16
    );
    let mut key_fields: Vec<&str> = body["keys"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    key_fields.sort_unstable();
    assert_eq!(
        key_fields,
        [
            "enc_public",
            "key_signature",
            "sig_public",
            "wrapped_enc_private",
            "wrapped_sig_private",
            "wrapped_user_key"
        ]
    );
    let recovery = body["recovery"].as_object().unwrap();
    assert_eq!(recovery.len(), 2);
    assert_eq!(
        body["recovery"]["auth_key"].as_str().unwrap(),
        recovery_auth_key_b64(reg.recovery_key.as_ref().unwrap())
    );
    let keys = &reg.request.keys;
    let dec = |s: &str| b64::decode("k", s).unwrap();
    validate_public_keys(
        &dec(&keys.enc_public),
        &dec(&keys.sig_public),
        &dec(&keys.key_signature),
    )
    .unwrap();
    assert_eq!(reg.request.auth_key, reg.password_keys.auth_key_b64());
}

#[test]
fn registration_without_recovery_leaves_the_field_out() {
    let keys = alice().account.keys().clone();
    let salt = [5u8; 16];
    let pk = PasswordKeys::derive(PASSWORD, &salt, 600_000).unwrap();
    let reg = RegistrationMaterial::from_parts("erin", &salt, 600_000, pk, keys, None).unwrap();
    let body: Value = serde_json::to_value(&reg.request).unwrap();
    assert!(body.get("recovery").is_none());
    assert!(reg.recovery_key.is_none());
}

#[test]
fn a_registered_account_opens_with_its_password_and_not_with_another() {
    let reg = RegistrationMaterial::new("frank", PASSWORD, 600_000, false).unwrap();
    let salt = b64::decode("salt", &reg.request.salt).unwrap();
    let account =
        UnlockedAccount::open("FRANK", PASSWORD, &salt, 600_000, &reg.request.keys).unwrap();
    assert_eq!(account.username(), "frank");
    assert_eq!(account.enc_public_spki(), reg.account.enc_public_spki());
    assert_eq!(account.sig_public_spki(), reg.account.sig_public_spki());
    let wrong = UnlockedAccount::open(
        "frank",
        "Correct horse battery staple",
        &salt,
        600_000,
        &reg.request.keys,
    );
    assert_eq!(wrong.unwrap_err(), CryptoError::UnwrapFailed);
    let other_user = UnlockedAccount::open("frankie", PASSWORD, &salt, 600_000, &reg.request.keys);
    assert_eq!(
        other_user.unwrap_err(),
        CryptoError::UnwrapFailed,
        "the AAD binds the username"
    );
}

#[test]
fn the_recovery_key_recovers_the_user_key_and_sets_a_new_password() {
    let reg = RegistrationMaterial::new("grace", PASSWORD, 600_000, true).unwrap();
    let shown = reg.recovery_key.as_ref().unwrap().display();
    let recovery = courier_protocol::crypto::RecoveryKey::parse(&shown).unwrap();
    let wrapped = b64::decode(
        "w",
        &reg.request.recovery.as_ref().unwrap().wrapped_user_key,
    )
    .unwrap();
    // Step 1 of /api/account/recover hands back `wrapped`; the client recovers the user key...
    let user_key = UserKey::unwrap_with_recovery("grace", &recovery, &wrapped).unwrap();
    // ...and step 2 sends a re-wrap under a new password.
    let change = PasswordChange::new("grace", &user_key, "a new password", 600_000).unwrap();
    let keys = KeyBundle {
        wrapped_user_key: change.wrapped_user_key.clone(),
        ..reg.request.keys.clone()
    };
    let salt = b64::decode("salt", &change.salt).unwrap();
    let account = UnlockedAccount::open("grace", "a new password", &salt, 600_000, &keys).unwrap();
    assert_eq!(account.sig_public_spki(), reg.account.sig_public_spki());
    let direct =
        UnlockedAccount::open_with_recovery("grace", &recovery, &wrapped, &reg.request.keys)
            .unwrap();
    assert_eq!(direct.enc_public_spki(), reg.account.enc_public_spki());
}

#[test]
fn a_password_change_rewraps_only_the_user_key() {
    let reg = RegistrationMaterial::new("heidi", PASSWORD, 600_000, false).unwrap();
    let change = reg
        .account
        .rewrap_for_password("new password ﬁ", 600_000)
        .unwrap();
    let body = serde_json::to_value(&change).unwrap();
    let mut fields: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["kdf", "new_auth_key", "salt", "wrapped_user_key"]);
    assert_ne!(
        change.salt, reg.request.salt,
        "a password change uses a fresh salt"
    );
    let keys = KeyBundle {
        wrapped_user_key: change.wrapped_user_key.clone(),
        ..reg.request.keys.clone()
    };
    let salt = b64::decode("salt", &change.salt).unwrap();
    // NFKC: the ligature typed either way opens the account.
    UnlockedAccount::open("heidi", "new password fi", &salt, 600_000, &keys).unwrap();
    let old_salt = b64::decode("salt", &reg.request.salt).unwrap();
    assert!(UnlockedAccount::open("heidi", PASSWORD, &old_salt, 600_000, &keys).is_err());
}

#[test]
fn a_server_substituting_public_keys_at_login_is_caught() {
    let reg = RegistrationMaterial::new("ivan", PASSWORD, 600_000, false).unwrap();
    let salt = b64::decode("salt", &reg.request.salt).unwrap();
    let pk = PasswordKeys::derive(PASSWORD, &salt, 600_000).unwrap();
    let other = bob().account.keys();
    let key_signature_of_other = b64::encode(other.key_signature());
    let substituted = KeyBundle {
        enc_public: b64::encode(other.enc_public_spki()),
        sig_public: b64::encode(other.sig_public_spki()),
        key_signature: key_signature_of_other,
        ..reg.request.keys.clone()
    };
    assert_eq!(
        UnlockedAccount::unlock("ivan", &pk, &substituted).unwrap_err(),
        CryptoError::Key(KeyError::KeyMismatch { kind: "encryption" })
    );
    let swapped_wraps = KeyBundle {
        wrapped_enc_private: reg.request.keys.wrapped_sig_private.clone(),
        wrapped_sig_private: reg.request.keys.wrapped_enc_private.clone(),
        ..reg.request.keys.clone()
    };
    assert_eq!(
        UnlockedAccount::unlock("ivan", &pk, &swapped_wraps).unwrap_err(),
        CryptoError::UnwrapFailed
    );
    UnlockedAccount::unlock("ivan", &pk, &reg.request.keys).unwrap();
}

#[test]
fn many_accounts_can_share_one_keypair_for_benchmarks() {
    let keys: AccountKeys = carol().account.keys().clone();
    let salt = [9u8; 16];
    let pk = PasswordKeys::derive(PASSWORD, &salt, 600_000).unwrap();
    for name in ["bench-0", "bench-1", "bench-2"] {
        let reg =
            RegistrationMaterial::from_parts(name, &salt, 600_000, pk.clone(), keys.clone(), None)
                .unwrap();
        UnlockedAccount::unlock(name, &pk, &reg.request.keys).unwrap();
    }
}

#[test]
fn a_sealed_group_message_opens_for_every_recipient_including_the_sender() {
    let (a, b, c) = (alice(), bob(), carol());
    let conversation = Uuid::new_v4();
    let header = Header::new(
        conversation,
        Uuid::new_v4(),
        a.id,
        [c.id, b.id],
        TEXT_PLAIN,
        1_700_000_000_123,
    )
    .unwrap();
    let envelope = seal(
        &header,
        "hi all ✓".as_bytes(),
        &a.account,
        &enc_keys(&[b, c, a]),
    )
    .unwrap();
    assert_eq!(envelope.keys.len(), 3);
    assert_eq!(envelope.iv.len(), 12);
    assert_eq!(envelope.signature.len(), 64);
    assert_eq!(envelope.ciphertext.len(), "hi all ✓".len() + 16);
    for reader in [a, b, c] {
        let received = envelope.for_recipient(reader.id).unwrap();
        let ctx = OpenContext {
            message_id: Some(header.message_id()),
            ..context(conversation, a, reader)
        };
        let opened = open(
            &received,
            &ctx,
            a.account.sig_public_spki(),
            &reader.account,
        )
        .unwrap();
        assert_eq!(opened.plaintext, "hi all ✓".as_bytes());
        assert_eq!(opened.header, header);
    }
}

#[test]
fn the_envelope_json_has_the_wire_shape_and_reads_back() {
    let (a, b) = (alice(), bob());
    let header = Header::new(Uuid::new_v4(), Uuid::new_v4(), a.id, [b.id], TEXT_PLAIN, 1).unwrap();
    let envelope = seal(&header, b"x", &a.account, &enc_keys(&[a, b])).unwrap();
    let wire = serde_json::to_value(&envelope).unwrap();
    let mut fields: Vec<&str> = wire
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "ciphertext",
            "commitment",
            "header",
            "iv",
            "keys",
            "signature"
        ]
    );
    assert_eq!(
        b64::decode("c", wire["commitment"].as_str().unwrap())
            .unwrap()
            .len(),
        32
    );
    assert_eq!(wire["header"], header.canonical());
    assert_eq!(wire["keys"][0].as_object().unwrap().len(), 2);
    assert_eq!(wire["keys"][0]["user_id"], json!(header.recipients()[0]));
    let back: Envelope = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(back, envelope);

    // What the server delivers to bob: the message object with only his wrapped key.
    let delivered = json!({
        "conversation_id": header.conversation_id(), "message_id": header.message_id(), "position": 7,
        "sender_id": a.id, "header": wire["header"], "commitment": wire["commitment"], "iv": wire["iv"], "ciphertext": wire["ciphertext"],
        "signature": wire["signature"], "server_ts": 2,
        "wrapped_key": b64::encode(&envelope.for_recipient(b.id).unwrap().wrapped_key),
    });
    let received: ReceivedMessage = serde_json::from_value(delivered).unwrap();
    let ctx = context(header.conversation_id(), a, b);
    assert_eq!(
        open(&received, &ctx, a.account.sig_public_spki(), &b.account)
            .unwrap()
            .plaintext,
        b"x"
    );
}

#[test]
fn seal_refuses_keys_that_do_not_match_the_header_recipients() {
    let (a, b, c) = (alice(), bob(), carol());
    let header = Header::new(Uuid::new_v4(), Uuid::new_v4(), a.id, [b.id], TEXT_PLAIN, 1).unwrap();
    for keys in [
        enc_keys(&[a]),
        enc_keys(&[a, b, c]),
        enc_keys(&[a, c]),
        enc_keys(&[a, b, b]),
    ] {
        assert_eq!(
            seal(&header, b"x", &a.account, &keys).unwrap_err(),
            CryptoError::RecipientMismatch
        );
    }
    let mut bad_key = enc_keys(&[a, b]);
    bad_key[1].1 = b.account.sig_public_spki().to_vec();
    assert_eq!(
        seal(&header, b"x", &a.account, &bad_key).unwrap_err(),
        CryptoError::Key(KeyError::NotRsa)
    );
}
