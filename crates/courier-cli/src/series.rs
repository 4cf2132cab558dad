//! `courier-cli series`: a conversation's telemetry, verified and decrypted, in time order
//! (docs/protocol.md §12.3). Batches that fail to verify or to parse are reported and dropped,
//! never printed as points; a `seq` seen twice is reported and the first copy kept; missing
//! `seq` numbers are reported as gaps.
//!
//! Time ranges: the server selects by the time it stored a batch, which is after its points
//! were taken (but possibly long after, when a batch waited in an outbox). So `--since` asks
//! the server for batches stored from `since` minus a clock-skew margin, nothing bounds the
//! server side above, and both bounds are then applied to each point's own time.

use std::{collections::BTreeMap, io::Write};

use serde_json::json;
use uuid::Uuid;

use super::{chat, context::Ctx, display::terminal_safe};
use courier_client::{
    api::HistoryRange,
    messaging::now_ms,
    series::{open_batch, ReadBatch},
    ClientError, Result,
};
use courier_protocol::series::{Seen, SeqLog};

/// How far a point's clock may be ahead of the server's and still be found by `--since`.
const SKEW_MARGIN_MS: i64 = 5 * 60 * 1000;
const PAGE: u32 = 200;

#[derive(clap::Args, Debug)]
pub struct SeriesArgs {
    /// The conversation: an id, a username (the direct conversation) or a group title.
    pub conversation: String,
    /// Only points at or after this time: ms since the epoch, RFC 3339, or an age like 10m.
    #[arg(long, value_parser = parse_time)]
    pub since: Option<u64>,
    /// Only points before this time (same forms).
    #[arg(long, value_parser = parse_time)]
    pub until: Option<u64>,
    /// One row per value: t_ms,time,sender,stream,series,unit,value.
    #[arg(long)]
    pub csv: bool,
}

