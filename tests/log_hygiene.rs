//! After a full run of the security-relevant flows, neither the captured logs nor a dump of
//! the database contain any password, auth key, recovery key, token or message plaintext.
//! A separate test binary because it installs the process-wide log subscriber.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use base64::{engine::general_purpose::STANDARD, Engine};
use courier_protocol::crypto::{self, Header};
use courier_protocol::limits::{MIN_ITERATIONS};
use helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn pg_dump(url: &str) -> String {
    let candidates = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("bin/pg_dump"))
        .chain([std::path::PathBuf::from("pg_dump")]);
    for bin in candidates {
        if let Ok(out) = std::process::Command::new(&bin).args(["--data-only", "--inserts", url]).output() {
            assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
    }
    panic!("pg_dump not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs_or_the_database() {
    std::env::set_var("RUST_LOG", "info,courier=trace,tracing_actix_web=trace,audit=trace");
    let logs = Captured::default();
    courier::telemetry::init(logs.clone());
    let app = spawn_app().await;

    let mut alice = TestUser::real("alice");
    let mut bob = TestUser::real("bob");
    let a_id = app.register(&mut alice).await;
    let b_id = app.register(&mut bob).await;
    let mut secrets: Vec<String> = vec![PASSWORD.to_owned(), alice.auth_key(), bob.auth_key()];
    for u in [&alice, &bob] {
        let raw = u.material.password_keys.auth_key();
        secrets.push(raw.iter().map(|b| format!("{b:02x}")).collect()); // as bytea hex
        if let Some(r) = &u.material.recovery_key {
            secrets.push(r.display());
            secrets.push(crypto::recovery_auth_key_b64(r));
        }
    }

    let a = app.login(&alice).await;
    let b = app.login(&bob).await;
    secrets.extend([a.access_token.clone(), a.refresh_token.clone(), b.access_token.clone(), b.refresh_token.clone()]);
    // Failed logins and a refresh rotation.
    app.post("/api/auth/login", &json!({"username": alice.username, "auth_key": bob.auth_key()})).await;
    let pair: Value = app.post("/api/auth/refresh", &json!({"refresh_token": a.refresh_token})).await.json().await.unwrap();
    secrets.push(pair["refresh_token"].as_str().unwrap().to_owned());
    secrets.push(pair["access_token"].as_str().unwrap().to_owned());

    // A message, sent and read over the stream.
    let conv: Value = app.post_auth("/api/conversations", &b.access_token, &json!({"member_ids": [a_id]})).await.json().await.unwrap();
    let cid: Uuid = conv["id"].as_str().unwrap().parse().unwrap();
    let plaintext = format!("the eagle lands at dawn {}", Uuid::new_v4());
    secrets.push(plaintext.clone());
    let header = Header::new(cid, Uuid::new_v4(), b_id, [a_id, b_id], "text/plain", 1).unwrap();
    let members = [(a_id, alice.material.account.enc_public_spki().to_vec()), (b_id, bob.material.account.enc_public_spki().to_vec())];
    let envelope = crypto::seal(&header, plaintext.as_bytes(), &bob.material.account, &members).unwrap();
    let res = app.post_auth(&format!("/api/conversations/{cid}/messages"), &b.access_token, &json!({"envelope": envelope})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let events = app.client.get(app.url("/api/events?last_event_id=0")).bearer_auth(&a.access_token).send().await.unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    drop(events);

    // Password change and recovery.
    let change = bob.material.account.rewrap_for_password("a new secret phrase", MIN_ITERATIONS).unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["auth_key"] = json!(bob.auth_key());
    secrets.push("a new secret phrase".into());
    secrets.push(change.new_auth_key.clone());
    assert_eq!(app.post_auth("/api/account/password", &b.access_token, &body).await.status(), StatusCode::NO_CONTENT);
    let rk = alice.material.recovery_key.as_ref().unwrap();
    let res = app.post("/api/account/recover", &json!({"username": alice.username, "recovery_auth_key": crypto::recovery_auth_key_b64(rk)})).await;
    assert_eq!(res.status(), StatusCode::OK);
    app.post_auth("/api/auth/logout", &a.access_token, &json!({})).await;

    let captured = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(captured.contains("\"audit\"") && captured.contains("login_failed"), "logs were captured");
    let dump = pg_dump(&app.db_url);
    assert!(dump.contains(&alice.username), "the dump has the data");
    // Base64 of raw bytes may sit in bytea as hex; also check the plaintext's hex form.
    secrets.push(plaintext.as_bytes().iter().map(|b| format!("{b:02x}")).collect());
    secrets.push(STANDARD.encode(plaintext.as_bytes()));
    for secret in &secrets {
        assert!(!captured.contains(secret.as_str()), "a secret ({}…) reached the logs", &secret[..6.min(secret.len())]);
        assert!(!dump.contains(secret.as_str()), "a secret ({}…) reached the database", &secret[..6.min(secret.len())]);
    }
}
