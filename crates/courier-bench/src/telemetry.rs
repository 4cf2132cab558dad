//! Telemetry (docs/protocol.md §12, issue 13): one emitter sends `rate` points/s of `series`
//! series into a group with `viewers` other members online; every viewer opens (RSA-OAEP,
//! AES-GCM, signature) and parses every batch as the browser does. Reported per rate:
//! points sent, points decrypted at each viewer (exactly once each, by `seq`), latency from a
//! point's timestamp to its decryption at a viewer (p50/p99/max), and the server's CPU time
//! per point. With several rates it stops at the first whose p99 exceeds 1 s or that loses
//! anything: the largest sustained rate is the last one before.
//!
//! The emitter is the real batching (`BatchBuilder`: flush at 250 ms or 1 000 points) and the
//! real sealing; it posts batches in order, as `courier-cli emit` does.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context;
use serde_json::json;
use uuid::Uuid;

use crate::{client, conversation, percentile, users, User};
use courier_client::messaging::now_ms;
use courier_protocol::{
    crypto::{self, Header, OpenContext, UnlockedAccount},
    limits::{SERIES_CONTENT_TYPE, SERIES_FLUSH_MS},
    series::{BatchBuilder, Point, Series, SeriesBatch},
    wire::MessageItem,
};

/// What the viewers saw.
#[derive(Default)]
struct Seen {
    /// Latency of every point at every viewer, ms.
    latencies: Vec<f32>,
    /// (viewer, seq) → times seen.
    batches: HashMap<(usize, u64), u32>,
    points: u64,
    refused: u64,
}

/// CPU seconds (user + system) a process has used, from /proc.
fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').context("stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// One viewer: a stream that opens every series batch of `conversation` as `account`.
async fn viewer(
    base: &str,
    index: usize,
    stream: String,
    user: User,
    account: Arc<UnlockedAccount>,
    sender_sig: Arc<Vec<u8>>,
    seen: Arc<Mutex<Seen>>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    crate::on_messages(&client(None), base, &user.token, move |data| {
        let opened = serde_json::from_str::<MessageItem>(data).ok().and_then(|item| {
            let received = item.envelope()?.ok()?;
            let context = OpenContext {
                conversation_id: item.conversation_id,
                sender_id: item.sender_id,
                recipient_id: user.id,
                message_id: Some(item.message_id),
            };
            let opened = crypto::open(&received, &context, &sender_sig, &account).ok()?;
            SeriesBatch::parse(&opened.plaintext).ok()
        });
        let now = now_ms();
        let mut seen = seen.lock().expect("seen");
        match opened {
            // A new stream replays the log: batches of earlier rates' streams are not this run's.
            Some(batch) if batch.stream != stream => {}
            Some(batch) => {
                *seen.batches.entry((index, batch.seq)).or_default() += 1;
                seen.points += batch.points.len() as u64;
                for p in &batch.points {
                    seen.latencies.push(now.saturating_sub(p.t_ms) as f32);
                }
            }
            None => seen.refused += 1,
        }
    })
    .await
}

