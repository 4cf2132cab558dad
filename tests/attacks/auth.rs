//! Authentication: login throttles, credential guessing, account enumeration.
//!
//! The limit is counted before bcrypt (a reservation in PostgreSQL), so concurrency, many source
//! addresses or many instances cannot push more than `LOGIN_FAILURES_PER_ACCOUNT` guesses per
//! window through it; an address that signed in before keeps a small, itself limited,
//! allowance; every refusal says when to retry.

use std::{net::IpAddr, sync::Arc};

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Barrier;

use crate::helpers::*;

fn random_key() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
}

fn loopback(last: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, last]))
}

fn attempt(user: &TestUser, key: String) -> Value {
    json!({"username": user.username, "auth_key": key})
}

/// Fires every (client, url, body) at once (the barrier releases them together) and returns
/// each answer's status and `Retry-After`.
async fn all_at_once(requests: Vec<(Client, String, Value)>) -> Vec<(StatusCode, Option<u64>)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|(client, url, body)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let res = client.post(url).json(&body).send().await.unwrap();
                let retry = res.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
                (res.status(), retry)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn tally(results: &[(StatusCode, Option<u64>)], window_secs: u64) -> (usize, usize) {
    let mut evaluated = 0;
    let mut limited = 0;
    for (status, retry) in results {
        match *status {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let retry = retry.expect("every 429 carries Retry-After");
                assert!((1..=window_secs).contains(&retry), "Retry-After {retry} outside the window");
                limited += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    (evaluated, limited)
}

async fn failures_for(app: &TestApp, user: &TestUser) -> i64 {
    app.count(&format!("SELECT count(*) AS n FROM login_failures WHERE username = '{}'", user.username)).await
}

#[tokio::test]
async fn forty_simultaneous_wrong_logins_from_forty_addresses_reach_bcrypt_at_most_limit_times() {
    let app = spawn_app().await; // 5 per account, 20 per address, known allowance 3
    let limit = app.settings.login_failures_per_account as usize;
    let mut owner = TestUser::cheap("olive");
    app.register(&mut owner).await;
    // The owner signed in from 127.0.0.1 before the attack: that address is known.
    app.login(&owner).await;

    let requests = (0..40u8)
        .map(|i| (client_from(loopback(10 + i)), app.url("/api/auth/login"), attempt(&owner, random_key())))
        .collect();
    let results = all_at_once(requests).await;
    let (evaluated, limited) = tally(&results, 900);
    assert_eq!(evaluated, limit, "exactly the limit is evaluated by bcrypt, however concurrent");
    assert_eq!(limited, 40 - limit);
    assert_eq!(failures_for(&app, &owner).await, limit as i64);

    // A stranger with the right key still waits: the limit is not an oracle for the right one.
    let res = client_from(loopback(99)).post(app.url("/api/auth/login")).json(&attempt(&owner, owner.auth_key())).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(assert_error(res, StatusCode::TOO_MANY_REQUESTS).await, "too_many_requests");
    // The owner, from the address that signed in before, gets in all the same.
    app.login(&owner).await;
    // And that success did not forgive the strangers' failures.
    assert_eq!(failures_for(&app, &owner).await, limit as i64);
    let res = client_from(loopback(98)).post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_known_address_allowance_is_itself_limited_even_when_raced() {
    let app = spawn_app().await;
    let (limit, allowance) = (app.settings.login_failures_per_account, app.settings.login_known_allowance);
    let mut owner = TestUser::cheap("opal");
    app.register(&mut owner).await;
    app.login(&owner).await; // 127.0.0.1 becomes known
    let stranger = client_from(loopback(2));
    for _ in 0..limit {
        let res = stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    // Someone at the owner's address guesses, 12 at once: only the allowance reaches bcrypt.
    let requests = (0..12).map(|_| (client(), app.url("/api/auth/login"), attempt(&owner, random_key()))).collect();
    let (evaluated, limited) = tally(&all_at_once(requests).await, 900);
    assert_eq!(evaluated as i64, allowance);
    assert_eq!(limited as i64, 12 - allowance);
    assert_eq!(failures_for(&app, &owner).await, limit + allowance);
    // Used up: even the right key from the known address now waits.
    let res = app.post("/api/auth/login", &attempt(&owner, owner.auth_key())).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_address_that_never_signed_in_gets_no_allowance() {
    let app = spawn_app().await;
    let mut owner = TestUser::cheap("onyx");
    app.register(&mut owner).await;
    app.login(&owner).await; // known: 127.0.0.1 only
    let stranger = client_from(loopback(3));
    for _ in 0..app.settings.login_failures_per_account {
        stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())).send().await.unwrap();
    }
    // A third address, even with the right key, is outside the allowance.
    let res = client_from(loopback(4)).post(app.url("/api/auth/login")).json(&attempt(&owner, owner.auth_key())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Nor the stranger's own address, however often it tried.
    let res = stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, owner.auth_key())).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_limit_holds_across_two_instances_sharing_the_database() {
    let app = spawn_app().await;
    let other = spawn_on(app.settings.clone()).await;
    let limit = app.settings.login_failures_per_account as usize;
    let mut owner = TestUser::cheap("orla");
    app.register(&mut owner).await;
    let requests = (0..30u8)
        .map(|i| {
            let target = if i % 2 == 0 { &app } else { &other };
            (client_from(loopback(100 + i)), target.url("/api/auth/login"), attempt(&owner, random_key()))
        })
        .collect();
    let (evaluated, limited) = tally(&all_at_once(requests).await, 900);
    assert_eq!(evaluated, limit);
    assert_eq!(limited, 30 - limit);
}

#[tokio::test]
async fn attempts_turned_away_by_the_bcrypt_gate_do_not_count_as_failures() {
    let app = spawn_app_with(|s| {
        s.bcrypt_cost = 8;
        s.bcrypt_concurrency = 1;
        s.bcrypt_queue = 1;
        s.login_failures_per_account = 1000;
        s.login_failures_per_ip = 1000;
    })
    .await;
    let mut owner = TestUser::cheap("odin");
    app.register(&mut owner).await;
    let requests = (0..20).map(|_| (client(), app.url("/api/auth/login"), attempt(&owner, random_key()))).collect();
    let results = all_at_once(requests).await;
    let (evaluated, limited) = tally(&results, 900);
    assert!(limited >= 1, "the gate turned some away");
    assert_eq!(failures_for(&app, &owner).await, evaluated as i64, "only evaluated attempts are counted");
}

#[tokio::test]
async fn every_throttled_answer_on_every_credential_route_says_when_to_retry() {
    let app = spawn_app_with(|s| {
        s.login_failures_per_account = 1;
        s.login_known_allowance = 0;
    })
    .await;
    let (owner, s) = app.signed_in("orson").await;
    let stranger = client_from(loopback(5));
    stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())).send().await.unwrap();
    let attempts = [
        stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())),
        stranger.post(app.url("/api/account/recover")).json(&json!({"username": owner.username, "recovery_auth_key": random_key()})),
        // Re-authentication of a signed-in session counts against the same account.
        client_from(loopback(6)).delete(app.url("/api/account")).bearer_auth(&s.access_token).json(&json!({"auth_key": random_key()})),
    ];
    for req in attempts {
        let res = req.send().await.unwrap();
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry));
        assert_eq!(assert_error(res, StatusCode::TOO_MANY_REQUESTS).await, "too_many_requests");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 1, "nothing was deleted");
}

