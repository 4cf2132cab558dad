//! The benchmark scenarios of issue 6. Each prints one JSON line per measurement; `report`
//! turns the collected lines into docs/bench/results.md and the plots.

use std::{
    sync::{atomic::Ordering, Arc},
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::{client, conversation, envelope, listen, percentile, rss_kib, users, Clock, User};

/// (a) Holds `total` streams on the server with pid `pid`, opened by `procs` child processes
/// (this binary's `hold`) from 127.0.0.2, .3, …; reports server memory per stream.
pub async fn streams(
    base: &str,
    label: &str,
    pid: u32,
    total: usize,
    procs: usize,
    per_user: usize,
) -> anyhow::Result<()> {
    let holders = users(base, "hold", total.div_ceil(per_user), 16).await?;
    let tokens =
        std::env::temp_dir().join(format!("courier-bench-tokens-{}.json", std::process::id()));
    {
        // The holders' access tokens, for the child processes: readable by this user only.
        use std::{io::Write, os::unix::fs::OpenOptionsExt};
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tokens)?;
        file.write_all(&serde_json::to_vec(&holders)?)?;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib(pid)?;
    let started = Instant::now();
    let me = std::env::current_exe()?;
    let mut children = Vec::new();
    let share = total.div_ceil(procs);
    for p in 0..procs {
        let count = share.min(total - (p * share).min(total));
        let child = std::process::Command::new(&me)
            .args([
                "hold",
                "--url",
                base,
                "--tokens",
                tokens.to_str().unwrap_or_default(),
            ])
            .args([
                "--first",
                &(p * share).to_string(),
                "--count",
                &count.to_string(),
                "--per-user",
                &per_user.to_string(),
            ])
            .args(["--local", &format!("127.0.0.{}", 2 + p)])
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        children.push(child);
    }
    // Each child prints its count once all its streams are open (a blocking read: std pipes).
    let (children, opened) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut opened = 0usize;
        for child in &mut children {
            let mut line = String::new();
            let out = child.stdout.take().expect("piped");
            let _ = std::io::BufReader::new(out).read_line(&mut line);
            opened += line.trim().parse::<usize>().unwrap_or(0);
        }
        (children, opened)
    })
    .await?;
    let open_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid)?;
    let per_stream = (after.saturating_sub(before)) as f64 / opened.max(1) as f64;
    println!(
        "{}",
        json!({"scenario": "streams", "label": label, "target": total, "opened": opened, "rss_before_kib": before,
               "rss_after_kib": after, "kib_per_stream": per_stream, "open_secs": open_secs})
    );
    let _ = std::fs::remove_file(&tokens);
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    Ok(())
}

