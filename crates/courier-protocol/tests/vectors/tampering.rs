//! Everything a server (or anyone between) might change in a message, and the key checks
//! registration relies on: each must be refused with an error, never accepted or a panic.

use courier_protocol::crypto::primitives::{rsa_oaep_encrypt, EcdsaPrivate};
use courier_protocol::crypto::{
    open, seal, seal_with, validate_public_keys, CryptoError, Envelope, Header, KeyError,
    OpenContext, ReceivedMessage, UnlockedAccount,
};
use courier_protocol::limits::TEXT_PLAIN;
use uuid::Uuid;

use super::support::{alice, b, bob, carol, mallory, vectors, Person};
use courier_test_support::spki::rsa_spki_with_exponent;

struct Sent {
    header: Header,
    envelope: Envelope,
}

/// Alice sends "meet at noon" to bob in a fresh conversation.
fn alice_to_bob() -> Sent {
    let (a, b) = (alice(), bob());
    let header = Header::new(Uuid::new_v4(), Uuid::new_v4(), a.id, [b.id], TEXT_PLAIN, 42).unwrap();
    let keys = [
        (a.id, a.account.enc_public_spki()),
        (b.id, b.account.enc_public_spki()),
    ];
    let envelope = seal(&header, b"meet at noon", &a.account, &keys).unwrap();
    Sent { header, envelope }
}

impl Sent {
    fn for_bob(&self) -> ReceivedMessage {
        self.envelope.for_recipient(bob().id).unwrap()
    }

    fn context(&self) -> OpenContext {
        OpenContext {
            conversation_id: self.header.conversation_id(),
            sender_id: alice().id,
            recipient_id: bob().id,
            message_id: Some(self.header.message_id()),
        }
    }
}

/// Bob opens `message` expecting it from alice, with alice's pinned signing key.
fn bob_opens(message: &ReceivedMessage, context: &OpenContext) -> Result<Vec<u8>, CryptoError> {
    open(
        message,
        context,
        alice().account.sig_public_spki(),
        &bob().account,
    )
    .map(|m| m.plaintext)
}

fn flip(bytes: &mut [u8], index: usize) {
    bytes[index] ^= 0x01;
}

#[test]
fn an_untouched_message_opens() {
    let sent = alice_to_bob();
    assert_eq!(
        bob_opens(&sent.for_bob(), &sent.context()).unwrap(),
        b"meet at noon"
    );
}

