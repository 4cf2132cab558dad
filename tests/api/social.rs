//! Receipts, typing, presence, deletion and membership changes.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::{chat::*, helpers::*, sse};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn telemetry_batches_and_deleted_messages_are_not_counted_as_unread() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("emitter").await;
    let (_b, b) = app.signed_in("viewer").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let members = [a.user_id, b.user_id];
    let series = courier_protocol::limits::SERIES_CONTENT_TYPE;
    let mut texts = vec![];
    for i in 0..5 {
        let id = Uuid::new_v4();
        let envelope = if i % 2 == 0 {
            texts.push(id);
            fake(cid, id, a.user_id, &members, 17)
        } else {
            fake_typed(cid, id, a.user_id, &members, 17, series)
        };
        created(app.post_envelope(&a, cid, &envelope).await).await;
    }
    assert_eq!(unread_of(&app, cid, &b).await, 3, "three texts; the two batches are not counted");
    let res = app
        .delete_auth(
            &format!("/api/conversations/{cid}/messages/{}", texts[1]),
            &a.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(unread_of(&app, cid, &b).await, 2, "a deleted message is not unread");
    assert_eq!(unread_of(&app, cid, &a).await, 0, "one's own messages are never unread");
}

/// The caller's unread count of `cid`, the same in the conversation and in the list.
async fn unread_of(app: &TestApp, cid: Uuid, s: &Session) -> i64 {
    let view: Value = app
        .get_auth(&format!("/api/conversations/{cid}"), &s.access_token)
        .await
        .json()
        .await
        .unwrap();
    let listed: Value = app
        .get_auth("/api/conversations", &s.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["conversations"][0]["unread_count"], view["unread_count"]);
    view["unread_count"].as_i64().unwrap()
}

