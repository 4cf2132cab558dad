//! `simulate`: the soak test. N users in direct pairs keep their event streams open while
//! real encrypted messages flow at R per second in total for D; then it reports sent,
//! delivered, lost, duplicated and send→receive latency (see [`report`]).
//!
//! Policy: sending starts only once every stream has replayed its backlog (`ready`), so the
//! latency is that of live delivery. Every received message is verified and decrypted with
//! the same code paths as `listen`. After D, in-flight sends finish and the run waits up to
//! `--grace` for outstanding deliveries before declaring them lost.

pub mod report;
pub mod setup;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{mpsc, Semaphore};
use uuid::Uuid;

use super::context::Ctx;
use courier_client::{
    listen::{Listener, Note},
    ClientError, Result,
};
use courier_protocol::crypto::{self, Header, OpenContext};
use courier_protocol::limits::TEXT_PLAIN;
use courier_protocol::wire::MessageItem;
use report::{Report, Stats};
use setup::{Pair, SimUser};

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Number of simulated users (paired into direct conversations).
    #[arg(long, default_value_t = 10)]
    pub clients: usize,
    /// Messages per second, in total.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// How long to send: `30`, `30s`, `500ms`, `2m`.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// How long to wait for outstanding deliveries after sending stops.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub grace: Duration,
    /// Plaintext bytes per message.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Most sends in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Username prefix of the simulated accounts (they stay on the server afterwards).
    #[arg(long, default_value = "sim")]
    pub prefix: String,
}

pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("unknown unit in {s:?} (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("not a duration: {s:?}"))
}