/// The child side of (a): opens `count` streams and holds them until killed.
pub async fn hold(
    base: &str,
    tokens: &str,
    first: usize,
    count: usize,
    per_user: usize,
    local: std::net::IpAddr,
) -> anyhow::Result<()> {
    let holders: Vec<User> = serde_json::from_slice(&std::fs::read(tokens)?)?;
    // One client per 1 000 streams: each stream is its own HTTP/1.1 connection anyway.
    let clients: Vec<reqwest::Client> = (0..count.div_ceil(1000).max(1))
        .map(|_| client(Some(local)))
        .collect();
    let clock = Arc::new(Clock::default());
    let opened: Vec<_> = futures_util::stream::iter(first..first + count)
        .map(|i| {
            let (c, u, clock) = (
                clients[(i - first) % clients.len()].clone(),
                holders[i / per_user].clone(),
                clock.clone(),
            );
            async move {
                for _ in 0..5 {
                    if let Ok(task) = listen(&c, base, &u.token, clock.clone()).await {
                        return Some(task);
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                None
            }
        })
        .buffer_unordered(128)
        .collect()
        .await;
    let held: Vec<_> = opened.into_iter().flatten().collect();
    println!("{}", held.len());
    tokio::time::sleep(Duration::from_secs(86_400)).await;
    Ok(())
}

/// (b) `pairs` 1:1 conversations, receivers online; senders at each total rate for `secs`.
pub async fn pairs(
    base: &str,
    label: &str,
    pairs: usize,
    rates: &[u32],
    secs: u64,
    size: usize,
) -> anyhow::Result<()> {
    let people = users(base, "pair", pairs * 2, 16).await?;
    let c = client(None);
    let clock = Arc::new(Clock::default());
    let mut convs = Vec::new();
    let mut streams = Vec::new();
    for pair in people.chunks(2) {
        let (a, b) = (&pair[0], &pair[1]);
        convs.push((a.clone(), b.id, conversation(&c, base, a, &[b.id]).await?));
        streams.push(listen(&client(None), base, &b.token, clock.clone()).await?);
    }
    for &rate in rates {
        clock.latencies.lock().expect("clock").clear();
        let (accepted, failed, elapsed) = send_at(base, &convs, rate, secs, size, &clock).await;
        // Late deliveries count: wait until every accepted message arrived (or 10 s).
        let deadline = Instant::now() + Duration::from_secs(10);
        while (clock.latencies.lock().expect("clock").len() as u64) < accepted
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut lat = clock.latencies.lock().expect("clock").clone();
        println!(
            "{}",
            json!({"scenario": "pairs", "label": label, "target_rate": rate, "accepted_per_sec": accepted as f64 / elapsed,
                   "failed": failed, "delivered": lat.len(), "p50_ms": percentile(&mut lat, 50.0), "p99_ms": percentile(&mut lat, 99.0)})
        );
    }
    streams.iter().for_each(|s| s.abort());
    Ok(())
}

/// Sends at `rate` messages/s for `secs` (open loop, paced every 10 ms); returns accepted,
/// failed and the elapsed seconds (until the last answer).
async fn send_at(
    base: &str,
    convs: &[(User, Uuid, Uuid)],
    rate: u32,
    secs: u64,
    size: usize,
    clock: &Arc<Clock>,
) -> (u64, u64, f64) {
    let c = client(None);
    let inflight = Arc::new(Semaphore::new(1024));
    let accepted = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let total = rate as u64 * secs;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut sent = 0u64;
    let mut tasks = Vec::new();
    while sent < total {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        while sent < due {
            let (a, b, cid) = &convs[sent as usize % convs.len()];
            let id = Uuid::new_v4();
            let body = envelope(*cid, id, a.id, &[a.id, *b], size);
            let permit = inflight.clone().acquire_owned().await.expect("semaphore");
            let (c, url, token, clock, accepted, failed) = (
                c.clone(),
                format!("{base}/api/conversations/{cid}/messages"),
                a.token.clone(),
                clock.clone(),
                accepted.clone(),
                failed.clone(),
            );
            tasks.push(tokio::spawn(async move {
                clock.sent(id);
                match c.post(url).bearer_auth(token).json(&body).send().await {
                    Ok(r) if r.status().is_success() => accepted.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
                drop(permit);
            }));
            sent += 1;
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    (
        accepted.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    )
}

/// (c) One message at a time to a `members`-member group, all online: per-member latency;
/// then `burst` messages from `senders` members at once: sustained events/s delivered.
pub async fn fanout(
    base: &str,
    label: &str,
    members: usize,
    rounds: usize,
    burst: usize,
    size: usize,
) -> anyhow::Result<()> {
    let people = users(base, "fan", members, 16).await?;
    let c = client(None);
    let ids: Vec<Uuid> = people.iter().map(|u| u.id).collect();
    let cid = conversation(&c, base, &people[0], &ids[1..]).await?;
    let clock = Arc::new(Clock::default());
    let mut streams = Vec::new();
    for chunk in people.chunks(64) {
        let cl = client(None);
        for u in chunk {
            streams.push(listen(&cl, base, &u.token, clock.clone()).await?);
        }
    }
    let url = format!("{base}/api/conversations/{cid}/messages");
    for round in 0..rounds {
        let sender = &people[round % people.len()];
        let id = Uuid::new_v4();
        let body = envelope(cid, id, sender.id, &ids, size);
        clock.sent(id);
        c.post(&url)
            .bearer_auth(&sender.token)
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
        let want = (round as u64 + 1) * members as u64;
        let deadline = Instant::now() + Duration::from_secs(10);
        while clock.received.load(Ordering::Relaxed) < want && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let mut lat = clock.latencies.lock().expect("clock").clone();
    let (p50, p99) = (percentile(&mut lat, 50.0), percentile(&mut lat, 99.0));
    // Sustained: `burst` messages, up to 8 senders in parallel, all stored before they count.
    let senders = people.len().min(8);
    let before = clock.received.load(Ordering::Relaxed);
    let started = Instant::now();
    let bodies: Vec<_> = (0..burst)
        .map(|i| {
            (
                people[i % senders].clone(),
                envelope(cid, Uuid::new_v4(), people[i % senders].id, &ids, size),
            )
        })
        .collect();
    let posted: Vec<bool> = futures_util::stream::iter(bodies)
        .map(|(u, body)| {
            let (c, url) = (c.clone(), url.clone());
            async move {
                c.post(&url)
                    .bearer_auth(&u.token)
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let stored = posted.iter().filter(|ok| **ok).count() as u64;
    let want = before + stored * members as u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while clock.received.load(Ordering::Relaxed) < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let delivered = clock.received.load(Ordering::Relaxed) - before;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        json!({"scenario": "fanout", "label": label, "members": members, "rounds": rounds, "p50_ms": p50, "p99_ms": p99,
               "burst_messages": stored, "events_delivered": delivered, "events_per_sec": delivered as f64 / secs})
    );
    streams.iter().for_each(|s| s.abort());
    Ok(())
}
