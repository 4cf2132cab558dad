//! HTTP headers and TLS: error bodies that match their headers, cross-site requests, metrics exposure.

use std::{io::Read, time::Duration};

use base64::{engine::general_purpose::STANDARD, Engine};
use courier::startup;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::*;

/// A client that asks for gzip and decodes nothing itself, so the test sees the wire.
fn raw_gzip_client() -> reqwest::Client {
    let mut headers = header::HeaderMap::new();
    headers.insert(header::ACCEPT_ENCODING, header::HeaderValue::from_static("gzip"));
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .no_gzip()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A client that negotiates gzip and decodes it, as browsers and most HTTP libraries do.
fn decoding_client() -> reqwest::Client {
    reqwest::Client::builder().danger_accept_invalid_certs(true).gzip(true).timeout(Duration::from_secs(30)).build().unwrap()
}

/// Sends the same request through both clients and checks both ways that the body is what the
/// headers say: raw bytes decoded per `Content-Encoding` (gzip or none) are a JSON error, and
/// the decoding client gets the same JSON. Returns the error code.
async fn error_matching_its_headers(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Vec<u8>>,
    status: StatusCode,
) -> String {
    let send = |client: reqwest::Client| {
        let mut req = client.request(method.clone(), app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.header(header::CONTENT_TYPE, "application/json").body(b.clone());
        }
        req.send()
    };
    let res = send(raw_gzip_client()).await.unwrap();
    assert_eq!(res.status(), status, "{method} {path}");
    let headers = res.headers().clone();
    let wire = res.bytes().await.unwrap();
    let text = match headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_owned()) {
        Some(enc) if enc == "gzip" => {
            let mut out = String::new();
            flate2::read::GzDecoder::new(&wire[..])
                .read_to_string(&mut out)
                .unwrap_or_else(|e| panic!("{method} {path}: labelled gzip but does not decode ({e}): {wire:?}"));
            out
        }
        Some(enc) if enc == "identity" => String::from_utf8(wire.to_vec()).unwrap(),
        Some(other) => panic!("{method} {path}: unexpected Content-Encoding {other}"),
        None => String::from_utf8(wire.to_vec()).unwrap_or_else(|_| panic!("{method} {path}: unlabelled binary body")),
    };
    assert!(
        headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"),
        "{method} {path}: {headers:?}"
    );
    let raw: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text:?}"));
    assert!(raw["message"].is_string(), "{method} {path}: {text}");

    let decoded = send(decoding_client()).await.unwrap();
    assert_eq!(decoded.status(), status, "{method} {path}");
    let decoded: Value = decoded.json().await.unwrap_or_else(|e| panic!("{method} {path}: gzip client could not read it: {e}"));
    assert_eq!(decoded, raw, "{method} {path}");
    raw["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_body_over_the_limit_gets_a_413_whose_body_decodes_as_its_headers_say() {
    let app = spawn_app().await;
    let (_, s) = app.signed_in("big").await;
    let conversation = Uuid::new_v4();
    // The message route's own limit (512 KiB, enforced by the framework before the handler).
    let huge = vec![b' '; courier::messages::BODY_LIMIT + 1];
    let path = format!("/api/conversations/{conversation}/messages");
    let code = error_matching_its_headers(&app, Method::POST, &path, Some(&s.access_token), Some(huge), StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(code, "payload_too_large");
    // The global JSON limit (16 KiB), enforced by the JSON extractor.
    let big = serde_json::to_vec(&json!({"username": "x".repeat(20_000), "auth_key": "y"})).unwrap();
    let code = error_matching_its_headers(&app, Method::POST, "/api/auth/login", None, Some(big), StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(code, "payload_too_large");
}

#[tokio::test]
async fn every_kind_of_error_body_decodes_as_its_headers_say() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("errs").await;
    let t = Some(s.access_token.as_str());
    let bad_json = Some(b"{not json".to_vec());
    assert_eq!(error_matching_its_headers(&app, Method::POST, "/api/auth/login", None, bad_json, StatusCode::BAD_REQUEST).await, "invalid_body");
    let path = format!("/api/conversations/{}/messages?since=abc", Uuid::new_v4());
    assert_eq!(error_matching_its_headers(&app, Method::GET, &path, t, None, StatusCode::BAD_REQUEST).await, "invalid_query");
    assert_eq!(error_matching_its_headers(&app, Method::GET, "/api/conversations", None, None, StatusCode::UNAUTHORIZED).await, "unauthenticated");
    assert_eq!(error_matching_its_headers(&app, Method::GET, "/api/nothing-here", t, None, StatusCode::NOT_FOUND).await, "not_found");
    assert_eq!(error_matching_its_headers(&app, Method::PUT, "/api/auth/login", None, None, StatusCode::NOT_FOUND).await, "not_found");
    // Wrong passwords until a login limit (per account or per address) answers 429.
    let wrong = serde_json::to_vec(&json!({"username": user.username, "auth_key": STANDARD.encode([0u8; 32])})).unwrap();
    let mut status = StatusCode::UNAUTHORIZED;
    for _ in 0..100 {
        status = app.client.post(app.url("/api/auth/login")).header("content-type", "application/json").body(wrong.clone()).send().await.unwrap().status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the login limit never answered 429");
    let code = error_matching_its_headers(&app, Method::POST, "/api/auth/login", None, Some(wrong), StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(code, "too_many_requests");
}

#[tokio::test]
async fn history_time_filters_outside_what_the_database_holds_are_a_400_not_a_500() {
    let app = spawn_app().await;
    let (_, a) = app.signed_in("ta").await;
    let (_, b) = app.signed_in("tb").await;
    let res = app.post_auth("/api/conversations", &a.access_token, &json!({"member_ids": [b.user_id]})).await;
    assert!(res.status().is_success(), "create conversation: {}", res.status());
    let conversation: Value = res.json().await.unwrap();
    let cid = conversation["id"].as_str().unwrap();
    let path = |q: &str| format!("/api/conversations/{cid}/messages?{q}");
    for bad in [
        "since=-8000000000000000",
        "until=-8000000000000000",
        "since=-1000000000000000",
        "until=-1000000000000000",
        "since=-1",
        "since=9223372036854775807",
        "until=-9223372036854775808",
        "until=253402300800000",
        "since=8000000000000000&until=8000000000000001",
        "since=9223372036854775808",
    ] {
        let res = app.get_auth(&path(bad), &a.access_token).await;
        assert_eq!(assert_error(res, StatusCode::BAD_REQUEST).await, "invalid_query", "{bad}");
    }
    for good in ["since=0", "until=253402300799999", "since=0&until=253402300799999", "before=9223372036854775807"] {
        let res = app.get_auth(&path(good), &a.access_token).await;
        assert_eq!(res.status(), StatusCode::OK, "{good}: {}", res.text().await.unwrap());
    }
}

#[tokio::test]
async fn a_resume_point_beyond_any_integer_is_a_400_not_a_500() {
    let app = spawn_app().await;
    let (_, s) = app.signed_in("leid").await;
    for value in ["9223372036854775808", "-1", "1e3", "0x10", "99999999999999999999999"] {
        let res = app.client.get(app.url("/api/events")).bearer_auth(&s.access_token).header("Last-Event-ID", value).send().await.unwrap();
        assert_error(res, StatusCode::BAD_REQUEST).await;
        let res = app.get_auth(&format!("/api/events?last_event_id={value}"), &s.access_token).await;
        assert_error(res, StatusCode::BAD_REQUEST).await;
    }
    let res = app.client.get(app.url("/api/events")).bearer_auth(&s.access_token).header("Last-Event-ID", "9223372036854775807").send().await.unwrap();
    assert_eq!(assert_error(res, StatusCode::BAD_REQUEST).await, "invalid_last_event_id", "beyond the log");
}

#[tokio::test]
async fn metrics_are_not_served_on_the_app_port() {
    let app = spawn_app_with(|s| s.metrics_addr = Some("127.0.0.1:0".parse().unwrap())).await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(assert_error(res, StatusCode::NOT_FOUND).await, "not_found");
    let spec: Value = app.client.get(app.url("/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(spec["paths"].get("/metrics").is_none(), "the public contract does not list /metrics");
}

#[tokio::test]
async fn metrics_are_prometheus_text_on_their_own_plain_http_listener_and_nothing_else_is() {
    let mut settings = test_settings(&fresh_database().await);
    settings.metrics_addr = Some("127.0.0.1:0".parse().unwrap());
    let app = startup::build(settings).await.expect("app builds");
    let (port, metrics_port) = (app.port(), app.metrics_port().expect("a metrics listener"));
    assert_ne!(port, metrics_port);
    tokio::spawn(app.run_until_stopped());
    let plain = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let res = plain.get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(text.contains("# TYPE courier_open_streams gauge"), "{text}");
    assert!(text.contains("courier_messages_accepted_total"), "{text}");
    for path in ["/api/openapi.json", "/healthz", "/", "/metrics/x"] {
        let res = plain.get(format!("http://127.0.0.1:{metrics_port}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path} on the metrics port");
    }
}

#[tokio::test]
async fn without_metrics_addr_no_metrics_listener_is_opened() {
    let settings = test_settings(&fresh_database().await);
    assert!(settings.metrics_addr.is_none());
    let app = startup::build(settings).await.expect("app builds");
    assert_eq!(app.metrics_port(), None);
}
