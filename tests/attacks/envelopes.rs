//! Envelopes: shapes the server must refuse, and what it must never accept.
//!
//! The server cannot read messages, but it decides which envelope forms exist: only the
//! key-committing v2 is accepted in new posts (a malicious member must not be able to choose
//! v1, where one signed message can read differently for each recipient), an empty message is
//! refused, and stored v1 messages are still served, without a commitment, for clients to open
//! and mark as legacy. What the server cannot see (a content key wrapped differently for one
//! recipient) the clients refuse: proven here with the Rust client's crypto on what the server
//! actually served.

use courier_protocol::crypto::{self, primitives::rsa_oaep_encrypt, CryptoError, Envelope, Header, OpenContext, ReceivedMessage};
use courier_protocol::limits::{TEXT_PLAIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::*;

/// A signed-in user with their own keys (a real client identity).
async fn person(app: &TestApp, prefix: &str) -> (TestUser, Session) {
    let mut user = TestUser::real(prefix);
    app.register(&mut user).await;
    let session = app.login(&user).await;
    (user, session)
}

async fn conversation(app: &TestApp, s: &Session, others: &[Uuid]) -> Uuid {
    let res = app.post_auth("/api/conversations", &s.access_token, &json!({"member_ids": others})).await;
    assert!(res.status().is_success(), "create conversation: {}", res.status());
    let body: Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().parse().unwrap()
}

async fn post(app: &TestApp, s: &Session, cid: Uuid, envelope: &impl serde::Serialize) -> reqwest::Response {
    app.post_auth(&format!("/api/conversations/{cid}/messages"), &s.access_token, &json!({"envelope": envelope})).await
}

/// Runs an UPDATE on the app's database (as whoever holds it could).
async fn exec(app: &TestApp, sql: &str) -> i64 {
    app.count(&format!("WITH u AS ({sql} RETURNING 1) SELECT count(*) AS n FROM u")).await
}

fn hex(bytes: &[u8]) -> String {
    format!("'\\x{}'", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Alice and bob, in a direct conversation, each with their own keys.
struct Pair {
    app: TestApp,
    alice: TestUser,
    a: Session,
    bob: TestUser,
    b: Session,
    cid: Uuid,
}

impl Pair {
    async fn new() -> Self {
        let app = spawn_app().await;
        let (alice, a) = person(&app, "alice").await;
        let (bob, b) = person(&app, "bob").await;
        let cid = conversation(&app, &a, &[b.user_id]).await;
        Pair { app, alice, a, bob, b, cid }
    }

    fn keys(&self) -> Vec<(Uuid, Vec<u8>)> {
        vec![
            (self.a.user_id, self.alice.material.account.enc_public_spki().to_vec()),
            (self.b.user_id, self.bob.material.account.enc_public_spki().to_vec()),
        ]
    }

    fn header(&self) -> Header {
        Header::new(self.cid, Uuid::new_v4(), self.a.user_id, [self.b.user_id], TEXT_PLAIN, 1).unwrap()
    }

    /// Alice's message sealed with a fixed key and iv, in `header`'s version.
    fn sealed(&self, header: &Header, text: &str) -> Envelope {
        crypto::seal_with(header, text.as_bytes(), &self.alice.material.account, &self.keys(), &[5; 32], &[6; 12]).unwrap()
    }

    /// Bob's history as the server serves it.
    async fn history(&self) -> Vec<Value> {
        let res = self.app.get_auth(&format!("/api/conversations/{}/messages", self.cid), &self.b.access_token).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        body["messages"].as_array().unwrap().clone()
    }

    /// Bob opens a served history item with the Rust client's crypto and alice's real key.
    fn bob_opens(&self, item: &Value) -> Result<crypto::OpenedMessage, CryptoError> {
        let received: ReceivedMessage = serde_json::from_value(item.clone()).unwrap();
        let context = OpenContext {
            conversation_id: self.cid,
            sender_id: self.a.user_id,
            recipient_id: self.b.user_id,
            message_id: item["message_id"].as_str().map(|m| m.parse().unwrap()),
        };
        crypto::open(&received, &context, self.alice.material.account.sig_public_spki(), &self.bob.material.account)
    }
}

#[tokio::test]
async fn a_genuine_v1_envelope_is_refused_with_envelope_version_and_nothing_is_written() {
    let p = Pair::new().await;
    let v1 = p.sealed(&p.header().into_legacy_v1(), "the non-committing form");
    assert!(v1.commitment.is_none());
    let before = p.app.snapshot().await;
    let code = assert_error(post(&p.app, &p.a, p.cid, &v1).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "envelope_version");
    // Adding a commitment does not make a v1 header acceptable either.
    let mut with_commitment = serde_json::to_value(&v1).unwrap();
    with_commitment["commitment"] = json!(crypto::b64::encode([0u8; 32]));
    let code = assert_error(post(&p.app, &p.a, p.cid, &with_commitment).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "envelope_version");
    assert_eq!(p.app.snapshot().await, before);
}

#[tokio::test]
async fn a_v2_envelope_without_a_32_byte_commitment_is_refused_and_nothing_is_written() {
    let p = Pair::new().await;
    let good = serde_json::to_value(p.sealed(&p.header(), "committed")).unwrap();
    let before = p.app.snapshot().await;
    let b64 = |n: usize| crypto::b64::encode(vec![7u8; n]);
    for (what, commitment) in [("missing", None), ("null", Some(Value::Null)), ("31 bytes", Some(json!(b64(31)))),
        ("33 bytes", Some(json!(b64(33)))), ("not base64", Some(json!("!!!"))), ("a number", Some(json!(32)))]
    {
        let mut e = good.clone();
        match commitment {
            None => {
                e.as_object_mut().unwrap().remove("commitment");
            }
            Some(c) => e["commitment"] = c,
        }
        let res = post(&p.app, &p.a, p.cid, &e).await;
        assert_error(res, StatusCode::BAD_REQUEST).await;
        let _ = what;
    }
    assert_eq!(p.app.snapshot().await, before);
    let created = post(&p.app, &p.a, p.cid, &good).await;
    assert_eq!(created.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn an_empty_message_is_refused_with_empty_message_and_nothing_is_written() {
    let p = Pair::new().await;
    let empty = p.sealed(&p.header(), "");
    assert_eq!(empty.ciphertext.len(), 16, "only the GCM tag");
    let before = p.app.snapshot().await;
    let code = assert_error(post(&p.app, &p.a, p.cid, &empty).await, StatusCode::BAD_REQUEST).await;
    assert_eq!(code, "empty_message");
    assert_eq!(p.app.snapshot().await, before);
    // One byte of text is a message.
    assert_eq!(post(&p.app, &p.a, p.cid, &p.sealed(&p.header(), ".")).await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_wrapped_key_of_another_size_than_rsa_3072_is_refused() {
    let p = Pair::new().await;
    let mut e = serde_json::to_value(p.sealed(&p.header(), "hi")).unwrap();
    e["keys"][1]["wrapped_key"] = json!(crypto::b64::encode(vec![1u8; 512]));
    assert_error(post(&p.app, &p.a, p.cid, &e).await, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn v2_messages_are_served_with_their_commitment_in_history_and_events() {
    let p = Pair::new().await;
    let wait = std::time::Duration::from_secs(10);
    let mut live = crate::sse::open(&p.app.client, &p.app.address, &p.b.access_token, None).await.unwrap();
    live.expect("ready", wait).await;
    let envelope = p.sealed(&p.header(), "committed");
    assert_eq!(post(&p.app, &p.a, p.cid, &envelope).await.status(), StatusCode::CREATED);
    let served = json!(crypto::b64::encode(envelope.commitment.as_ref().unwrap()));
    assert_eq!(live.expect("message", wait).await.data["commitment"], served, "live delivery");
    live.close();
    let history = p.history().await;
    assert_eq!(history[0]["commitment"], served, "history");
    let opened = p.bob_opens(&history[0]).unwrap();
    assert_eq!(opened.plaintext, b"committed");
    assert!(!opened.is_legacy());
    let mut replay = crate::sse::open(&p.app.client, &p.app.address, &p.b.access_token, Some(0)).await.unwrap();
    assert_eq!(replay.expect("message", wait).await.data["commitment"], served, "replay from the event log");
    replay.close();
}

#[tokio::test]
async fn a_v1_message_stored_before_v2_is_still_served_without_a_commitment_and_opens_as_legacy() {
    let p = Pair::new().await;
    // Posted as v2, then rewritten in the database into what a pre-v2 server stored.
    let header = p.header();
    let envelope = p.sealed(&header, "from before v2");
    assert_eq!(post(&p.app, &p.a, p.cid, &envelope).await.status(), StatusCode::CREATED);
    let old = p.sealed(&header.clone().into_legacy_v1(), "from before v2");
    let id = header.message_id();
    let rows = exec(
        &p.app,
        &format!(
            "UPDATE messages SET header = '{}', commitment = NULL, iv = {}, ciphertext = {}, signature = {} WHERE id = '{id}'",
            old.header,
            hex(&old.iv),
            hex(&old.ciphertext),
            hex(&old.signature)
        ),
    )
    .await;
    assert_eq!(rows, 1);
    let bobs = old.keys.iter().find(|k| k.user_id == p.b.user_id).unwrap();
    let keys = exec(
        &p.app,
        &format!(
            "UPDATE message_keys SET wrapped_key = {} WHERE message_id = '{id}' AND user_id = '{}'",
            hex(&bobs.wrapped_key),
            p.b.user_id
        ),
    )
    .await;
    assert_eq!(keys, 1);
    let history = p.history().await;
    assert!(history[0].get("commitment").is_none(), "{}", history[0]);
    let opened = p.bob_opens(&history[0]).unwrap();
    assert_eq!(opened.plaintext, b"from before v2");
    assert!(opened.is_legacy(), "a v1 message opens, marked legacy");
}

/// The attack v2 exists for: alice signs one message and wraps a different content key for
/// bob (the server cannot tell and stores it). Bob's client refuses it on the commitment.
#[tokio::test]
async fn one_signed_message_with_another_content_key_for_one_recipient_is_refused_by_that_recipient() {
    let p = Pair::new().await;
    let header = p.header();
    let mut envelope = p.sealed(&header, "pay alice 10");
    let bobs = envelope.keys.iter_mut().find(|k| k.user_id == p.b.user_id).unwrap();
    bobs.wrapped_key = rsa_oaep_encrypt(p.bob.material.account.enc_public_spki(), &header.hash(), &[9; 32]).unwrap();
    assert_eq!(post(&p.app, &p.a, p.cid, &envelope).await.status(), StatusCode::CREATED);
    let history = p.history().await;
    assert_eq!(p.bob_opens(&history[0]).unwrap_err(), CryptoError::CommitmentMismatch);
    // Alice's own copy (the honest key) opens: the two recipients would have read different things.
    let res = p.app.get_auth(&format!("/api/conversations/{}/messages", p.cid), &p.a.access_token).await;
    let mine: Value = res.json().await.unwrap();
    let received: ReceivedMessage = serde_json::from_value(mine["messages"][0].clone()).unwrap();
    let context = OpenContext { conversation_id: p.cid, sender_id: p.a.user_id, recipient_id: p.a.user_id, message_id: None };
    let acc = &p.alice.material.account;
    assert_eq!(crypto::open(&received, &context, acc.sig_public_spki(), acc).unwrap().plaintext, b"pay alice 10");
}
