//! Messaging helpers: conversations and envelopes, real (sealed with the crypto module) or
//! fake (random bytes of the right sizes: the server cannot tell, and speed matters).

use courier_protocol::crypto::{self, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::*;

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

impl TestApp {
    pub async fn conversation(&self, s: &Session, others: &[Uuid], title: Option<&str>) -> Value {
        let mut body = json!({"member_ids": others});
        if let Some(t) = title {
            body["title"] = json!(t);
            body["kind"] = json!("group");
        }
        let res = self
            .post_auth("/api/conversations", &s.access_token, &body)
            .await;
        assert!(
            res.status().is_success(),
            "create conversation: {}",
            res.status()
        );
        res.json().await.unwrap()
    }

    pub async fn post_envelope(
        &self,
        s: &Session,
        conversation: Uuid,
        envelope: &Value,
    ) -> reqwest::Response {
        self.post_auth(
            &format!("/api/conversations/{conversation}/messages"),
            &s.access_token,
            &json!({"envelope": envelope}),
        )
        .await
    }
}

/// A sealed envelope from `sender` to `members` (all with their real public keys).
pub fn sealed(
    sender: &TestUser,
    sender_id: Uuid,
    conversation: Uuid,
    members: &[(Uuid, Vec<u8>)],
    text: &str,
) -> (Uuid, Value) {
    let message_id = Uuid::new_v4();
    let header = Header::new(
        conversation,
        message_id,
        sender_id,
        members.iter().map(|(id, _)| *id),
        "text/plain",
        now_ms(),
    )
    .unwrap();
    let envelope =
        crypto::seal(&header, text.as_bytes(), &sender.material.account, members).unwrap();
    (message_id, serde_json::to_value(&envelope).unwrap())
}

pub use courier_test_support::envelope::{fake, fake_typed};

pub fn id_of(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

pub async fn created(res: reqwest::Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}