#[tokio::test]
async fn receipts_move_from_sent_to_delivered_to_read_and_never_back() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("sender").await;
    let (_b, b) = app.signed_in("receiver").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let members = [a.user_id, b.user_id];
    let first = Uuid::new_v4();
    created(
        app.post_envelope(&a, cid, &fake(cid, first, a.user_id, &members, 17))
            .await,
    )
    .await;
    let second = Uuid::new_v4();
    let posted = created(
        app.post_envelope(&a, cid, &fake(cid, second, a.user_id, &members, 17))
            .await,
    )
    .await;
    let mut a_stream = sse::open(
        &app.client,
        &app.address,
        &a.access_token,
        posted["seq"].as_i64(),
    )
    .await
    .unwrap();

    let path = format!("/api/conversations/{cid}/receipts");
    let res = app
        .post_auth(
            &path,
            &b.access_token,
            &json!({"status": "delivered", "up_to": second}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ev = a_stream.expect("receipt", WAIT).await;
    assert_eq!(
        (ev.data["status"].as_str(), ev.data["position"].as_i64()),
        (Some("delivered"), Some(2))
    );
    assert_eq!(ev.data["user_id"], b.user_id.to_string());

    app.post_auth(
        &path,
        &b.access_token,
        &json!({"status": "read", "up_to": second}),
    )
    .await;
    let ev = a_stream.expect("receipt", WAIT).await;
    assert_eq!(ev.data["status"], "read");
    // Older receipts change nothing and log nothing.
    let events_before = app.count("SELECT count(*) AS n FROM events").await;
    let res = app
        .post_auth(
            &path,
            &b.access_token,
            &json!({"status": "delivered", "up_to": first}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events").await,
        events_before
    );
    let view: Value = app
        .get_auth(&format!("/api/conversations/{cid}"), &b.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["read_up_to"], 2);
    assert_eq!(view["unread_count"], 0);
    let res = app
        .post_auth(
            &path,
            &b.access_token,
            &json!({"status": "seen", "up_to": first}),
        )
        .await;
    assert_error(res, StatusCode::BAD_REQUEST).await;
    let res = app
        .post_auth(
            &path,
            &b.access_token,
            &json!({"status": "read", "up_to": Uuid::new_v4()}),
        )
        .await;
    assert_error(res, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn typing_reaches_the_other_members_once_a_second_at_most() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("typist").await;
    let (_b, b) = app.signed_in("watcher").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let mut b_stream = sse::open(&app.client, &app.address, &b.access_token, None)
        .await
        .unwrap();
    b_stream.expect("ready", WAIT).await;
    let path = format!("/api/conversations/{cid}/typing");
    assert_eq!(
        app.post_auth(&path, &a.access_token, &json!({}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let ev = b_stream.expect("typing", WAIT).await;
    assert_eq!(ev.id, None, "typing is ephemeral");
    assert_eq!(ev.data["user_id"], a.user_id.to_string());
    let res = app.post_auth(&path, &a.access_token, &json!({})).await;
    assert_error(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE kind = 'typing'")
            .await,
        0
    );
}

#[tokio::test]
async fn presence_is_seen_by_contacts_only() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("present").await;
    let (_b, b) = app.signed_in("friend").await;
    let (_e, e) = app.signed_in("stranger").await;
    app.conversation(&a, &[b.user_id], None).await;
    let mut b_stream = sse::open(&app.client, &app.address, &b.access_token, None)
        .await
        .unwrap();
    b_stream.expect("ready", WAIT).await;
    let mut e_stream = sse::open(&app.client, &app.address, &e.access_token, None)
        .await
        .unwrap();
    e_stream.expect("ready", WAIT).await;

    let mut a_stream = sse::open(&app.client, &app.address, &a.access_token, None)
        .await
        .unwrap();
    a_stream.expect("ready", WAIT).await;
    let ev = b_stream.expect("presence", WAIT).await;
    assert_eq!(
        (ev.data["user_id"].as_str(), ev.data["online"].as_bool()),
        (Some(a.user_id.to_string().as_str()), Some(true))
    );
    let seen: Value = app
        .get_auth("/api/presence", &b.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(seen["online"]
        .as_array()
        .unwrap()
        .contains(&json!(a.user_id)));
    let unseen: Value = app
        .get_auth("/api/presence", &e.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        unseen["online"].as_array().unwrap().is_empty(),
        "a stranger sees nobody"
    );

    a_stream.close();
    let ev = b_stream.expect("presence", WAIT).await;
    assert_eq!(ev.data["online"], false);
    // The stranger's stream got no presence at all: its next event is one we cause now.
    let (_c, c) = app.signed_in("marker").await;
    app.conversation(&c, &[e.user_id], None).await;
    let next = e_stream.next(WAIT).await.unwrap();
    assert_eq!(next.event, "conversation");
}

#[tokio::test]
async fn delete_for_everyone_erases_the_ciphertext_and_tells_every_member() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("author").await;
    let (_b, b) = app.signed_in("member").await;
    let (_c, c) = app.signed_in("third").await;
    let conv = app
        .conversation(&a, &[b.user_id, c.user_id], Some("trio"))
        .await;
    let cid = id_of(&conv);
    assert_eq!(conv["kind"], "group");
    let members = [a.user_id, b.user_id, c.user_id];
    let mid = Uuid::new_v4();
    let posted = created(
        app.post_envelope(&a, cid, &fake(cid, mid, a.user_id, &members, 64))
            .await,
    )
    .await;
    let path = format!("/api/conversations/{cid}/messages/{mid}");
    assert_error(
        app.delete_auth(&path, &b.access_token, None).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let mut c_stream = sse::open(&app.client, &app.address, &c.access_token, None)
        .await
        .unwrap();
    assert_eq!(
        app.delete_auth(&path, &a.access_token, None).await.status(),
        StatusCode::NO_CONTENT
    );
    let ev = c_stream.expect("message_deleted", WAIT).await;
    assert_eq!(ev.data["message_id"], mid.to_string());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM messages WHERE ciphertext IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM message_keys WHERE length(wrapped_key) > 0")
            .await,
        0
    );
    let history: Value = app
        .get_auth(
            &format!("/api/conversations/{cid}/messages"),
            &b.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["messages"][0]["deleted"], true);
    assert!(history["messages"][0].get("ciphertext").is_none());
    // Replaying the log shows the tombstone too.
    let mut replay = sse::open(
        &app.client,
        &app.address,
        &b.access_token,
        Some(posted["seq"].as_i64().unwrap() - 2),
    )
    .await
    .unwrap();
    let ev = replay.expect("message", WAIT).await;
    assert_eq!(ev.data["deleted"], true);
}

#[tokio::test]
async fn members_are_added_removed_and_can_leave_and_the_log_says_so() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("owner").await;
    let (_b, b) = app.signed_in("joiner").await;
    let (_c, c) = app.signed_in("later").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], Some("club")).await);
    let mut c_stream = sse::open(&app.client, &app.address, &c.access_token, None)
        .await
        .unwrap();
    let members_path = format!("/api/conversations/{cid}/members");
    let res = app
        .post_auth(
            &members_path,
            &b.access_token,
            &json!({"user_id": c.user_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ev = c_stream.expect("conversation", WAIT).await;
    assert_eq!(ev.data["change"], "member_added");
    assert_eq!(
        ev.data["conversation"]["members"].as_array().unwrap().len(),
        3
    );
    let res = app
        .post_auth(
            &members_path,
            &b.access_token,
            &json!({"user_id": c.user_id}),
        )
        .await;
    assert_error(res, StatusCode::CONFLICT).await;
    // Only the creator removes others; anyone leaves.
    let res = app
        .delete_auth(
            &format!("{members_path}/{}", a.user_id),
            &c.access_token,
            None,
        )
        .await;
    assert_error(res, StatusCode::FORBIDDEN).await;
    let res = app
        .delete_auth(
            &format!("{members_path}/{}", c.user_id),
            &a.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ev = c_stream.expect("conversation", WAIT).await;
    assert_eq!(ev.data["change"], "member_removed");
    assert_eq!(
        app.get_auth(&format!("/api/conversations/{cid}"), &c.access_token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = app
        .delete_auth(
            &format!("{members_path}/{}", b.user_id),
            &b.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let view: Value = app
        .get_auth(&format!("/api/conversations/{cid}"), &a.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["members"].as_array().unwrap().len(), 1);
    // A direct conversation keeps its two members.
    let direct = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let res = app
        .post_auth(
            &format!("/api/conversations/{direct}/members"),
            &a.access_token,
            &json!({"user_id": c.user_id}),
        )
        .await;
    assert_error(res, StatusCode::BAD_REQUEST).await;
    let res = app
        .post_auth(
            "/api/conversations",
            &a.access_token,
            &json!({"member_ids": [Uuid::new_v4()]}),
        )
        .await;
    assert_error(res, StatusCode::BAD_REQUEST).await;
    let res = app
        .post_auth(
            "/api/conversations",
            &a.access_token,
            &json!({"member_ids": []}),
        )
        .await;
    assert_error(res, StatusCode::BAD_REQUEST).await;
}

#[tokio::test]
async fn former_members_keep_their_names_and_each_change_says_who_made_it() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("founder").await;
    let (b_user, b) = app.signed_in("leaver").await;
    let (c_user, c) = app.signed_in("deleter").await;
    let (d_user, d) = app.signed_in("newcomer").await;
    let created = app
        .conversation(&a, &[b.user_id, c.user_id], Some("club"))
        .await;
    let cid = id_of(&created);
    let view = |token: String| {
        let app = &app;
        async move {
            app.get_auth(&format!("/api/conversations/{cid}"), &token)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    // Who added whom: the creator has no `added_by`; the first members were added by them.
    assert!(created.get("added_by").is_none(), "{created}");
    assert_eq!(
        view(b.access_token.clone()).await["added_by"],
        json!(a.user_id)
    );

    let mut d_stream = sse::open(&app.client, &app.address, &d.access_token, None)
        .await
        .unwrap();
    let members_path = format!("/api/conversations/{cid}/members");
    let res = app
        .post_auth(
            &members_path,
            &a.access_token,
            &json!({"user_id": d.user_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ev = d_stream.expect("conversation", WAIT).await;
    assert_eq!(
        (&ev.data["change"], &ev.data["user_id"], &ev.data["by"]),
        (&json!("member_added"), &json!(d.user_id), &json!(a.user_id))
    );
    assert_eq!(
        view(d.access_token.clone()).await["added_by"],
        json!(a.user_id)
    );

    // b leaves, c deletes the account: both keep their names on the conversation.
    let res = app
        .delete_auth(
            &format!("{members_path}/{}", b.user_id),
            &b.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ev = d_stream.expect("conversation", WAIT).await;
    assert_eq!(
        (&ev.data["user_id"], &ev.data["by"]),
        (&json!(b.user_id), &json!(b.user_id))
    );
    let res = app
        .delete_auth(
            "/api/account",
            &c.access_token,
            Some(&json!({"auth_key": c_user.auth_key()})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ev = d_stream.expect("conversation", WAIT).await;
    assert_eq!(
        (&ev.data["change"], &ev.data["by"]),
        (&json!("member_removed"), &json!(c.user_id))
    );
    let former = view(a.access_token.clone()).await["former_members"].clone();
    let mut expected = vec![
        json!({"id": b.user_id, "username": b_user.username}),
        json!({"id": c.user_id, "username": c_user.username}),
    ];
    expected.sort_by_key(|v| v["username"].as_str().unwrap().to_owned());
    assert_eq!(former, json!(expected));

    // Removed by the creator, then added back: a member again, not a former one.
    let res = app
        .delete_auth(
            &format!("{members_path}/{}", d.user_id),
            &a.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ev = d_stream.expect("conversation", WAIT).await;
    assert_eq!(
        (&ev.data["user_id"], &ev.data["by"]),
        (&json!(d.user_id), &json!(a.user_id))
    );
    let listed = view(a.access_token.clone()).await;
    assert!(listed["former_members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["username"] == json!(d_user.username)));
    let res = app
        .post_auth(
            &members_path,
            &a.access_token,
            &json!({"user_id": d.user_id}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let back = view(a.access_token.clone()).await;
    assert!(!back["former_members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == json!(d.user_id)));
    assert_eq!(back["members"].as_array().unwrap().len(), 2);
}
