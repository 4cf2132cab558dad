//! `courier-cli emit`: sends readings into a conversation as signed, encrypted series batches
//! (docs/protocol.md §12). Points from a [`source`] are collected by a `BatchBuilder`; a batch
//! is closed when its first point is `--flush-ms` old, when it holds `--max-points`, or when
//! the next point would not fit a message; it is then sealed, written to the outbox and posted
//! by a background task that retries until the server acknowledges it. A restarted emitter
//! first sends what its outbox still holds, and numbers new batches after it.

pub mod source;

use std::{
    io::{IsTerminal, Write},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use serde_json::json;
use tokio::sync::mpsc;

use super::{chat, context::Ctx, simulate::parse_duration};
use courier_client::{outbox::Outbox, series::Emitter, ClientError, Result};
use courier_protocol::{
    limits::{MAX_POINTS_PER_BATCH, SERIES_FLUSH_MS},
    series::{BatchBuilder, PushError, Series},
};
use source::{Input, Simulation, StdinFormat};

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["simulate", "stdin"])))]
pub struct EmitArgs {
    /// The conversation: an id, a username (the direct conversation) or a group title.
    #[arg(long)]
    pub to: String,
    /// A series as NAME[:UNIT], e.g. temp:C (repeat for several; one value each per point).
    /// Default for --simulate cpu: cpu:% and mem:%.
    #[arg(long = "series", value_name = "NAME[:UNIT]")]
    pub series: Vec<String>,
    /// Points per second for --simulate, as N or N/s.
    #[arg(long, default_value = "10/s", value_parser = parse_rate)]
    pub rate: f64,
    /// Simulated sensors, or this machine's load.
    #[arg(long, value_enum)]
    pub simulate: Option<Simulation>,
    /// Read points from standard input.
    #[arg(long, value_enum)]
    pub stdin: Option<StdinFormat>,
    /// The stream's name; with your account it identifies the stream (and its outbox).
    #[arg(long, default_value = "default")]
    pub stream: String,
    /// Close a batch when its first point is this old (ms).
    #[arg(long, default_value_t = SERIES_FLUSH_MS)]
    pub flush_ms: u64,
    /// Close a batch at this many points (1–1000).
    #[arg(long, default_value_t = MAX_POINTS_PER_BATCH)]
    pub max_points: usize,
    /// Stop after this long (e.g. 60s, 5m).
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many points.
    #[arg(long)]
    pub count: Option<u64>,
    /// On stopping, wait at most this long for the server to acknowledge every batch; what is
    /// left stays in the outbox for the next run.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drain: Duration,
}

fn parse_rate(s: &str) -> std::result::Result<f64, String> {
    let n: f64 = s
        .trim()
        .trim_end_matches("/s")
        .parse()
        .map_err(|_| format!("not a rate: {s:?} (e.g. 10/s)"))?;
    if n > 0.0 && n <= 1_000_000.0 {
        Ok(n)
    } else {
        Err("the rate must be above 0 and at most 1000000/s".into())
    }
}

fn series_of(args: &EmitArgs) -> Result<Vec<Series>> {
    let specs: Vec<String> = if args.series.is_empty() && args.simulate == Some(Simulation::Cpu) {
        vec!["cpu:%".into(), "mem:%".into()]
    } else {
        args.series.clone()
    };
    if specs.is_empty() {
        return Err(ClientError::Usage(
            "name at least one --series NAME[:UNIT]".into(),
        ));
    }
    if args.simulate == Some(Simulation::Cpu) && specs.len() > 2 {
        return Err(ClientError::Usage(
            "--simulate cpu gives two series: cpu and mem".into(),
        ));
    }
    specs
        .iter()
        .map(|s| {
            Series::from_spec(s).map_err(|e| ClientError::Usage(format!("--series {s:?}: {e}")))
        })
        .collect()
}

/// Why the batching loop stopped.
enum Stop {
    Done,
    Interrupted,
}