#[tokio::test]
async fn a_signed_in_owner_can_still_re_authenticate_while_strangers_hold_the_limit_but_only_within_the_allowance() {
    let app = spawn_app().await;
    let (owner, s) = app.signed_in("otto").await;
    let stranger = client_from(loopback(7));
    for _ in 0..app.settings.login_failures_per_account {
        stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())).send().await.unwrap();
    }
    // The owner's session, now on another network, re-proves the key to delete the account:
    // a wrong key is evaluated (401) within the allowance, then refused (429).
    let away = client_from(loopback(8));
    let delete = |key: String| away.delete(app.url("/api/account")).bearer_auth(&s.access_token).json(&json!({"auth_key": key}));
    for _ in 0..app.settings.login_known_allowance {
        assert_eq!(delete(random_key()).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let res = delete(owner.auth_key()).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 1);
}

#[tokio::test]
async fn a_signed_in_owner_changes_the_password_while_strangers_hold_the_limit() {
    let app = spawn_app().await;
    let (owner, s) = app.signed_in("oona").await;
    let stranger = client_from(loopback(9));
    for _ in 0..app.settings.login_failures_per_account {
        stranger.post(app.url("/api/auth/login")).json(&attempt(&owner, random_key())).send().await.unwrap();
    }
    let change = owner.material.account.rewrap_for_password("a new password", courier_protocol::limits::MIN_ITERATIONS).unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["auth_key"] = json!(owner.auth_key());
    let res = client_from(loopback(10))
        .post(app.url("/api/account/password"))
        .bearer_auth(&s.access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}
