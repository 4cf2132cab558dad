//! Exhaustion: memory, connections and registrations an attacker could pile up.

use std::{net::IpAddr, time::Duration};

use futures_util::{stream, StreamExt};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::{chat::fake, helpers::*, process::ServerProcess};

const MIB: u64 = 1024 * 1024;

async fn eventually(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The attack from the hardening review: many streams of one account stop reading while the
/// account is flooded with large messages. Every stalled connection must be closed within the
/// stall timeout (plus the time to fill its budget) and the server must give the memory back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stalled_streams_under_a_flood_are_closed_and_the_server_gives_its_memory_back() {
    let server = ServerProcess::start(&[
        ("STREAM_STALL_SECS", "2"),
        ("STREAM_BUFFER_BYTES", "262144"),
        ("MAX_STREAMS_PER_USER", "25"),
        ("DB_POOL_SIZE", "8"),
    ])
    .await;
    let (a, a_token) = server.signed_in("flooder").await;
    let (b, b_token) = server.signed_in("stalled").await;
    let res = server
        .client
        .post(server.url("/api/conversations"))
        .bearer_auth(&a_token)
        .json(&json!({"member_ids": [b]}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let cid: Uuid = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap();
    let post = |size: usize| {
        let envelope = fake(cid, Uuid::new_v4(), a, &[a, b], size);
        let req = server
            .client
            .post(server.url(&format!("/api/conversations/{cid}/messages")))
            .bearer_auth(&a_token)
            .json(&json!({"envelope": envelope}));
        async move { req.send().await.map(|r| r.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR) }
    };
    let flood = |n: usize| {
        stream::iter(0..n).map(|_| post(60_000)).buffer_unordered(8).collect::<Vec<StatusCode>>()
    };
    // Warm the server up (allocator arenas, pools, one stream) before the baseline.
    assert!(flood(60).await.iter().all(|s| s.is_success()));
    let baseline = server.rss();

    // 20 streams from one address that never read a byte of their bodies: HTTP/1.1, so each is
    // its own connection, as a browser or a script would open them.
    let stalled: IpAddr = "127.0.0.5".parse().unwrap();
    let sleeper = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .http1_only()
        .local_address(stalled)
        .build()
        .unwrap();
    let mut held = Vec::new();
    for _ in 0..20 {
        let res = sleeper.get(server.url("/api/events")).bearer_auth(&b_token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        held.push(res);
    }
    assert_eq!(server.connections_from(stalled), 20);

    // 400 messages of ~60 KB: ~24 MB for each of the 20 streams, ~480 MB in all if queued.
    let statuses = flood(400).await;
    assert!(statuses.iter().all(|s| s.is_success()), "every post is stored");
    let peak = server.rss();

    // Every stalled connection is closed by the server, though the client never closes it.
    eventually("the stalled connections to be closed", Duration::from_secs(30), || {
        server.connections_from(stalled) == 0
    })
    .await;
    // And its memory comes back (allow the allocator a moment to return freed pages).
    let mut after = server.rss();
    for _ in 0..50 {
        if after <= baseline + 4 * MIB {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = server.rss();
    }
    eprintln!("server RSS: baseline {} MiB, peak {} MiB, after {} MiB", baseline / MIB, peak / MIB, after / MIB);
    assert!(after <= baseline + 4 * MIB, "RSS {after} did not come back near the baseline {baseline}");

    // The stalled reader resumes later from its last id and gets everything, in order.
    drop(held);
    let mut stream = crate::sse::open(&server.client, &server.url(""), &b_token, Some(0)).await.unwrap();
    let ready = stream.expect("ready", Duration::from_secs(60)).await;
    assert_eq!(ready.data["last_seq"].as_i64().unwrap(), 460 + 1, "a conversation event and 460 messages");
}

#[tokio::test]
async fn registrations_beyond_the_limit_per_address_get_429_even_when_sent_at_once() {
    let app = spawn_app_with(|s| s.registrations_per_address_per_minute = 3).await;
    let attempts = (0..10).map(|_| {
        let user = TestUser::cheap("signup");
        let req = app.client.post(app.url("/api/auth/register")).json(&user.register_body());
        async move { req.send().await.unwrap() }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let created = answers.iter().filter(|r| r.status() == StatusCode::CREATED).count();
    let limited: Vec<_> = answers.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!(created, 3, "exactly the limit gets through");
    assert_eq!(limited.len(), 7);
    for res in limited {
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 3, "nothing written for the refused ones");

    // Another address is not affected.
    let elsewhere = client_from(Some("127.0.0.7".parse().unwrap()));
    let res = elsewhere.post(app.url("/api/auth/register")).json(&TestUser::cheap("other").register_body()).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
}