fn parse_time(s: &str) -> std::result::Result<u64, String> {
    let s = s.trim();
    if let Ok(ms) = s.parse::<u64>() {
        return Ok(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return u64::try_from(t.timestamp_millis()).map_err(|_| "before 1970".to_string());
    }
    let age = super::simulate::parse_duration(s)
        .map_err(|_| format!("{s:?}: use ms since the epoch, RFC 3339 or an age like 10m"))?;
    Ok(now_ms().saturating_sub(age.as_millis() as u64))
}

/// One point of one stream, ready to print.
struct Row {
    t_ms: u64,
    sender: String,
    stream: String,
    /// (name, unit, value)
    values: Vec<(String, String, Option<f64>)>,
}

fn iso(t_ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(t_ms as i64)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| t_ms.to_string())
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

pub async fn run(ctx: &Ctx, args: SeriesArgs) -> Result<()> {
    if let (Some(s), Some(u)) = (args.since, args.until) {
        if s > u {
            return Err(ClientError::Usage("--since is after --until".into()));
        }
    }
    let session = ctx.session()?;
    let conversation = chat::resolve(&session, &args.conversation, false).await?;
    let mut pins = ctx.pins(&session)?;
    let me = ctx.me(&session).await?;

    // Every page of batches stored since the (margin-widened) start, newest page first.
    let since = args.since.map(|s| (s as i64 - SKEW_MARGIN_MS).max(0));
    let mut items = Vec::new();
    let mut before = None;
    loop {
        let range = HistoryRange {
            before,
            since,
            until: None,
            limit: PAGE,
        };
        let id = conversation.id;
        let page = session
            .call(|api, t| async move { api.history_range(&t, id, &range).await })
            .await?;
        let full = page.len() == PAGE as usize;
        before = page.first().map(|m| m.position);
        items.extend(page);
        if !full {
            break;
        }
    }
    items.sort_by_key(|m| m.position);

    let mut logs: BTreeMap<(Uuid, String), (String, SeqLog)> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut reports = Vec::new();
    for item in &items {
        match open_batch(&session, &mut pins, &me, item).await {
            None => {}
            Some(ReadBatch::Refused { message_id, sender_id, reason }) => reports.push(json!({
                "report": "refused", "message_id": message_id, "sender_id": sender_id, "reason": reason,
            })),
            Some(ReadBatch::Batch { sender_id, sender, batch, .. }) => {
                let (_, log) = logs
                    .entry((sender_id, batch.stream.clone()))
                    .or_insert_with(|| (sender.clone(), SeqLog::default()));
                if log.insert(batch.seq) == Seen::Duplicate {
                    reports.push(json!({
                        "report": "duplicate", "sender": sender, "stream": batch.stream, "seq": batch.seq,
                    }));
                    continue;
                }
                for p in &batch.points {
                    if args.since.is_some_and(|s| p.t_ms < s) || args.until.is_some_and(|u| p.t_ms >= u) {
                        continue;
                    }
                    rows.push(Row {
                        t_ms: p.t_ms,
                        sender: sender.clone(),
                        stream: batch.stream.clone(),
                        values: batch
                            .series
                            .iter()
                            .zip(&p.values)
                            .map(|(s, v)| (s.name.clone(), s.unit.clone(), *v))
                            .collect(),
                    });
                }
            }
        }
    }
    // With --since, batches before the window are not fetched: a gap is only what is
    // missing after the first batch seen.
    for ((_, stream), (sender, log)) in &logs {
        let windowed = args.since.is_some();
        for gap in log.gaps().iter().filter(|g| !(windowed && *g.start() == 0)) {
            reports.push(json!({
                "report": "gap", "sender": sender, "stream": stream,
                "missing_from": gap.start(), "missing_to": gap.end(),
            }));
        }
    }
    rows.sort_by_key(|r| r.t_ms);

    if args.csv {
        // A reader that goes away (`| head`) ends the output, not the process with a panic.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let _ = write_csv(&mut out, &rows).and_then(|()| out.flush());
    } else {
        for r in &rows {
            let values: serde_json::Map<String, serde_json::Value> = r
                .values
                .iter()
                .map(|(n, _, v)| (n.clone(), json!(v)))
                .collect();
            ctx.emit(
                json!({"t_ms": r.t_ms, "sender": r.sender, "stream": r.stream, "values": values}),
                || {
                    let shown: Vec<String> = r
                        .values
                        .iter()
                        .map(|(n, u, v)| {
                            let v = v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                            terminal_safe(&format!("{n}={v}{u}"))
                        })
                        .collect();
                    format!(
                        "{}  {}/{}  {}",
                        iso(r.t_ms),
                        terminal_safe(&r.sender),
                        r.stream,
                        shown.join("  ")
                    )
                },
            );
        }
    }
    for report in reports {
        if ctx.json {
            ctx.emit(report, String::new);
        } else {
            eprintln!("{}", terminal_safe(&report_text(&report)));
        }
    }
    Ok(())
}

fn write_csv(out: &mut impl Write, rows: &[Row]) -> std::io::Result<()> {
    writeln!(out, "t_ms,time,sender,stream,series,unit,value")?;
    for r in rows {
        for (name, unit, value) in &r.values {
            writeln!(
                out,
                "{},{},{},{},{},{},{}",
                r.t_ms,
                iso(r.t_ms),
                csv_field(&r.sender),
                csv_field(&r.stream),
                csv_field(name),
                csv_field(unit),
                value.map(|v| v.to_string()).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}

fn report_text(r: &serde_json::Value) -> String {
    match r["report"].as_str() {
        Some("refused") => format!(
            "batch {} could not be verified and was dropped: {}",
            r["message_id"], r["reason"]
        ),
        Some("duplicate") => format!(
            "{}/{}: batch {} came twice; the first is kept",
            r["sender"], r["stream"], r["seq"]
        ),
        Some("gap") => format!(
            "{}/{}: batches {}..{} are missing",
            r["sender"], r["stream"], r["missing_from"], r["missing_to"]
        ),
        _ => r.to_string(),
    }
}
