//! Keys: the one key policy every client enforces, enforced by the server too.
//!
//! The browser imports only RSA-OAEP-3072 with e = 65537 and P-256 signing keys; the Rust client
//! and the server share `crypto::validate_public_keys`, which refuses exactly what the browser
//! refuses (plus non-canonical DER, which the browser checks by re-exporting). An account
//! registered with a key some client refuses could talk to no one, so registration (the only
//! place the server accepts public keys) answers 400 `unsupported_key` and writes nothing.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P384_SHA384_FIXED_SIGNING};
use courier_protocol::crypto::{b64, primitives::EcdsaPrivate};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// A registration whose public keys are `enc`, `sig` and `key_signature` (the wrapped private
/// keys stay the cheap user's: the server cannot open them anyway).
fn registration(enc: &[u8], sig: &[u8], key_signature: &[u8]) -> Value {
    let mut body = TestUser::cheap("keys").register_body();
    body["keys"]["enc_public"] = json!(b64::encode(enc));
    body["keys"]["sig_public"] = json!(b64::encode(sig));
    body["keys"]["key_signature"] = json!(b64::encode(key_signature));
    body
}

/// `enc` with a valid key signature by a fresh P-256 signing key.
fn signed(enc: &[u8]) -> Value {
    let signer = EcdsaPrivate::generate().unwrap();
    registration(enc, signer.spki(), &signer.sign(enc).unwrap())
}

/// Registers `body` and asserts a 400 `unsupported_key` naming the requirement, with nothing written.
async fn refused(app: &TestApp, body: &Value) -> String {
    let before = app.snapshot().await;
    let res = app.post("/api/auth/register", body).await;
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["code"], "unsupported_key", "{text}");
    let message = error["message"].as_str().unwrap().to_owned();
    assert!(message.contains("RSA-OAEP 3072-bit with exponent 65537") && message.contains("P-256"), "{message}");
    assert_eq!(app.snapshot().await, before, "nothing is written");
    message
}

fn rsa_spki(size: KeySize) -> Vec<u8> {
    PrivateDecryptingKey::generate(size).unwrap().public_key().as_der().unwrap().as_ref().to_vec()
}

/// A canonical rsaEncryption SPKI with a real RSA-3072 modulus and public exponent `e`.
fn rsa3072_with_exponent(e: &[u8]) -> Vec<u8> {
    courier_test_support::spki::rsa_spki_with_exponent(TestUser::cheap("e").material.account.enc_public_spki(), e)
}

#[tokio::test]
async fn an_rsa_4096_encryption_key_is_refused_because_browsers_refuse_it() {
    let app = spawn_app().await;
    let message = refused(&app, &signed(&rsa_spki(KeySize::Rsa4096))).await;
    assert!(message.contains("4096"), "{message}");
}

#[tokio::test]
async fn an_rsa_2048_encryption_key_is_refused() {
    let app = spawn_app().await;
    let message = refused(&app, &signed(&rsa_spki(KeySize::Rsa2048))).await;
    assert!(message.contains("2048"), "{message}");
}

#[tokio::test]
async fn an_rsa_3072_key_with_exponent_3_or_another_exponent_is_refused() {
    let app = spawn_app().await;
    for e in [&[0x03][..], &[0x01, 0x00, 0x00, 0x01], &[0x00, 0x01, 0x00, 0x01]] {
        refused(&app, &signed(&rsa3072_with_exponent(e))).await;
    }
    // The same construction with 65537 is the canonical encoding and is accepted.
    let res = app.post("/api/auth/register", &signed(&rsa3072_with_exponent(&[0x01, 0x00, 0x01]))).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn a_p384_signing_key_is_refused() {
    let app = spawn_app().await;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let sig_spki = pair.public_key().as_der().unwrap().as_ref().to_vec();
    let enc = TestUser::cheap("p384").material.account.enc_public_spki().to_vec();
    let key_signature = pair.sign(&rng, &enc).unwrap();
    refused(&app, &registration(&enc, &sig_spki, key_signature.as_ref())).await;
}

#[tokio::test]
async fn garbage_or_truncated_public_keys_are_refused() {
    let app = spawn_app().await;
    let good = TestUser::cheap("good").register_body();
    let enc = b64::decode("e", good["keys"]["enc_public"].as_str().unwrap()).unwrap();
    let sig = b64::decode("s", good["keys"]["sig_public"].as_str().unwrap()).unwrap();
    let ks = b64::decode("k", good["keys"]["key_signature"].as_str().unwrap()).unwrap();
    let cases: Vec<(&str, Value)> = vec![
        ("garbage encryption key", registration(b"definitely not a key", &sig, &ks)),
        ("empty encryption key", registration(b"", &sig, &ks)),
        ("truncated encryption key", registration(&enc[..enc.len() - 1], &sig, &ks)),
        ("trailing byte on the encryption key", registration(&[&enc[..], &[0]].concat(), &sig, &ks)),
        ("garbage signing key", registration(&enc, &[0x30; 91], &ks)),
        ("the encryption key as the signing key", registration(&enc, &enc, &ks)),
        ("a 63-byte key signature", registration(&enc, &sig, &ks[..63])),
    ];
    for (what, body) in cases {
        let message = refused(&app, &body).await;
        assert!(!message.is_empty(), "{what}");
    }
}

#[tokio::test]
async fn a_key_signature_that_does_not_verify_is_refused() {
    let app = spawn_app().await;
    let enc = TestUser::cheap("ks").material.account.enc_public_spki().to_vec();
    let signer = EcdsaPrivate::generate().unwrap();
    // Signed by another key; or by the right key over something else.
    let other = EcdsaPrivate::generate().unwrap().sign(&enc).unwrap();
    refused(&app, &registration(&enc, signer.spki(), &other)).await;
    let elsewhere = signer.sign(b"not the encryption key").unwrap();
    refused(&app, &registration(&enc, signer.spki(), &elsewhere)).await;
}

#[tokio::test]
async fn the_accepted_keys_are_exactly_what_a_courier_client_generates() {
    let app = spawn_app().await;
    let mut user = TestUser::real("real");
    app.register(&mut user).await;
    let res = app.post("/api/auth/register", &signed(&rsa_spki(KeySize::Rsa3072))).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}
