//! Tokens and sessions: refresh rotation, reuse, cross-site use of the refresh cookie, and
//! every other way a stolen, retired or expired token could be replayed.

use std::{sync::Arc, time::Duration};

use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Barrier;

use crate::{helpers::*, sse};

const EVIL: &str = "https://evil.example";

/// Signs in the way the browser does; returns the `cookie` header value and the access token.
async fn browser_login(app: &TestApp, user: &TestUser) -> (String, String) {
    let res = app
        .post("/api/auth/login", &json!({"username": user.username, "auth_key": user.auth_key(), "use_cookie": true}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res).expect("login sets the refresh cookie");
    let body: Value = res.json().await.unwrap();
    (cookie, body["access_token"].as_str().unwrap().to_owned())
}

/// `name=value` of the refresh cookie a response sets, if it sets one.
fn set_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .filter(|c| c.starts_with("__Host-courier_refresh=") && c.len() > "__Host-courier_refresh=".len())
}

/// A cookie refresh as the browser app makes it (same origin, JSON).
fn cookie_refresh(app: &TestApp, cookie: &str) -> RequestBuilder {
    app.client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", cookie)
        .header("origin", &app.address)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
}

async fn refresh_body(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/auth/refresh", &json!({"refresh_token": token})).await
}

async fn session_alive(app: &TestApp, session: uuid::Uuid) -> bool {
    let n = app
        .count(&format!("SELECT count(*) AS n FROM sessions WHERE id = '{session}' AND revoked_at IS NULL"))
        .await;
    n == 1
}

/// Moves every retirement of this session's tokens an hour into the past: the grace window
/// is over, without waiting for it.
async fn age_retirements(app: &TestApp, session: uuid::Uuid) {
    let n = app
        .count(&format!(
            "WITH aged AS (UPDATE retired_refresh_tokens SET retired_at = retired_at - interval '1 hour' \
             WHERE session_id = '{session}' RETURNING 1) SELECT count(*) AS n FROM aged"
        ))
        .await;
    assert!(n >= 1, "nothing was retired yet");
}

// --- 3: the refresh cookie from another site ------------------------------------------------

