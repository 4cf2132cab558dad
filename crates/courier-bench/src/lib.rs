//! The load generator behind `courier-bench` (scripts/bench.sh drives it): cheap users, fake
//! envelopes (random bytes of realistic sizes under a real header: the server cannot tell) and
//! an SSE reader (the client library's parser) that timestamps every message it receives
//! against the moment it was sent.

pub mod attachments;
pub mod report;
pub mod scenarios;
pub mod telemetry;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::{Duration, Instant},
};

use anyhow::{bail, Context};
use futures_util::StreamExt;
use serde_json::{json, Value};
use uuid::Uuid;

use courier_client::sse::SseParser;
use courier_protocol::crypto::{AccountKeys, PasswordKeys, RegistrationMaterial};
use courier_protocol::events::EventKind;
use courier_protocol::limits::MIN_ITERATIONS;

/// One PBKDF2 and one RSA key pair for every bench user: registering stays cheap.
fn shared() -> &'static (PasswordKeys, AccountKeys) {
    static SHARED: OnceLock<(PasswordKeys, AccountKeys)> = OnceLock::new();
    SHARED.get_or_init(|| {
        (
            PasswordKeys::derive(
                "bench password, never a real one",
                &[9u8; 16],
                MIN_ITERATIONS,
            )
            .expect("kdf"),
            AccountKeys::generate().expect("keys"),
        )
    })
}

/// The keys every bench user shares, unlocked: for scenarios that really seal and open.
pub fn shared_account() -> anyhow::Result<courier_protocol::crypto::UnlockedAccount> {
    let (password, keys) = shared();
    let m = RegistrationMaterial::from_parts(
        "bench",
        &[9u8; 16],
        MIN_ITERATIONS,
        password.clone(),
        keys.clone(),
        None,
    )?;
    Ok(m.account)
}

pub fn client(local: Option<std::net::IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .local_address(local)
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: Uuid,
    pub token: String,
}

/// Registers and signs in one cheap user.
pub async fn user(c: &reqwest::Client, base: &str, prefix: &str) -> anyhow::Result<User> {
    let (password, keys) = shared();
    let username = format!("{prefix}_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let m = RegistrationMaterial::from_parts(
        &username,
        &[9u8; 16],
        MIN_ITERATIONS,
        password.clone(),
        keys.clone(),
        None,
    )?;
    let res = c
        .post(format!("{base}/api/auth/register"))
        .json(&m.request)
        .send()
        .await?;
    if res.status().as_u16() != 201 {
        bail!(
            "register: {} {}",
            res.status(),
            res.text().await.unwrap_or_default()
        );
    }
    let body = json!({"username": username, "auth_key": m.password_keys.auth_key_b64()});
    let login: Value = c
        .post(format!("{base}/api/auth/login"))
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(User {
        id: login["user"]["id"].as_str().context("user id")?.parse()?,
        token: login["access_token"].as_str().context("token")?.into(),
    })
}

/// `n` users, registered `parallel` at a time.
pub async fn users(
    base: &str,
    prefix: &str,
    n: usize,
    parallel: usize,
) -> anyhow::Result<Vec<User>> {
    let c = client(None);
    let made: Vec<anyhow::Result<User>> = futures_util::stream::iter(0..n)
        .map(|_| {
            let c = c.clone();
            async move { user(&c, base, prefix).await }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    made.into_iter().collect()
}

pub async fn conversation(
    c: &reqwest::Client,
    base: &str,
    owner: &User,
    others: &[Uuid],
) -> anyhow::Result<Uuid> {
    let mut body = json!({"member_ids": others});
    if others.len() > 1 {
        body["kind"] = json!("group");
        body["title"] = json!("bench");
    }
    let res = c
        .post(format!("{base}/api/conversations"))
        .bearer_auth(&owner.token)
        .json(&body)
        .send()
        .await?;
    let v: Value = res.error_for_status()?.json().await?;
    Ok(v["id"].as_str().context("conversation id")?.parse()?)
}

/// A well-formed envelope as posted: `size` random bytes of ciphertext, one 384-byte wrapped key
/// each (the server cannot tell it from a real one).
pub fn envelope(
    conversation: Uuid,
    message_id: Uuid,
    sender: Uuid,
    members: &[Uuid],
    size: usize,
) -> Value {
    json!({"envelope": courier_test_support::envelope::fake(conversation, message_id, sender, members, size)})
}

/// Send times by message id, and the receive latencies measured against them.
#[derive(Default)]
pub struct Clock {
    sent: Mutex<HashMap<Uuid, Instant>>,
    pub latencies: Mutex<Vec<f64>>,
    pub received: std::sync::atomic::AtomicU64,
}

impl Clock {
    pub fn sent(&self, id: Uuid) {
        self.sent.lock().expect("clock").insert(id, Instant::now());
    }
    fn received(&self, id: Uuid) {
        self.received
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.sent.lock().expect("clock").get(&id) {
            self.latencies
                .lock()
                .expect("clock")
                .push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

/// Opens one stream and feeds every message id it gets to `clock` until the stream ends.
/// Returns once the stream is open (the `ready` event came).
pub async fn listen(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    clock: Arc<Clock>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    on_messages(c, base, token, move |data| {
        // Only the message id is needed; it sits near the start of the JSON.
        if let Some(at) = data.find("\"message_id\":\"") {
            if let Some(Ok(id)) = data.get(at + 14..at + 50).map(str::parse) {
                clock.received(id);
            }
        }
    })
    .await
}

/// Opens one stream and hands every `message` event's data to `on_message` until the stream
/// ends. Returns once the stream is open (the `ready` event came).
pub async fn on_messages(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    mut on_message: impl FnMut(&str) + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let res = c
        .get(format!("{base}/api/events"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(86_400))
        .send()
        .await?;
    if !res.status().is_success() {
        bail!("stream: {}", res.status());
    }
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let mut body = res.bytes_stream();
        let mut parser = SseParser::default();
        let mut ready = Some(ready_tx);
        while let Some(Ok(chunk)) = body.next().await {
            if parser.feed(&chunk).is_err() {
                return;
            }
            while let Some(ev) = parser.next_event() {
                match EventKind::parse(&ev.event) {
                    EventKind::Ready => {
                        if let Some(tx) = ready.take() {
                            let _ = tx.send(());
                        }
                    }
                    EventKind::Message => on_message(&ev.data),
                    _ => {}
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(60), ready_rx)
        .await
        .context("stream ready")??;
    Ok(task)
}

/// Percentile of an unsorted sample (nearest rank).
pub fn percentile(sample: &mut [f64], p: f64) -> f64 {
    if sample.is_empty() {
        return f64::NAN;
    }
    sample.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * sample.len() as f64).ceil() as usize;
    sample[rank.clamp(1, sample.len()) - 1]
}

/// Resident memory of a process, KiB (from /proc).
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?)
}