pub async fn run(ctx: &Ctx, args: EmitArgs) -> Result<()> {
    let series = series_of(&args)?;
    if !(1..=MAX_POINTS_PER_BATCH).contains(&args.max_points) || args.flush_ms == 0 {
        return Err(ClientError::Usage(
            "--max-points must be 1-1000 and --flush-ms above 0".into(),
        ));
    }
    // Checked before anything else so a bad stream name is not a half-done run.
    BatchBuilder::new(&args.stream, series.clone(), 0)
        .map_err(|e| ClientError::Usage(e.to_string()))?;
    let session = ctx.session()?;
    let conversation = chat::resolve(&session, &args.to, true).await?;
    let outbox = Outbox::open(&ctx.store, session.user_id, conversation.id, &args.stream)?;
    let pins = ctx.pins(&session)?;
    let me = ctx.me(&session).await?;
    let emitter = Emitter::new(session, me, pins, conversation, outbox).await?;
    let mut poster = tokio::spawn(emitter.clone().run_poster());

    let (tx, mut rx) = mpsc::channel::<Input>(16_384);
    let producer = match (args.simulate, args.stdin) {
        (Some(kind), _) => tokio::spawn(source::simulate(kind, series.len(), args.rate, tx)),
        (None, Some(format)) => tokio::spawn(source::stdin(format, series.clone(), tx)),
        (None, None) => unreachable!("clap requires one input"),
    };

    let started = Instant::now();
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let flush_after = Duration::from_millis(args.flush_ms);
    let seq = emitter.next_seq()?;
    let mut builder = BatchBuilder::new(&args.stream, series.clone(), seq).expect("checked above");
    let mut batch_opened: Option<tokio::time::Instant> = None;
    let mut taken: u64 = 0;
    let mut bad_input: u64 = 0;
    let mut status = tokio::time::interval(Duration::from_secs(1));
    status.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let status_line = std::io::stderr().is_terminal() && !ctx.json;
    if ctx.json {
        ctx.emit(json!({"event": "started", "stream": args.stream, "next_seq": seq, "unacknowledged": emitter.unacknowledged()?}), String::new);
    }

    let stop = loop {
        let flush_at = batch_opened.map(|t| t + flush_after);
        tokio::select! {
            input = rx.recv() => match input {
                None => break Stop::Done,
                Some(Input::Bad(bad)) => {
                    bad_input += 1;
                    eprintln!("line {}: {} (skipped)", bad.line, bad.why);
                }
                Some(Input::Point(point)) => {
                    let overflow = match builder.push(point) {
                        Ok(()) => None,
                        Err(PushError::Full(point)) => Some(point),
                        Err(PushError::Invalid(e)) => {
                            bad_input += 1;
                            eprintln!("point skipped: {e}");
                            continue;
                        }
                    };
                    if let Some(point) = overflow {
                        // The batch is full: send it, and start the next with this point.
                        {
                        flush(&emitter, &mut builder).await?;
                        batch_opened = None;
                    }
                        if let Err(e) = builder.push(point) {
                            bad_input += 1;
                            eprintln!("point skipped: {e:?}");
                            continue;
                        }
                    }
                    taken += 1;
                    if builder.len() == 1 {
                        batch_opened = Some(tokio::time::Instant::now());
                    }
                    if builder.len() >= args.max_points {
                        {
                        flush(&emitter, &mut builder).await?;
                        batch_opened = None;
                    }
                    }
                    if args.count.is_some_and(|c| taken >= c) {
                        break Stop::Done;
                    }
                }
            },
            _ = sleep_until(flush_at) => {
                flush(&emitter, &mut builder).await?;
                batch_opened = None;
            }
            _ = sleep_until(deadline) => break Stop::Done,
            _ = status.tick() => {
                let line = status_json(&emitter, started)?;
                if ctx.json {
                    ctx.emit(line, String::new);
                } else if status_line {
                    eprint!("\r\x1b[2K{}", status_text(&line));
                    let _ = std::io::stderr().flush();
                }
            }
            ended = &mut poster => return Err(poster_error(ended)),
            _ = tokio::signal::ctrl_c() => break Stop::Interrupted,
        }
    };
    producer.abort();
    flush(&emitter, &mut builder).await?;
    let drained = tokio::select! {
        d = emitter.drain(args.drain) => d,
        ended = &mut poster => return Err(poster_error(ended)),
    };
    poster.abort();
    let mut summary = status_json(&emitter, started)?;
    summary["event"] = json!("done");
    summary["interrupted"] = json!(matches!(stop, Stop::Interrupted));
    summary["skipped"] = json!(bad_input);
    if status_line {
        eprintln!();
    }
    ctx.emit(summary.clone(), || {
        let mut text = format!("sent {}", status_text(&summary));
        if !drained {
            text.push_str("\nnot every batch was acknowledged: they stay in the outbox and go first on the next `emit` of this stream");
        }
        text
    });
    Ok(())
}

/// Closes the batch being built (if it holds any point), hands it to the poster, and starts
/// the next one.
async fn flush(emitter: &Emitter, builder: &mut BatchBuilder) -> Result<()> {
    if builder.is_empty() {
        return Ok(());
    }
    let next = builder.next_batch();
    let (batch, plaintext) = std::mem::replace(builder, next)
        .finish()
        .expect("not empty");
    emitter
        .enqueue(batch.seq, &plaintext, batch.points.len())
        .await
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn poster_error(ended: std::result::Result<Result<()>, tokio::task::JoinError>) -> ClientError {
    match ended {
        Ok(Err(e)) => e,
        Ok(Ok(())) => ClientError::Protocol("the poster stopped".into()),
        Err(e) => ClientError::Protocol(format!("the poster failed: {e}")),
    }
}

fn status_json(emitter: &Emitter, started: Instant) -> Result<serde_json::Value> {
    let s = &emitter.stats;
    let points = s.points.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64().max(0.001);
    Ok(json!({
        "event": "status",
        "points": points,
        "points_per_sec": (points as f64 / secs).round(),
        "batches": s.batches.load(Ordering::Relaxed),
        "acknowledged": s.acknowledged.load(Ordering::Relaxed),
        "unacknowledged": emitter.unacknowledged()?,
        "retries": s.retries.load(Ordering::Relaxed),
        "last_error": s.last_error.lock().unwrap().clone(),
    }))
}

fn status_text(v: &serde_json::Value) -> String {
    let mut text = format!(
        "{} points ({} /s) · {} batches · {} unacknowledged",
        v["points"], v["points_per_sec"], v["batches"], v["unacknowledged"]
    );
    if let Some(e) = v["last_error"].as_str() {
        text.push_str(&format!(" · retrying: {e}"));
    }
    text
}