#[tokio::test]
async fn a_cross_site_refresh_with_only_the_cookie_is_refused_and_rotates_nothing() {
    let app = spawn_app().await;
    let mut user = TestUser::cheap("cora");
    app.register(&mut user).await;
    let (cookie, _) = browser_login(&app, &user).await;
    let before = app.count("SELECT count(*) AS n FROM retired_refresh_tokens").await;

    let refresh = || app.client.post(app.url("/api/auth/refresh")).header("cookie", &cookie);
    let json_body = |r: RequestBuilder| r.header("content-type", "application/json").body("{}");
    let attacks: Vec<(&str, RequestBuilder, StatusCode)> = vec![
        ("the issue's form post", refresh().header("origin", EVIL).header("content-type", "text/plain").body("{}"), StatusCode::FORBIDDEN),
        ("foreign Origin", json_body(refresh().header("origin", EVIL)), StatusCode::FORBIDDEN),
        ("Origin null", json_body(refresh().header("origin", "null")), StatusCode::FORBIDDEN),
        ("the same host on another port", json_body(refresh().header("origin", "https://127.0.0.1:1")), StatusCode::FORBIDDEN),
        ("plain http of the same host", json_body(refresh().header("origin", app.address.replace("https", "http"))), StatusCode::FORBIDDEN),
        ("Sec-Fetch-Site cross-site", json_body(refresh().header("sec-fetch-site", "cross-site")), StatusCode::FORBIDDEN),
        ("Sec-Fetch-Site same-site", json_body(refresh().header("sec-fetch-site", "same-site")), StatusCode::FORBIDDEN),
        (
            "same-origin claim with a foreign Origin",
            json_body(refresh().header("sec-fetch-site", "same-origin").header("origin", EVIL)),
            StatusCode::FORBIDDEN,
        ),
        ("a same-origin text/plain body", refresh().header("origin", &app.address).header("content-type", "text/plain").body("{}"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("a form-encoded body", refresh().header("content-type", "application/x-www-form-urlencoded").body("a=b"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("no content type", refresh().body("{}"), StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ];
    for (what, req, status) in attacks {
        let res = req.send().await.unwrap();
        assert!(set_cookie(&res).is_none(), "{what}: no new cookie");
        let code = assert_error(res, status).await;
        if status == StatusCode::FORBIDDEN {
            assert_eq!(code, "cross_site", "{what}");
        }
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM retired_refresh_tokens").await, before, "nothing rotated");
    // The same cookie from the app itself still works.
    let res = cookie_refresh(&app, &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_browser_app_and_the_cli_still_refresh() {
    let app = spawn_app().await;
    let mut user = TestUser::cheap("cleo");
    app.register(&mut user).await;
    let (cookie, _) = browser_login(&app, &user).await;
    // The app's own page, then a browser that sends only Sec-Fetch-Site, with a charset.
    let res = cookie_refresh(&app, &cookie).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res).unwrap();
    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // The CLI: the token in the body, no cookie, no browser headers.
    let s = app.login(&user).await;
    let res = refresh_body(&app, &s.refresh_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.json::<Value>().await.unwrap()["refresh_token"].is_string());
}

#[tokio::test]
async fn a_configured_public_origin_is_the_only_one_accepted() {
    let app = spawn_app_with(|s| s.public_origins = vec!["https://chat.example.org".into()]).await;
    let mut user = TestUser::cheap("cyd");
    app.register(&mut user).await;
    let (cookie, _) = browser_login(&app, &user).await;
    let res = cookie_refresh(&app, &cookie).send().await.unwrap(); // Origin = the raw address
    assert_eq!(assert_error(res, StatusCode::FORBIDDEN).await, "cross_site");
    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", &cookie)
        .header("origin", "https://chat.example.org")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn logging_in_with_the_cookie_or_out_from_another_site_is_refused() {
    let app = spawn_app().await;
    let mut user = TestUser::cheap("cato");
    app.register(&mut user).await;
    // Login CSRF: a foreign page signing the victim's browser in to the attacker's account.
    let before = app.count("SELECT count(*) AS n FROM sessions").await;
    let res = app
        .client
        .post(app.url("/api/auth/login"))
        .header("origin", EVIL)
        .json(&json!({"username": user.username, "auth_key": user.auth_key(), "use_cookie": true}))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&res).is_none());
    assert_eq!(assert_error(res, StatusCode::FORBIDDEN).await, "cross_site");
    assert_eq!(app.count("SELECT count(*) AS n FROM sessions").await, before, "no session was opened");

    // Logout carrying the cookie from a foreign page: refused, the session lives.
    let (cookie, access) = browser_login(&app, &user).await;
    let res = app
        .client
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&access)
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(assert_error(res, StatusCode::FORBIDDEN).await, "cross_site");
    assert_eq!(app.get_auth("/api/sessions", &access).await.status(), StatusCode::OK);
}

// --- 4: two tabs, one retired token -----------------------------------------------------------

#[tokio::test]
async fn tabs_refreshing_at_once_with_the_same_cookie_all_get_the_same_successor_and_stay_signed_in() {
    let app = spawn_app().await;
    let mut user = TestUser::cheap("tara");
    app.register(&mut user).await;
    let (cookie, _) = browser_login(&app, &user).await;

    let barrier = Arc::new(Barrier::new(4));
    let tabs: Vec<_> = (0..4)
        .map(|_| {
            let (barrier, req) = (barrier.clone(), cookie_refresh(&app, &cookie));
            tokio::spawn(async move {
                barrier.wait().await;
                let res = req.send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let cookie = set_cookie(&res).unwrap();
                let body: Value = res.json().await.unwrap();
                (cookie, body["access_token"].as_str().unwrap().to_owned())
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tabs {
        results.push(t.await.unwrap());
    }
    let successor = &results[0].0;
    assert!(results.iter().all(|(c, _)| c == successor), "every tab got the same new refresh token");
    assert_ne!(successor, &cookie);
    for (_, access) in &results {
        assert_eq!(app.get_auth("/api/sessions", access).await.status(), StatusCode::OK, "session alive");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_events WHERE kind = 'refresh_reuse'").await, 0);
    // The successor rotates on as usual.
    let res = cookie_refresh(&app, successor).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_ne!(&set_cookie(&res).unwrap(), successor);
}

#[tokio::test]
async fn a_lost_answer_is_recovered_by_presenting_the_retired_token_again_within_the_grace_window() {
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("tobi").await;
    let first: Value = refresh_body(&app, &s.refresh_token).await.json().await.unwrap();
    // The client crashed before saving `first`: it retries with the token it still has.
    let again: Value = refresh_body(&app, &s.refresh_token).await.json().await.unwrap();
    assert_eq!(first["refresh_token"], again["refresh_token"]);
    assert!(session_alive(&app, s.session_id).await);
}

#[tokio::test]
async fn a_retired_token_after_the_grace_window_revokes_the_session_and_closes_its_streams() {
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("troy").await;
    let pair: Value = refresh_body(&app, &s.refresh_token).await.json().await.unwrap();
    let (successor, access) = (pair["refresh_token"].as_str().unwrap(), pair["access_token"].as_str().unwrap());
    let mut stream = sse::open(&app.client, &app.address, access, None).await.unwrap();
    stream.expect("ready", Duration::from_secs(5)).await;

    age_retirements(&app, s.session_id).await;
    let res = refresh_body(&app, &s.refresh_token).await;
    assert_eq!(assert_error(res, StatusCode::UNAUTHORIZED).await, "unauthenticated");
    assert!(!session_alive(&app, s.session_id).await, "the session is revoked");
    assert!(stream.ended_within(Duration::from_secs(5)).await, "its stream is closed");
    assert_eq!(refresh_body(&app, successor).await.status(), StatusCode::UNAUTHORIZED, "the successor died with it");
    assert_eq!(app.get_auth("/api/sessions", access).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_events WHERE kind = 'refresh_reuse'").await, 1);
}

#[tokio::test]
async fn the_grace_window_does_not_reach_back_past_one_rotation() {
    // t0 -> t1 -> t2 within seconds: t0 is not "the token just before" any more.
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("tess").await;
    let t1: Value = refresh_body(&app, &s.refresh_token).await.json().await.unwrap();
    let t2 = refresh_body(&app, t1["refresh_token"].as_str().unwrap()).await;
    assert_eq!(t2.status(), StatusCode::OK);
    let res = refresh_body(&app, &s.refresh_token).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(!session_alive(&app, s.session_id).await);
}

#[tokio::test]
async fn a_window_of_zero_makes_the_first_reuse_fatal() {
    let app = spawn_app_with(|s| s.refresh_grace = Duration::ZERO).await;
    let (_user, s) = app.signed_in("tyra").await;
    assert_eq!(refresh_body(&app, &s.refresh_token).await.status(), StatusCode::OK);
    assert_eq!(refresh_body(&app, &s.refresh_token).await.status(), StatusCode::UNAUTHORIZED);
    assert!(!session_alive(&app, s.session_id).await);
}

// --- other replays --------------------------------------------------------------------------

#[tokio::test]
async fn a_retired_token_cannot_revive_a_session_that_was_logged_out_within_the_window() {
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("rhea").await;
    let pair: Value = refresh_body(&app, &s.refresh_token).await.json().await.unwrap();
    let res = app.post_auth("/api/auth/logout", pair["access_token"].as_str().unwrap(), &json!({})).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for token in [&s.refresh_token, pair["refresh_token"].as_str().unwrap()] {
        assert_eq!(assert_error(refresh_body(&app, token).await, StatusCode::UNAUTHORIZED).await, "unauthenticated");
    }
    assert!(!session_alive(&app, s.session_id).await);
}

#[tokio::test]
async fn tokens_of_an_expired_session_are_refused_even_though_the_access_token_is_still_signed() {
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("remy").await;
    let n = app
        .count(&format!(
            "WITH e AS (UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = '{}' RETURNING 1) \
             SELECT count(*) AS n FROM e",
            s.session_id
        ))
        .await;
    assert_eq!(n, 1);
    assert_eq!(refresh_body(&app, &s.refresh_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get_auth("/api/sessions", &s.access_token).await.status(), StatusCode::UNAUTHORIZED);
    let res = sse::open(&app.client, &app.address, &s.access_token, None).await;
    assert_eq!(res.err().map(|e| e.0), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn tokens_swapped_between_roles_or_sessions_are_refused() {
    let app = spawn_app().await;
    let (_a, a) = app.signed_in("ravi").await;
    let (_b, b) = app.signed_in("rosa").await;
    // An access token is not a refresh token, and a refresh token is not a bearer token.
    assert_eq!(refresh_body(&app, &a.access_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get_auth("/api/sessions", &a.refresh_token).await.status(), StatusCode::UNAUTHORIZED);
    // A refresh token in the cookie jar of a logged-out browser.
    let mut user = TestUser::cheap("rory");
    app.register(&mut user).await;
    let (cookie, access) = browser_login(&app, &user).await;
    let res = app.client.post(app.url("/api/auth/logout")).bearer_auth(&access).header("cookie", &cookie).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = cookie_refresh(&app, &cookie).send().await.unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED).await;
    // B's session is untouched by all of it.
    assert_eq!(app.get_auth("/api/sessions", &b.access_token).await.status(), StatusCode::OK);
    assert!(session_alive(&app, a.session_id).await, "refused attempts revoke nothing");
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_refresh_tokens_including_ones_in_their_grace_window() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("rufus").await;
    let other = app.login(&user).await;
    let rotated: Value = refresh_body(&app, &other.refresh_token).await.json().await.unwrap();
    let change = user.material.account.rewrap_for_password("another password", courier_protocol::limits::MIN_ITERATIONS).unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["auth_key"] = json!(user.auth_key());
    let res = app.post_auth("/api/account/password", &s.access_token, &body).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for token in [&other.refresh_token, rotated["refresh_token"].as_str().unwrap()] {
        assert_eq!(refresh_body(&app, token).await.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_deleted_account_leaves_no_token_that_still_works() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("reed").await;
    let rotated: Value = refresh_body(&app, &s.refresh_token).await.json().await.unwrap();
    let access = rotated["access_token"].as_str().unwrap();
    let res = app.delete_auth("/api/account", access, Some(&json!({"auth_key": user.auth_key()}))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for token in [&s.refresh_token, rotated["refresh_token"].as_str().unwrap()] {
        assert_eq!(refresh_body(&app, token).await.status(), StatusCode::UNAUTHORIZED);
    }
    for token in [&s.access_token, access] {
        assert_eq!(app.get_auth("/api/sessions", token).await.status(), StatusCode::UNAUTHORIZED);
    }
}
