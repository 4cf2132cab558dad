//! Turns the JSON lines of a bench run into docs/bench/results.md and SVG plots (hand-drawn
//! SVG: no plotting dependency for two line charts).

use std::{fmt::Write as _, path::Path};

use serde_json::Value;

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

pub fn write(raw: &Path, out_dir: &Path, commands: &str) -> anyhow::Result<()> {
    let lines: Vec<Value> = std::fs::read_to_string(raw)?
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let of = |s: &'static str| lines.iter().filter(move |v| v["scenario"] == s);
    let mut md = String::from(
        "# Benchmark results\n\nMade by `scripts/bench.sh` (raw lines: `raw.jsonl`).\n\n",
    );
    md.push_str("## (a) Streams held by one instance\n\n| setup | target | opened | RSS before (KiB) | RSS after (KiB) | KiB per stream | open time (s) |\n|---|---|---|---|---|---|---|\n");
    for v in of("streams") {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.2} | {:.1} |",
            v["label"].as_str().unwrap_or(""),
            v["target"],
            v["opened"],
            v["rss_before_kib"],
            v["rss_after_kib"],
            f(v, "kib_per_stream"),
            f(v, "open_secs")
        );
    }
    md.push_str("\n## (b) 1:1 messages at rising rates\n\n| setup | target msg/s | accepted msg/s | failed | delivered | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|\n");
    for v in of("pairs") {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {} | {} | {:.1} | {:.1} |",
            v["label"].as_str().unwrap_or(""),
            v["target_rate"],
            f(v, "accepted_per_sec"),
            v["failed"],
            v["delivered"],
            f(v, "p50_ms"),
            f(v, "p99_ms")
        );
    }
    md.push_str(
        "\n![accepted vs offered](pairs-throughput.svg) ![p99 vs offered](pairs-latency.svg)\n",
    );
    md.push_str("\n## (c) Group fan-out (all members online)\n\n| setup | members | messages timed | p50 ms | p99 ms | burst messages | events delivered | events/s |\n|---|---|---|---|---|---|---|---|\n");
    for v in of("fanout") {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.1} | {:.1} | {} | {} | {:.0} |",
            v["label"].as_str().unwrap_or(""),
            v["members"],
            v["rounds"],
            f(v, "p50_ms"),
            f(v, "p99_ms"),
            v["burst_messages"],
            v["events_delivered"],
            f(v, "events_per_sec")
        );
    }
    let _ = write!(md, "\n## Commands\n\n```sh\n{commands}\n```\n");
    std::fs::write(out_dir.join("results.md"), md)?;
    let series = |y: &str| -> Vec<(String, Vec<(f64, f64)>)> {
        let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
        for v in of("pairs") {
            let label = v["label"].as_str().unwrap_or("").to_owned();
            let point = (f(v, "target_rate"), f(v, y));
            match out.iter_mut().find(|(l, _)| *l == label) {
                Some((_, pts)) => pts.push(point),
                None => out.push((label, vec![point])),
            }
        }
        out
    };
    std::fs::write(
        out_dir.join("pairs-throughput.svg"),
        svg(
            "accepted msg/s vs offered msg/s (1:1)",
            "msg/s",
            &series("accepted_per_sec"),
        ),
    )?;
    std::fs::write(
        out_dir.join("pairs-latency.svg"),
        svg(
            "send→receive p99 (ms) vs offered msg/s (1:1)",
            "ms",
            &series("p99_ms"),
        ),
    )?;
    Ok(())
}

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

