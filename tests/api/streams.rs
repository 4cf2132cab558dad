//! Stream lifecycle: slow readers, token expiry, revocation, the per-user cap, bad resumes.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::{chat::*, helpers::*, sse};

const WAIT: Duration = Duration::from_secs(10);

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Over HTTP/2 the stalled stream shares its connection with the client's other requests
/// (here: the very posts that flood it), so it is cut off without closing the connection.
/// (HTTP/1.1, where the connection is closed, is in tests/attacks.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_that_stops_reading_is_cut_off_without_harming_its_connections_other_requests() {
    let app = spawn_app().await; // 256 KiB per stream, stall timeout 2 s
    let (_a, a) = app.signed_in("writer").await;
    let (_b, b) = app.signed_in("sleeper").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    // Open the stream and never read its body.
    let res = app
        .client
        .get(app.url("/api/events"))
        .bearer_auth(&b.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.version(),
        reqwest::Version::HTTP_2,
        "one connection for the stream and the posts"
    );
    until("the stream to register", || {
        app.state.hub.stream_count() == 1
    })
    .await;

    for _ in 0..200 {
        let envelope = fake(
            cid,
            Uuid::new_v4(),
            a.user_id,
            &[a.user_id, b.user_id],
            60_000,
        );
        created(app.post_envelope(&a, cid, &envelope).await).await;
        if app.state.metrics.streams_cut.get() > 0 {
            break;
        }
    }
    until("the stalled stream to be cut off", || {
        app.state.metrics.streams_cut.get() == 1
    })
    .await;
    // It counts until the client lets go of it.
    assert_eq!(app.state.hub.stream_count(), 1);
    drop(res);
    until("the stream to be uncounted", || {
        app.state.hub.stream_count() == 0
    })
    .await;
    // It resumes later from its last id and gets everything.
    let mut stream = sse::open(&app.client, &app.address, &b.access_token, Some(0))
        .await
        .unwrap();
    let ready = stream.expect("ready", WAIT).await;
    assert!(ready.data["last_seq"].as_i64().unwrap() > 1);
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires() {
    let app = spawn_app_with(|s| s.access_token_ttl = Duration::from_secs(2)).await;
    let (_u, s) = app.signed_in("brief").await;
    let mut stream = sse::open(&app.client, &app.address, &s.access_token, None)
        .await
        .unwrap();
    stream.expect("ready", WAIT).await;
    assert!(
        stream.ended_within(Duration::from_secs(10)).await,
        "the stream outlived its token"
    );
}

#[tokio::test]
async fn logout_and_session_revocation_end_that_sessions_streams_only() {
    let app = spawn_app().await;
    let (user, s1) = app.signed_in("multi").await;
    let s2 = app.login(&user).await;
    let mut one = sse::open(&app.client, &app.address, &s1.access_token, None)
        .await
        .unwrap();
    let mut two = sse::open(&app.client, &app.address, &s2.access_token, None)
        .await
        .unwrap();
    one.expect("ready", WAIT).await;
    two.expect("ready", WAIT).await;
    let res = app
        .delete_auth(
            &format!("/api/sessions/{}", s2.session_id),
            &s1.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(
        two.ended_within(WAIT).await,
        "the revoked session's stream must end"
    );
    app.post_auth("/api/auth/logout", &s1.access_token, &json!({}))
        .await;
    assert!(one.ended_within(WAIT).await, "logout must end the stream");
}

#[tokio::test]
async fn the_per_user_stream_cap_answers_429() {
    let app = spawn_app().await; // 5 streams per user in the tests
    let (_u, s) = app.signed_in("tabs").await;
    let mut open = Vec::new();
    for _ in 0..5 {
        let mut st = sse::open(&app.client, &app.address, &s.access_token, None)
            .await
            .unwrap();
        st.expect("ready", WAIT).await;
        open.push(st);
    }
    let err = sse::open(&app.client, &app.address, &s.access_token, None)
        .await
        .err()
        .unwrap();
    assert_eq!(err.0, StatusCode::TOO_MANY_REQUESTS);
    // Closing one frees a place.
    open.pop().unwrap().close();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match sse::open(&app.client, &app.address, &s.access_token, None).await {
            Ok(_) => break,
            Err((StatusCode::TOO_MANY_REQUESTS, _)) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e:?}"),
        }
    }
}

#[tokio::test]
async fn tokens_in_the_url_and_bad_resume_points_are_refused() {
    let app = spawn_app().await;
    let (_u, s) = app.signed_in("careful").await;
    let res = app
        .client
        .get(app.url(&format!("/api/events?access_token={}", s.access_token)))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error());
    let res = app
        .get_auth(
            &format!("/api/events?access_token={}", s.access_token),
            &s.access_token,
        )
        .await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "token_in_url"
    );
    for bad in ["abc", "-1", "999999"] {
        let res = app
            .client
            .get(app.url("/api/events"))
            .bearer_auth(&s.access_token)
            .header("Last-Event-ID", bad)
            .send()
            .await
            .unwrap();
        assert_eq!(
            assert_error(res, StatusCode::BAD_REQUEST).await,
            "invalid_last_event_id",
            "{bad}"
        );
    }
    // The query form works for a first connection.
    let (_o, o) = app.signed_in("other").await;
    app.conversation(&o, &[s.user_id], None).await;
    let res = app
        .get_auth("/api/events?last_event_id=0", &s.access_token)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}
