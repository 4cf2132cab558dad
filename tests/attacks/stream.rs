//! The event stream: resume points, caps, stalled readers.

use std::time::Duration;

use reqwest::StatusCode;
use uuid::Uuid;

use crate::{chat::*, helpers::*, process::established, sse};

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn http1_from(address: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .local_address(Some(address.parse().unwrap()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn one_address_cannot_open_more_streams_than_its_cap_whatever_the_accounts() {
    let app = spawn_app_with(|s| s.max_streams_per_address = 3).await;
    let (_x, x) = app.signed_in("nat_x").await;
    let (_y, y) = app.signed_in("nat_y").await;
    let crowd = http1_from("127.0.0.8");
    let mut open = Vec::new();
    for token in [&x.access_token, &x.access_token, &y.access_token] {
        open.push(sse::open(&crowd, &app.address, token, None).await.expect("under the cap"));
    }
    let refused = sse::open(&crowd, &app.address, &y.access_token, None).await.err().expect("over the cap");
    assert_eq!(refused.0, StatusCode::TOO_MANY_REQUESTS);
    // Another address is not affected.
    let elsewhere = http1_from("127.0.0.9");
    let _other = sse::open(&elsewhere, &app.address, &y.access_token, None).await.expect("another address");
    // A closed stream frees its place.
    open.pop().unwrap().close();
    until("the closed stream to be uncounted", || app.state.hub.stream_count() == 3).await;
    let mut admitted = None;
    for _ in 0..100 {
        match sse::open(&crowd, &app.address, &y.access_token, None).await {
            Ok(s) => {
                admitted = Some(s);
                break;
            }
            // The close is counted in the database just after the hub sees it.
            Err((StatusCode::TOO_MANY_REQUESTS, _)) => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert!(admitted.is_some(), "a place freed by a closed stream is given to the next");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stalled_stream_keeps_counting_against_the_cap_until_the_server_has_closed_its_connection() {
    let app = spawn_app().await; // 5 streams per user, stall timeout 2 s, 256 KiB per stream
    let (_a, a) = app.signed_in("writer").await;
    let (_b, b) = app.signed_in("hoarder").await;
    let cid = id_of(&app.conversation(&a, &[b.user_id], None).await);
    let sleeper = http1_from("127.0.0.10");
    let mut stalled = Vec::new();
    for _ in 0..5 {
        let res = sleeper.get(app.url("/api/events")).bearer_auth(&b.access_token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        stalled.push(res);
    }
    // Watch, while the flood goes on and the stalled streams are cut off, that no connection
    // the server still holds has stopped counting (the flaw was: the stream's task ended, the
    // connection stayed, and the cap forgot it).
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let peer = "127.0.0.10".parse().unwrap();
    let hub = app.state.hub.clone();
    let watcher = tokio::spawn(async move {
        let mut suspicious = 0;
        loop {
            let (held, counted) = (established(port, peer), hub.stream_count());
            // Two readings in a row, so a connection caught between its close and its
            // uncounting is not taken for a leak.
            suspicious = if held > counted { suspicious + 1 } else { 0 };
            assert!(suspicious < 2, "{held} connections held but only {counted} counted");
            if held == 0 && counted == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    for _ in 0..150 {
        let envelope = fake(cid, Uuid::new_v4(), a.user_id, &[a.user_id, b.user_id], 60_000);
        created(app.post_envelope(&a, cid, &envelope).await).await;
    }
    tokio::time::timeout(Duration::from_secs(30), watcher).await.expect("the stalled connections are closed").unwrap();
    // The server closes them itself; then the places are free again.
    until("the stalled streams to be closed", || app.state.hub.stream_count() == 0).await;
    let mut fresh = None;
    for _ in 0..100 {
        if let Ok(s) = sse::open(&app.client, &app.address, &b.access_token, Some(0)).await {
            fresh = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut fresh = fresh.expect("the cap has room again");
    let ready = fresh.expect("ready", Duration::from_secs(30)).await;
    assert!(ready.data["last_seq"].as_i64().unwrap() >= 150);
    drop(stalled);
}