pub async fn run(ctx: &Ctx, args: SimulateArgs) -> Result<()> {
    if args.clients < 2
        || args.rate.is_nan()
        || args.rate <= 0.0
        || args.size == 0
        || args.concurrency == 0
    {
        return Err(ClientError::Usage(
            "need --clients ≥ 2, --rate > 0, --size ≥ 1, --concurrency ≥ 1".into(),
        ));
    }
    let api = ctx.api()?;
    let users = setup::users(&api, &args.prefix, args.clients, ctx.json).await?;
    let pairs = setup::pairs(&users).await?;
    let stats = Arc::new(Mutex::new(Stats::default()));
    let index: Arc<HashMap<Uuid, usize>> = Arc::new(
        users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.me.id, i))
            .collect(),
    );

    let (ready_tx, mut ready_rx) = mpsc::channel(users.len());
    let receivers: Vec<_> = users
        .iter()
        .map(|u| {
            tokio::spawn(receive(
                u.clone(),
                users.clone(),
                index.clone(),
                stats.clone(),
                ready_tx.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    for _ in 0..users.len() {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(())) => {}
            _ => {
                return Err(ClientError::Protocol(
                    "not every simulated stream came up within 60 s".into(),
                ))
            }
        }
    }

    let started = Instant::now();
    let expected = (args.rate * args.duration.as_secs_f64()).round() as u64;
    let pb = ProgressBar::new(expected.max(1));
    pb.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} sent ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    if ctx.json {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    let limit = Arc::new(Semaphore::new(args.concurrency));
    let period = Duration::try_from_secs_f64(1.0 / args.rate)
        .ok()
        .filter(|p| !p.is_zero() && *p <= Duration::from_secs(3600))
        .ok_or_else(|| {
            ClientError::Usage(
                "--rate must be between one message an hour and a billion a second".into(),
            )
        })?;
    let mut tick = tokio::time::interval(period);
    let body = vec![b'x'; args.size];
    let mut n = 0u64;
    while n < expected {
        tick.tick().await;
        let pair = pairs[(n as usize) % pairs.len()];
        let (from, to) = if n % 2 == 0 {
            (pair.a, pair.b)
        } else {
            (pair.b, pair.a)
        };
        let permit = limit.clone().acquire_owned().await.expect("semaphore open");
        let (users2, stats2, body2) = (users.clone(), stats.clone(), body.clone());
        tokio::spawn(async move {
            send_one(&users2, pair, from, to, &body2, &stats2).await;
            drop(permit);
        });
        n += 1;
        pb.set_position(n);
        let s = stats.lock().expect("stats lock");
        pb.set_message(format!("{} delivered", s.delivered.len()));
    }
    let sending = started.elapsed();
    // Let in-flight sends finish, then wait for the last deliveries.
    let _all = limit
        .acquire_many(args.concurrency as u32)
        .await
        .expect("semaphore open");
    pb.set_message("draining".to_owned());
    let deadline = Instant::now() + args.grace;
    while stats.lock().expect("stats lock").outstanding() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pb.finish_and_clear();
    receivers.iter().for_each(|r| r.abort());

    let report = Report::new(
        &stats.lock().expect("stats lock"),
        users.len(),
        pairs.len(),
        sending,
        args.rate,
    );
    ctx.emit(serde_json::to_value(&report).unwrap_or_default(), || {
        report.text()
    });
    Ok(())
}

/// Seals one message from `users[from]` to the pair and posts it, recording its start time.
async fn send_one(
    users: &[Arc<SimUser>],
    pair: Pair,
    from: usize,
    to: usize,
    body: &[u8],
    stats: &Mutex<Stats>,
) {
    let sender = &users[from];
    let keys = [
        (
            users[from].me.id,
            users[from].me.account.enc_public_spki().to_vec(),
        ),
        (
            users[to].me.id,
            users[to].me.account.enc_public_spki().to_vec(),
        ),
    ];
    let id = Uuid::new_v4();
    let sealed = Header::new(
        pair.conversation,
        id,
        sender.me.id,
        keys.iter().map(|k| k.0),
        TEXT_PLAIN,
        courier_client::messaging::now_ms(),
    )
    .and_then(|h| crypto::seal(&h, body, &sender.me.account, &keys));
    let envelope = match sealed {
        Ok(e) => e,
        Err(e) => return fail(stats, e.to_string(), id),
    };
    {
        let mut s = stats.lock().expect("stats lock");
        s.attempted += 1;
        s.inflight.insert(id, (Instant::now(), false));
    }
    let conv = pair.conversation;
    let envelope = &envelope;
    match sender
        .session
        .call(|api, t| async move { api.post_message(&t, conv, envelope, &[]).await })
        .await
    {
        Ok(_) => {
            let mut s = stats.lock().expect("stats lock");
            s.sent += 1;
            if let Some(entry) = s.inflight.get_mut(&id) {
                entry.1 = true;
            }
        }
        Err(e) => fail(stats, e.to_string(), id),
    }
}

fn fail(stats: &Mutex<Stats>, error: String, id: Uuid) {
    let mut s = stats.lock().expect("stats lock");
    s.send_errors += 1;
    s.inflight.remove(&id);
    s.last_error = Some(error);
}

/// One user's stream: verifies and decrypts every message from someone else and records it.
async fn receive(
    user: Arc<SimUser>,
    users: Vec<Arc<SimUser>>,
    index: Arc<HashMap<Uuid, usize>>,
    stats: Arc<Mutex<Stats>>,
    ready: mpsc::Sender<()>,
) {
    let mut ready = Some(ready);
    let mut listener = Listener::new(&user.session, 0, None);
    loop {
        let note = match listener.next().await {
            Ok(n) => n,
            Err(e) => {
                stats.lock().expect("stats lock").last_error =
                    Some(format!("stream of {}: {e}", user.session.username));
                return;
            }
        };
        match note {
            Note::Event(ev) if ev.event == "ready" => {
                if let Some(tx) = ready.take() {
                    let _ = tx.send(()).await;
                }
            }
            Note::Event(ev) if ev.event == "message" => {
                let at = Instant::now();
                let Ok(item) = serde_json::from_str::<MessageItem>(&ev.data) else {
                    stats.lock().expect("stats lock").unverified += 1;
                    continue;
                };
                if item.sender_id == user.me.id {
                    continue; // our own copy
                }
                let verified = match (item.envelope(), index.get(&item.sender_id)) {
                    (Some(Ok(received)), Some(&i)) => {
                        let context = OpenContext {
                            conversation_id: item.conversation_id,
                            sender_id: item.sender_id,
                            recipient_id: user.me.id,
                            message_id: Some(item.message_id),
                        };
                        crypto::open(
                            &received,
                            &context,
                            users[i].me.account.sig_public_spki(),
                            &user.me.account,
                        )
                        .is_ok()
                    }
                    _ => false,
                };
                stats
                    .lock()
                    .expect("stats lock")
                    .arrived(item.message_id, at, verified);
            }
            Note::Disconnected { .. } => stats.lock().expect("stats lock").reconnects += 1,
            _ => {}
        }
    }
}