fn svg(title: &str, unit: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let (w, h, m) = (640.0, 360.0, 50.0);
    let pts = series
        .iter()
        .flat_map(|(_, p)| p.iter())
        .filter(|p| p.1.is_finite());
    let (mut xmax, mut ymax) = (1.0f64, 1.0f64);
    for (x, y) in pts {
        xmax = xmax.max(*x);
        ymax = ymax.max(*y);
    }
    let sx = |x: f64| m + x / xmax * (w - 2.0 * m);
    let sy = |y: f64| h - m - y / (ymax * 1.05) * (h - 2.0 * m);
    let mut s = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' font-family='sans-serif' font-size='12'>\
<rect width='100%' height='100%' fill='white'/><text x='{m}' y='20' font-size='14'>{title}</text>\
<line x1='{m}' y1='{b}' x2='{r}' y2='{b}' stroke='black'/><line x1='{m}' y1='{m}' x2='{m}' y2='{b}' stroke='black'/>\
<text x='{r}' y='{lb}' text-anchor='end'>offered {xmax:.0} msg/s</text><text x='5' y='{m}'>{ymax:.0} {unit}</text>",
        b = h - m, r = w - m, lb = h - m + 20.0
    );
    for (i, (label, points)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let path: Vec<String> = points
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill='none' stroke='{colour}' stroke-width='2' points='{}'/>",
            path.join(" ")
        );
        for (x, y) in points.iter().filter(|p| p.1.is_finite()) {
            let _ = write!(s, "<circle cx='{:.1}' cy='{:.1}' r='3' fill='{colour}'><title>{x:.0}: {y:.1}</title></circle>", sx(*x), sy(*y));
        }
        let _ = write!(
            s,
            "<text x='{}' y='{}' fill='{colour}'>{label}</text>",
            w - m - 150.0,
            m + 15.0 * i as f64
        );
    }
    s.push_str("</svg>\n");
    s
}

/// `scripts/bench.sh attachments`: one row per setup, with the spread over its rounds.
pub fn write_attachments(raw: &Path, out: &Path, commands: &str) -> anyhow::Result<()> {
    let lines: Vec<Value> = std::fs::read_to_string(raw)?
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &Value| v["scenario"] == "attachments")
        .collect();
    let mut labels: Vec<&str> = Vec::new();
    for v in &lines {
        let label = v["label"].as_str().unwrap_or("");
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    // "median (min–max)" of a field over the rounds, with `digits` decimals.
    let spread = |rows: &[&Value], k: &str, scale: f64, digits: usize| -> String {
        let mut xs: Vec<f64> = rows.iter().map(|v| f(v, k) / scale).collect();
        xs.sort_by(|a, b| a.total_cmp(b));
        match xs.len() {
            0 => "–".into(),
            1 => format!("{:.digits$}", xs[0]),
            n => format!(
                "{:.digits$} ({:.digits$}–{:.digits$})",
                xs[n / 2],
                xs[0],
                xs[n - 1]
            ),
        }
    };
    let mut md = String::from(
        "# Attachment throughput\n\nMade by `scripts/bench.sh attachments` (raw lines: \
         `attachments.jsonl`). MB = 10^6 bytes; RSS growth = the server's peak RSS during a \
         transfer (VmHWM, reset before each transfer, and 5 ms samples) minus its RSS before \
         the first. CPU = cores busy on average during the transfer (server / this client). \
         Median (min–max) over the rounds.\n\n\
         | setup | ciphertext bytes | rounds | upload MB/s | CPU up (server / client) | \
         download MB/s | CPU down (server / client) | peak RSS growth MiB |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for label in labels {
        let rows: Vec<&Value> = lines.iter().filter(|v| v["label"] == label).collect();
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} / {} | {} | {} / {} | {} |",
            rows[0]["ciphertext_bytes"],
            rows.len(),
            spread(&rows, "upload_mb_s", 1.0, 0),
            spread(&rows, "upload_server_cpu", 1.0, 2),
            spread(&rows, "upload_client_cpu", 1.0, 2),
            spread(&rows, "download_mb_s", 1.0, 0),
            spread(&rows, "download_server_cpu", 1.0, 2),
            spread(&rows, "download_client_cpu", 1.0, 2),
            spread(&rows, "peak_growth_kib", 1024.0, 1),
        );
    }
    let _ = write!(md, "\n## Commands\n\n```sh\n{commands}\n```\n");
    std::fs::write(out, md)?;
    Ok(())
}