/// Runs the scenario at each rate in turn (see the module docs).
pub async fn telemetry(
    base: &str,
    label: &str,
    server_pid: u32,
    viewers: usize,
    series: usize,
    rates: &[u32],
    secs: u64,
) -> anyhow::Result<()> {
    let people = users(base, "tele", viewers + 1, 8).await?;
    let account = Arc::new(crate::shared_account()?);
    let sig = Arc::new(account.sig_public_spki().to_vec());
    let enc = account.enc_public_spki().to_vec();
    let c = client(None);
    let ids: Vec<Uuid> = people.iter().map(|u| u.id).collect();
    let cid = conversation(&c, base, &people[0], &ids[1..]).await?;
    let keys: Vec<(Uuid, Vec<u8>)> = ids.iter().map(|id| (*id, enc.clone())).collect();
    let names: Vec<Series> = (0..series)
        .map(|i| Series {
            name: format!("s{i}"),
            unit: String::new(),
        })
        .collect();
    let url = format!("{base}/api/conversations/{cid}/messages");
    let emitter = &people[0];
    let mut stream = format!("bench-{}", &Uuid::new_v4().simple().to_string()[..8]);

    for &rate in rates {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mut tasks = Vec::new();
        for (i, u) in people[1..].iter().enumerate() {
            tasks.push(
                viewer(
                    base,
                    i,
                    stream.clone(),
                    u.clone(),
                    account.clone(),
                    sig.clone(),
                    seen.clone(),
                )
                .await?,
            );
        }
        let cpu_before = cpu_secs(server_pid)?;
        let started = Instant::now();
        let start_ms = now_ms();
        let total = rate as u64 * secs;
        let mut builder = BatchBuilder::new(&stream, names.clone(), 0)?;
        let mut batches = 0u64;
        let mut made = 0u64;
        let mut opened_at: Option<Instant> = None;
        let mut ticker = tokio::time::interval(Duration::from_millis(5));
        let mut post_failures = 0u64;
        // Points are made as the clock passes their time; a batch is posted when it is full
        // or its first point is 250 ms old, in order, one at a time.
        while made < total || !builder.is_empty() {
            ticker.tick().await;
            let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
            let mut ready = Vec::new();
            while made < due {
                let t_ms = start_ms + made * 1000 / rate as u64;
                let values = (0..series)
                    .map(|s| Some(((made + s as u64) % 1000) as f64 / 8.0))
                    .collect();
                let point = Point { t_ms, values };
                if let Err(courier_protocol::series::PushError::Full(point)) = builder.push(point) {
                    let next = builder.next_batch();
                    ready.push(std::mem::replace(&mut builder, next));
                    builder.push(point).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                }
                if builder.len() == 1 {
                    opened_at = Some(Instant::now());
                }
                made += 1;
            }
            let old =
                opened_at.is_some_and(|t| t.elapsed() >= Duration::from_millis(SERIES_FLUSH_MS));
            if !builder.is_empty() && (old || made == total) {
                let next = builder.next_batch();
                ready.push(std::mem::replace(&mut builder, next));
                opened_at = None;
            }
            for full in ready {
                let (_, plaintext) = full.finish().context("a batch with points")?;
                let header = Header::new(
                    cid,
                    Uuid::new_v4(),
                    emitter.id,
                    ids[1..].iter().copied(),
                    SERIES_CONTENT_TYPE,
                    now_ms(),
                )?;
                let envelope = crypto::seal(&header, &plaintext, &account, &keys)?;
                let res = c
                    .post(&url)
                    .bearer_auth(&emitter.token)
                    .json(&json!({"envelope": envelope}))
                    .send()
                    .await?;
                if res.status().as_u16() != 201 {
                    post_failures += 1;
                }
                batches += 1;
            }
        }
        let sending = started.elapsed().as_secs_f64();
        // Wait for the viewers to catch up (bounded), then measure.
        let want = total * viewers as u64;
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen.lock().expect("seen").points < want && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let cpu = cpu_secs(server_pid)? - cpu_before;
        tasks.iter().for_each(|t| t.abort());
        let seen = std::mem::take(&mut *seen.lock().expect("seen"));
        let duplicates: u64 = seen
            .batches
            .values()
            .map(|n| u64::from(n.saturating_sub(1)))
            .sum();
        let complete =
            (0..viewers).all(|v| (0..batches).all(|s| seen.batches.contains_key(&(v, s))));
        let mut lat: Vec<f64> = seen.latencies.iter().map(|l| *l as f64).collect();
        let (p50, p99) = (percentile(&mut lat, 50.0), percentile(&mut lat, 99.0));
        let max = lat.last().copied().unwrap_or(f64::NAN);
        let exact = complete
            && duplicates == 0
            && seen.points == want
            && post_failures == 0
            && seen.refused == 0;
        println!(
            "{}",
            json!({"scenario": "telemetry", "label": label, "rate": rate, "series": series, "viewers": viewers,
                   "secs": secs, "sending_secs": sending, "points": total, "batches": batches,
                   "points_per_batch": total as f64 / batches.max(1) as f64, "post_failures": post_failures,
                   "points_decrypted": seen.points, "expected": want, "duplicates": duplicates, "refused": seen.refused,
                   "exactly_once": exact, "p50_ms": p50, "p99_ms": p99, "max_ms": max,
                   "server_cpu_secs": cpu, "server_cpu_us_per_point": cpu * 1e6 / total as f64})
        );
        if !exact || p99 > 1000.0 {
            break;
        }
        // Each rate is its own stream, so `seq` starts at 0 again.
        stream = format!("bench-{}", &Uuid::new_v4().simple().to_string()[..8]);
    }
    Ok(())
}
