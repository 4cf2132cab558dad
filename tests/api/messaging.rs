use std::time::Duration;

use courier_protocol::crypto::{self, OpenContext, ReceivedMessage};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{chat::*, helpers::*, sse};

const WAIT: Duration = Duration::from_secs(10);

fn open_event(ev: &Value, reader: &TestUser, reader_id: Uuid, sender: &TestUser) -> String {
    let received: ReceivedMessage = serde_json::from_value(json!({
        "header": ev["header"], "commitment": ev["commitment"], "iv": ev["iv"], "ciphertext": ev["ciphertext"],
        "signature": ev["signature"], "wrapped_key": ev["wrapped_key"],
    }))
    .unwrap();
    let context = OpenContext {
        conversation_id: ev["conversation_id"].as_str().unwrap().parse().unwrap(),
        sender_id: ev["sender_id"].as_str().unwrap().parse().unwrap(),
        recipient_id: reader_id,
        message_id: Some(ev["message_id"].as_str().unwrap().parse().unwrap()),
    };
    let opened = crypto::open(
        &received,
        &context,
        sender.material.account.sig_public_spki(),
        &reader.material.account,
    )
    .unwrap();
    String::from_utf8(opened.plaintext).unwrap()
}

#[tokio::test]
async fn two_users_exchange_messages_live_and_an_outsider_learns_nothing() {
    let app = spawn_app().await;
    let mut alice = TestUser::real("alice");
    let mut bob = TestUser::real("bob");
    let (a_id, b_id) = (app.register(&mut alice).await, app.register(&mut bob).await);
    let (a, b) = (app.login(&alice).await, app.login(&bob).await);
    let (_eve, e) = app.signed_in("eve").await;
    let mut eve_stream = sse::open(&app.client, &app.address, &e.access_token, None)
        .await
        .unwrap();

    let conv = app.conversation(&a, &[b_id], None).await;
    let cid = id_of(&conv);
    assert_eq!(conv["kind"], "direct");
    let again = app.conversation(&b, &[a_id], None).await;
    assert_eq!(id_of(&again), cid, "one direct conversation per pair");

    let mut a_stream = sse::open(&app.client, &app.address, &a.access_token, None)
        .await
        .unwrap();
    let mut b_stream = sse::open(&app.client, &app.address, &b.access_token, None)
        .await
        .unwrap();
    a_stream.expect("ready", WAIT).await;
    b_stream.expect("ready", WAIT).await;

    let members = vec![
        (a_id, alice.material.account.enc_public_spki().to_vec()),
        (b_id, bob.material.account.enc_public_spki().to_vec()),
    ];
    let (mid, envelope) = sealed(&alice, a_id, cid, &members, "hello bob");
    let posted = created(app.post_envelope(&a, cid, &envelope).await).await;
    assert_eq!(posted["message_id"], mid.to_string());
    let ev = b_stream.expect("message", WAIT).await;
    assert_eq!(ev.data["message_id"], mid.to_string());
    assert_eq!(open_event(&ev.data, &bob, b_id, &alice), "hello bob");
    // The sender's own devices get it too, with the sender's own wrapped key.
    let own = a_stream.expect("message", WAIT).await;
    assert_eq!(own.id, Some(posted["seq"].as_i64().unwrap()));
    assert_ne!(own.data["wrapped_key"], ev.data["wrapped_key"]);

    let (_, reply) = sealed(&bob, b_id, cid, &members, "hi alice");
    created(app.post_envelope(&b, cid, &reply).await).await;
    let ev = a_stream.expect("message", WAIT).await;
    assert_eq!(open_event(&ev.data, &alice, a_id, &bob), "hi alice");

    // Eve: the conversation does not exist for her.
    let path = format!("/api/conversations/{cid}");
    assert_eq!(
        app.get_auth(&path, &e.access_token).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get_auth(&format!("{path}/messages"), &e.access_token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let list: Value = app
        .get_auth("/api/conversations", &e.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["conversations"].as_array().unwrap().is_empty());
    let forged = fake(cid, Uuid::new_v4(), e.user_id, &[a_id, b_id, e.user_id], 32);
    assert_eq!(
        app.post_envelope(&e, cid, &forged).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_auth(&format!("{path}/typing"), &e.access_token, &json!({}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let receipt = json!({"status": "read", "up_to": mid});
    assert_eq!(
        app.post_auth(&format!("{path}/receipts"), &e.access_token, &receipt)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post_auth(
            &format!("{path}/members"),
            &e.access_token,
            &json!({"user_id": e.user_id})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    // Eve's stream saw nothing of it: the first persistent event she gets is her own.
    let (_carol, c) = app.signed_in("carol").await;
    let own_conv = app.conversation(&c, &[e.user_id], None).await;
    let ev = loop {
        let ev = eve_stream
            .next(WAIT)
            .await
            .expect("eve gets her own conversation");
        if ev.id.is_some() {
            break ev;
        }
    };
    assert_eq!(ev.event, "conversation");
    assert_eq!(ev.data["conversation"]["id"], own_conv["id"]);
    assert_eq!(ev.id, Some(1));
}

#[tokio::test]
async fn malformed_envelopes_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("ann").await;
    let (_b, b) = app.signed_in("ben").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let members = [a.user_id, b.user_id];
    let good = || fake(cid, Uuid::new_v4(), a.user_id, &members, 64);
    let before = app.snapshot().await;

    let header_with = |f: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut e = good();
        let mut h: serde_json::Map<String, Value> =
            serde_json::from_str(e["header"].as_str().unwrap()).unwrap();
        f(&mut h);
        e["header"] = json!(serde_json::to_string(&h).unwrap());
        e
    };
    let b64 =
        |n: usize| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, vec![1u8; n]);
    let mut cases: Vec<(&str, Value, StatusCode)> = vec![
        (
            "spaces in the header",
            {
                let mut e = good();
                e["header"] = json!(e["header"].as_str().unwrap().replace(",", ", "));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "an extra header field",
            header_with(&|h| {
                h.insert("x".into(), json!(1));
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a missing header field",
            header_with(&|h| {
                h.remove("sent_at");
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "version 1 (not key-committing)",
            header_with(&|h| {
                h.insert("v".into(), json!(1));
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "version 3",
            header_with(&|h| {
                h.insert("v".into(), json!(3));
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no commitment",
            {
                let mut e = good();
                e.as_object_mut().unwrap().remove("commitment");
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "a 31-byte commitment",
            {
                let mut e = good();
                e["commitment"] = json!(b64(31));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "an empty message (ciphertext of only the tag)",
            {
                let mut e = good();
                e["ciphertext"] = json!(b64(16));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "a 512-byte wrapped key (RSA-4096)",
            {
                let mut e = good();
                e["keys"][0]["wrapped_key"] = json!(b64(512));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "uppercase uuid",
            header_with(&|h| {
                h.insert(
                    "message_id".into(),
                    json!(Uuid::new_v4().to_string().to_uppercase()),
                );
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "another conversation",
            header_with(&|h| {
                h.insert("conversation_id".into(), json!(Uuid::new_v4()));
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a sender who is not the caller",
            header_with(&|h| {
                h.insert("sender_id".into(), json!(b.user_id));
            }),
            StatusCode::FORBIDDEN,
        ),
        (
            "unsorted recipients",
            header_with(&|h| {
                let mut r = members.to_vec();
                r.sort();
                r.reverse();
                h.insert("recipients".into(), json!(r));
            }),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a header that is not JSON",
            {
                let mut e = good();
                e["header"] = json!("hello");
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "an 11-byte iv",
            {
                let mut e = good();
                e["iv"] = json!(b64(11));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "a 63-byte signature",
            {
                let mut e = good();
                e["signature"] = json!(b64(63));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad base64",
            {
                let mut e = good();
                e["ciphertext"] = json!("!!!");
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "ciphertext over 64 KiB",
            {
                let mut e = good();
                e["ciphertext"] = json!(b64(64 * 1024 + 17));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "a missing wrapped key",
            {
                let mut e = good();
                e["keys"].as_array_mut().unwrap().pop();
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "a duplicate wrapped key",
            {
                let mut e = good();
                let k = e["keys"][0].clone();
                e["keys"].as_array_mut().unwrap()[1] = k;
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "an extra wrapped key",
            {
                let mut e = good();
                e["keys"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"user_id": Uuid::new_v4(), "wrapped_key": b64(384)}));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "a short wrapped key",
            {
                let mut e = good();
                e["keys"][0]["wrapped_key"] = json!(b64(256));
                e
            },
            StatusCode::BAD_REQUEST,
        ),
        (
            "recipients that are not the members",
            fake(cid, Uuid::new_v4(), a.user_id, &[a.user_id], 64),
            StatusCode::CONFLICT,
        ),
        (
            "no keys at all",
            {
                let mut e = good();
                e.as_object_mut().unwrap().remove("keys");
                e
            },
            StatusCode::BAD_REQUEST,
        ),
    ];
    cases.push((
        "a wrongly typed iv",
        {
            let mut e = good();
            e["iv"] = json!(12);
            e
        },
        StatusCode::BAD_REQUEST,
    ));
    for (what, envelope, status) in cases {
        let res = app.post_envelope(&a, cid, &envelope).await;
        assert_error(res, status).await;
        let _ = what;
    }
    let res = app
        .client
        .post(app.url(&format!("/api/conversations/{cid}/messages")))
        .bearer_auth(&a.access_token)
        .header("content-type", "application/json")
        .body("{\"envelope\":")
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::BAD_REQUEST).await;
    let huge = json!({"envelope": {"header": "x".repeat(600 * 1024)}});
    assert_error(
        app.post_envelope(&a, cid, &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused envelope wrote something"
    );
}

#[tokio::test]
async fn a_repeated_message_id_is_stored_once_and_answered_the_same() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("amy").await;
    let (_b, b) = app.signed_in("bill").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let envelope = fake(cid, Uuid::new_v4(), a.user_id, &[a.user_id, b.user_id], 100);
    let first = created(app.post_envelope(&a, cid, &envelope).await).await;
    let second = created(app.post_envelope(&a, cid, &envelope).await).await;
    assert_eq!(first, second);
    assert_eq!(app.count("SELECT count(*) AS n FROM messages").await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE kind = 'message'")
            .await,
        2
    );
    // The same id with other content is a conflict, not a silent overwrite.
    let mut other = envelope.clone();
    let mut h: Value = serde_json::from_str(other["header"].as_str().unwrap()).unwrap();
    h["sent_at"] = json!(1);
    other["header"] = json!(serde_json::to_string(&h).unwrap());
    assert_error(
        app.post_envelope(&a, cid, &other).await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn history_pages_backwards_and_by_time() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("ada").await;
    let (_b, b) = app.signed_in("bo").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let mut ids = Vec::new();
    for _ in 0..7 {
        let id = Uuid::new_v4();
        created(
            app.post_envelope(
                &a,
                cid,
                &fake(cid, id, a.user_id, &[a.user_id, b.user_id], 17),
            )
            .await,
        )
        .await;
        ids.push(id.to_string());
    }
    let page: Value = app
        .get_auth(
            &format!("/api/conversations/{cid}/messages?limit=3"),
            &b.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<_> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, ids[4..]);
    let before = page["messages"][0]["position"].as_i64().unwrap();
    let older: Value = app
        .get_auth(
            &format!("/api/conversations/{cid}/messages?limit=3&before={before}"),
            &b.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<_> = older["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, ids[1..4]);
    assert!(
        older["messages"][0]["wrapped_key"].is_string(),
        "history carries the reader's wrapped key"
    );
    let future = now_ms() + 60_000;
    let none: Value = app
        .get_auth(
            &format!("/api/conversations/{cid}/messages?since={future}"),
            &b.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(none["messages"].as_array().unwrap().is_empty());
    let all: Value = app
        .get_auth(
            &format!("/api/conversations/{cid}/messages?since=0&until={future}"),
            &b.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["messages"].as_array().unwrap().len(), 7);
    for bad in [
        "limit=0",
        "limit=1000",
        "before=-1",
        "since=5&until=1",
        "limit=abc",
    ] {
        let res = app
            .get_auth(
                &format!("/api/conversations/{cid}/messages?{bad}"),
                &b.access_token,
            )
            .await;
        assert_error(res, StatusCode::BAD_REQUEST).await;
    }
}