#[test]
fn a_flipped_bit_anywhere_in_the_ciphertext_is_refused() {
    let sent = alice_to_bob();
    for i in 0..sent.envelope.ciphertext.len() {
        let mut m = sent.for_bob();
        flip(&mut m.ciphertext, i);
        assert_eq!(
            bob_opens(&m, &sent.context()),
            Err(CryptoError::BadSignature),
            "byte {i}"
        );
    }
    let mut truncated = sent.for_bob();
    truncated.ciphertext.truncate(4);
    assert_eq!(
        bob_opens(&truncated, &sent.context()),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn a_flipped_bit_in_the_commitment_is_refused_because_it_is_signed() {
    let sent = alice_to_bob();
    for i in [0, 15, 31] {
        let mut m = sent.for_bob();
        flip(m.commitment.as_mut().unwrap(), i);
        assert_eq!(
            bob_opens(&m, &sent.context()),
            Err(CryptoError::BadSignature),
            "byte {i}"
        );
    }
}

#[test]
fn a_v2_message_stripped_of_its_commitment_or_downgraded_to_v1_is_refused() {
    let sent = alice_to_bob();
    let mut stripped = sent.for_bob();
    stripped.commitment = None;
    assert_eq!(
        bob_opens(&stripped, &sent.context()),
        Err(CryptoError::CommitmentShape)
    );
    let mut short = sent.for_bob();
    short.commitment.as_mut().unwrap().pop();
    assert_eq!(
        bob_opens(&short, &sent.context()),
        Err(CryptoError::CommitmentShape)
    );
    // A server rewriting the header to v1 (and dropping the commitment) changes h.
    let mut downgraded = stripped;
    downgraded.header = downgraded.header.replace("\"v\":2", "\"v\":1");
    assert_eq!(
        bob_opens(&downgraded, &sent.context()),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn seal_writes_only_v2_and_refuses_a_legacy_header() {
    let (a, b) = (alice(), bob());
    let header = Header::new(Uuid::new_v4(), Uuid::new_v4(), a.id, [b.id], TEXT_PLAIN, 1).unwrap();
    assert_eq!(header.version(), 2);
    let keys = [
        (a.id, a.account.enc_public_spki()),
        (b.id, b.account.enc_public_spki()),
    ];
    assert_eq!(
        seal(&header.clone().into_legacy_v1(), b"x", &a.account, &keys),
        Err(CryptoError::UnsupportedVersion(1))
    );
    assert_eq!(
        seal(&header, b"x", &a.account, &keys)
            .unwrap()
            .commitment
            .map(|c| c.len()),
        Some(32)
    );
}

#[test]
fn a_legacy_v1_message_still_opens_and_is_marked_legacy() {
    let (a, b) = (alice(), bob());
    let header = Header::new(Uuid::new_v4(), Uuid::new_v4(), a.id, [b.id], TEXT_PLAIN, 1)
        .unwrap()
        .into_legacy_v1();
    let keys = [
        (a.id, a.account.enc_public_spki()),
        (b.id, b.account.enc_public_spki()),
    ];
    let old = seal_with(
        &header,
        b"from before v2",
        &a.account,
        &keys,
        &[7; 32],
        &[9; 12],
    )
    .unwrap();
    assert!(old.commitment.is_none());
    let ctx = OpenContext {
        conversation_id: header.conversation_id(),
        sender_id: a.id,
        recipient_id: b.id,
        message_id: Some(header.message_id()),
    };
    let opened = open(
        &old.for_recipient(b.id).unwrap(),
        &ctx,
        a.account.sig_public_spki(),
        &b.account,
    )
    .unwrap();
    assert_eq!(opened.plaintext, b"from before v2");
    assert!(opened.is_legacy());
}

/// The multi-recipient attack: alice (a malicious group member) signs one message and gives
/// bob a different content key than carol. With v2, whoever got the odd key refuses it.
#[test]
fn one_signed_message_with_another_content_key_for_one_recipient_is_refused_by_that_recipient() {
    let (a, b, c) = (alice(), bob(), carol());
    let header = Header::new(
        Uuid::new_v4(),
        Uuid::new_v4(),
        a.id,
        [b.id, c.id],
        TEXT_PLAIN,
        1,
    )
    .unwrap();
    let keys = [
        (a.id, a.account.enc_public_spki()),
        (b.id, b.account.enc_public_spki()),
        (c.id, c.account.enc_public_spki()),
    ];
    let mut envelope = seal_with(
        &header,
        b"meet at noon",
        &a.account,
        &keys,
        &[1; 32],
        &[2; 12],
    )
    .unwrap();
    // Bob's copy now wraps another key (the signature does not cover the wrapped keys).
    let bob_key = envelope
        .keys
        .iter_mut()
        .find(|k| k.user_id == b.id)
        .unwrap();
    bob_key.wrapped_key =
        rsa_oaep_encrypt(b.account.enc_public_spki(), &header.hash(), &[3; 32]).unwrap();
    let ctx = |reader: Uuid| OpenContext {
        conversation_id: header.conversation_id(),
        sender_id: a.id,
        recipient_id: reader,
        message_id: Some(header.message_id()),
    };
    let carol_reads = open(
        &envelope.for_recipient(c.id).unwrap(),
        &ctx(c.id),
        a.account.sig_public_spki(),
        &c.account,
    );
    assert_eq!(carol_reads.unwrap().plaintext, b"meet at noon");
    let bob_reads = open(
        &envelope.for_recipient(b.id).unwrap(),
        &ctx(b.id),
        a.account.sig_public_spki(),
        &b.account,
    );
    assert_eq!(bob_reads, Err(CryptoError::CommitmentMismatch));
}

#[test]
fn a_flipped_bit_in_the_iv_is_refused() {
    let sent = alice_to_bob();
    let mut m = sent.for_bob();
    flip(&mut m.iv, 11);
    assert_eq!(
        bob_opens(&m, &sent.context()),
        Err(CryptoError::BadSignature)
    );
    m.iv.push(0);
    assert!(matches!(
        bob_opens(&m, &sent.context()),
        Err(CryptoError::Length { field: "iv", .. })
    ));
}

#[test]
fn a_flipped_bit_in_the_signature_is_refused() {
    let sent = alice_to_bob();
    for i in [0, 31, 32, 63] {
        let mut m = sent.for_bob();
        flip(&mut m.signature, i);
        assert_eq!(
            bob_opens(&m, &sent.context()),
            Err(CryptoError::BadSignature),
            "byte {i}"
        );
    }
    let mut short = sent.for_bob();
    short.signature.pop();
    assert_eq!(
        bob_opens(&short, &sent.context()),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn a_changed_header_is_refused() {
    let sent = alice_to_bob();
    let mut later = sent.for_bob();
    later.header = later.header.replace("\"sent_at\":42", "\"sent_at\":43");
    assert_eq!(
        bob_opens(&later, &sent.context()),
        Err(CryptoError::BadSignature)
    );
    let mut retyped = sent.for_bob();
    retyped.header = retyped.header.replace("text/plain", "text/html!");
    assert_eq!(
        bob_opens(&retyped, &sent.context()),
        Err(CryptoError::BadSignature)
    );
    let mut spaced = sent.for_bob();
    spaced.header = spaced.header.replace(":", ": ");
    assert_eq!(
        bob_opens(&spaced, &sent.context()),
        Err(CryptoError::HeaderNotCanonical)
    );
    let mut flipped = sent.for_bob();
    let mut bytes = flipped.header.clone().into_bytes();
    flip(&mut bytes, 3);
    flipped.header = String::from_utf8(bytes).unwrap();
    assert!(bob_opens(&flipped, &sent.context()).is_err());
}

#[test]
fn an_envelope_replayed_into_another_conversation_is_refused() {
    let sent = alice_to_bob();
    let ctx = OpenContext {
        conversation_id: Uuid::new_v4(),
        ..sent.context()
    };
    assert_eq!(
        bob_opens(&sent.for_bob(), &ctx),
        Err(CryptoError::WrongConversation)
    );
}

#[test]
fn an_envelope_attributed_to_another_sender_is_refused() {
    let sent = alice_to_bob();
    let ctx = OpenContext {
        sender_id: carol().id,
        ..sent.context()
    };
    assert_eq!(
        bob_opens(&sent.for_bob(), &ctx),
        Err(CryptoError::WrongSender)
    );
}

#[test]
fn an_envelope_delivered_under_another_message_id_is_refused() {
    let sent = alice_to_bob();
    let ctx = OpenContext {
        message_id: Some(Uuid::new_v4()),
        ..sent.context()
    };
    assert_eq!(
        bob_opens(&sent.for_bob(), &ctx),
        Err(CryptoError::WrongMessageId)
    );
}

#[test]
fn a_message_signed_by_a_substituted_key_is_refused() {
    // Mallory writes a header claiming alice as sender and signs with her own key.
    let (a, b, m) = (alice(), bob(), mallory());
    let header = Header::new(Uuid::new_v4(), Uuid::new_v4(), a.id, [b.id], TEXT_PLAIN, 1).unwrap();
    let keys = [
        (a.id, a.account.enc_public_spki()),
        (b.id, b.account.enc_public_spki()),
    ];
    let forged = seal(&header, b"send money", &m.account, &keys).unwrap();
    let ctx = OpenContext {
        conversation_id: header.conversation_id(),
        sender_id: a.id,
        recipient_id: b.id,
        message_id: None,
    };
    let received = forged.for_recipient(b.id).unwrap();
    assert_eq!(bob_opens(&received, &ctx), Err(CryptoError::BadSignature));
    // A substituted signature on a genuine message fails as well.
    let sent = alice_to_bob();
    let mut resigned = sent.for_bob();
    resigned.signature = EcdsaPrivate::generate().unwrap().sign(b"anything").unwrap();
    assert_eq!(
        bob_opens(&resigned, &sent.context()),
        Err(CryptoError::BadSignature)
    );
}

#[test]
fn a_reader_outside_the_recipients_is_refused() {
    let sent = alice_to_bob();
    let c = carol();
    let ctx = OpenContext {
        recipient_id: c.id,
        ..sent.context()
    };
    let stolen = sent.for_bob();
    let result = open(&stolen, &ctx, alice().account.sig_public_spki(), &c.account);
    assert_eq!(result.unwrap_err(), CryptoError::NotARecipient);
}

#[test]
fn a_wrapped_key_for_someone_else_or_another_header_does_not_unwrap() {
    let sent = alice_to_bob();
    let mut wrong_copy = sent.for_bob();
    wrong_copy.wrapped_key = sent.envelope.for_recipient(alice().id).unwrap().wrapped_key;
    assert_eq!(
        bob_opens(&wrong_copy, &sent.context()),
        Err(CryptoError::KeyUnwrapFailed)
    );

    let other = alice_to_bob();
    let mut moved = sent.for_bob();
    moved.wrapped_key = other.for_bob().wrapped_key;
    assert_eq!(
        bob_opens(&moved, &sent.context()),
        Err(CryptoError::KeyUnwrapFailed)
    );
    let mut garbage = sent.for_bob();
    garbage.wrapped_key = vec![0xff; 7];
    assert_eq!(
        bob_opens(&garbage, &sent.context()),
        Err(CryptoError::KeyUnwrapFailed)
    );
}

#[test]
fn a_pinned_key_that_is_not_p256_is_an_error_not_a_panic() {
    let sent = alice_to_bob();
    let result = open(
        &sent.for_bob(),
        &sent.context(),
        b"not a key",
        &bob().account,
    );
    assert_eq!(result.unwrap_err(), CryptoError::Key(KeyError::NotP256));
}

fn keys_of(p: &Person) -> (&[u8], &[u8], &[u8]) {
    let k = p.account.keys();
    (k.enc_public_spki(), k.sig_public_spki(), k.key_signature())
}

#[test]
fn validate_public_keys_accepts_a_real_account() {
    let (enc, sig, ks) = keys_of(alice());
    validate_public_keys(enc, sig, ks).unwrap();
}

#[test]
fn validate_public_keys_rejects_a_2048_bit_rsa_key() {
    let (_, sig, ks) = keys_of(alice());
    let small = b(vectors(), "/bad/rsa2048_spki");
    assert_eq!(
        validate_public_keys(&small, sig, ks),
        Err(KeyError::RsaTooSmall { bits: 2048 })
    );
}

#[test]
fn validate_public_keys_rejects_a_4096_bit_rsa_key_as_no_client_accepts_it() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
    let big = PrivateDecryptingKey::generate(KeySize::Rsa4096).unwrap();
    let spki = big.public_key().as_der().unwrap().as_ref().to_vec();
    let signer = EcdsaPrivate::generate().unwrap();
    let ks = signer.sign(&spki).unwrap();
    assert_eq!(
        validate_public_keys(&spki, signer.spki(), &ks),
        Err(KeyError::RsaTooLarge { bits: 4096 })
    );
}

#[test]
fn validate_public_keys_rejects_an_exponent_other_than_65537() {
    let (enc, sig, ks) = keys_of(alice());
    // The same modulus with e = 3, re-encoded as a canonical SPKI.
    let e3 = rsa_spki_with_exponent(enc, &[3]);
    assert_eq!(
        validate_public_keys(&e3, sig, ks),
        Err(KeyError::RsaExponent)
    );
    let e17 = rsa_spki_with_exponent(enc, &[0x01, 0x00, 0x00, 0x01]);
    assert_eq!(
        validate_public_keys(&e17, sig, ks),
        Err(KeyError::RsaExponent)
    );
}

#[test]
fn validate_public_keys_rejects_an_ec_key_given_as_the_encryption_key() {
    let (_, sig, ks) = keys_of(alice());
    assert_eq!(validate_public_keys(sig, sig, ks), Err(KeyError::NotRsa));
}

#[test]
fn validate_public_keys_rejects_an_rsa_key_given_as_the_signing_key() {
    let (enc, _, ks) = keys_of(alice());
    assert_eq!(validate_public_keys(enc, enc, ks), Err(KeyError::NotP256));
}

#[test]
fn validate_public_keys_rejects_garbage_bytes() {
    let (enc, sig, ks) = keys_of(alice());
    assert_eq!(
        validate_public_keys(b"garbage", sig, ks),
        Err(KeyError::NotRsa)
    );
    assert_eq!(
        validate_public_keys(enc, b"garbage", ks),
        Err(KeyError::NotP256)
    );
    assert_eq!(
        validate_public_keys(enc, sig, b"garbage"),
        Err(KeyError::BadKeySignatureLength { len: 7 })
    );
    assert_eq!(validate_public_keys(&[], &[], &[]), Err(KeyError::NotRsa));
    let mut truncated = enc.to_vec();
    truncated.pop();
    assert_eq!(
        validate_public_keys(&truncated, sig, ks),
        Err(KeyError::NotRsa)
    );
    let mut trailing = enc.to_vec();
    trailing.push(0);
    assert_eq!(
        validate_public_keys(&trailing, sig, ks),
        Err(KeyError::NotRsa)
    );
}

#[test]
fn validate_public_keys_rejects_a_bad_key_signature() {
    let (enc, sig, ks) = keys_of(alice());
    let (_, _, bobs_ks) = keys_of(bob());
    assert_eq!(
        validate_public_keys(enc, sig, bobs_ks),
        Err(KeyError::BadKeySignature)
    );
    let mut flipped = ks.to_vec();
    flipped[10] ^= 1;
    assert_eq!(
        validate_public_keys(enc, sig, &flipped),
        Err(KeyError::BadKeySignature)
    );
    let (bob_enc, _, _) = keys_of(bob());
    assert_eq!(
        validate_public_keys(bob_enc, sig, ks),
        Err(KeyError::BadKeySignature),
        "substituted enc key"
    );
}

#[test]
fn an_account_unlocked_for_one_user_cannot_be_renamed() {
    assert_eq!(
        UnlockedAccount::from_keys("no spaces allowed", alice().account.keys().clone())
            .unwrap_err(),
        CryptoError::InvalidUsername
    );
}
