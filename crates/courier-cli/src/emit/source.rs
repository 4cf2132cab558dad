//! Where `emit`'s readings come from: simulated sensors (a sine, a random walk), this machine's
//! CPU and memory load, or another program's output on stdin (CSV or JSON lines).
//!
//! Simulated and machine sources are paced by the clock: every tick they make the points due
//! since the last one, with evenly spaced timestamps, so 10 000 points/s needs no 100 µs timer.

use std::time::{Duration, Instant};

use courier_protocol::series::{Point, Series};
use tokio::sync::mpsc;

use courier_client::messaging::now_ms;

/// What `--simulate` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Simulation {
    /// One sine per series, each with its own period (10 s, 20 s, …).
    Sine,
    /// A random walk per series.
    RandomWalk,
    /// This machine's CPU load and memory use, in % (series `cpu:%` and `mem:%`).
    Cpu,
}

/// What `--stdin` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StdinFormat {
    /// `[t_ms,]v1,v2,…` per line; an empty field is no reading; a header line is skipped.
    Csv,
    /// `[t_ms, v1, …]` or `[v1, …]` or `{"t_ms": …, "NAME": value, …}` per line.
    Jsonl,
}

/// A line of input that could not be used (reported, then skipped).
pub struct BadLine {
    pub line: usize,
    pub why: String,
}

/// What a source sends the batcher.
pub enum Input {
    Point(Point),
    Bad(BadLine),
}

/// A small, fast, non-cryptographic generator (xorshift64*): simulated noise only.
struct Noise(u64);

impl Noise {
    fn new() -> Self {
        Noise(now_ms() | 1)
    }
    /// Uniform in [-1, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        (x as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// Rounds to a few significant digits, so readings look like a sensor's and encode short.
fn sensor(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// This machine's CPU busy % since the last call (from /proc/stat) and memory used %.
struct Machine {
    last: Option<(u64, u64)>,
}

impl Machine {
    fn cpu(&mut self) -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let total: u64 = fields.iter().sum();
        let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
        let previous = self.last.replace((total, idle));
        let (t0, i0) = previous?;
        let (dt, di) = (total.saturating_sub(t0), idle.saturating_sub(i0));
        (dt > 0).then(|| sensor(100.0 * (dt - di.min(dt)) as f64 / dt as f64))
    }

    fn memory() -> Option<f64> {
        let info = std::fs::read_to_string("/proc/meminfo").ok()?;
        let field = |name: &str| -> Option<f64> {
            info.lines()
                .find(|l| l.starts_with(name))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        let (total, available) = (field("MemTotal:")?, field("MemAvailable:")?);
        Some(sensor(100.0 * (total - available) / total))
    }
}

/// Runs a simulated or machine source at `rate` points/s until the receiver goes away.
pub async fn simulate(kind: Simulation, width: usize, rate: f64, tx: mpsc::Sender<Input>) {
    let tick = Duration::from_millis(10)
        .max(Duration::from_secs_f64(1.0 / rate).min(Duration::from_millis(250)));
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (start, start_ms) = (Instant::now(), now_ms());
    let mut made: u64 = 0;
    let mut noise = Noise::new();
    let mut walk = vec![0.0f64; width];
    let mut machine = Machine { last: None };
    machine.cpu();
    loop {
        ticker.tick().await;
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        let cpu = (kind == Simulation::Cpu).then(|| machine.cpu()).flatten();
        let mem = (kind == Simulation::Cpu).then(Machine::memory).flatten();
        while made < due {
            let t_ms = start_ms + (made as f64 * 1000.0 / rate) as u64;
            let secs = (t_ms - start_ms) as f64 / 1000.0;
            let values = (0..width)
                .map(|i| match kind {
                    Simulation::Sine => Some(sensor(
                        (secs * std::f64::consts::TAU / (10.0 * (i + 1) as f64)).sin() * 10.0
                            + 20.0,
                    )),
                    Simulation::RandomWalk => {
                        walk[i] += noise.next();
                        Some(sensor(walk[i]))
                    }
                    Simulation::Cpu => [cpu, mem].get(i).copied().flatten(),
                })
                .collect();
            made += 1;
            if tx.send(Input::Point(Point { t_ms, values })).await.is_err() {
                return;
            }
        }
    }
}

/// Reads points from stdin lines until it ends.
pub async fn stdin(format: StdinFormat, series: Vec<Series>, tx: mpsc::Sender<Input>) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut number = 0usize;
    while let Ok(Some(line)) = lines.next_line().await {
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = match format {
            StdinFormat::Csv => parse_csv(&line, series.len()),
            StdinFormat::Jsonl => parse_jsonl(&line, &series),
        };
        let input = match parsed {
            Ok(point) => Input::Point(point),
            // A first line that is not numbers is a CSV header.
            Err(_) if number == 1 && format == StdinFormat::Csv => continue,
            Err(why) => Input::Bad(BadLine { line: number, why }),
        };
        if tx.send(input).await.is_err() {
            return;
        }
    }
}

fn number(field: &str) -> Result<Option<f64>, String> {
    let field = field.trim();
    if field.is_empty() || field.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("{field:?} is not a number")),
    }
}

fn time(value: f64) -> Result<u64, String> {
    if value.fract() == 0.0
        && (0.0..=courier_protocol::limits::MAX_SAFE_INTEGER as f64).contains(&value)
    {
        Ok(value as u64)
    } else {
        Err("the time must be whole ms since the epoch".into())
    }
}

/// `t_ms,v1,…` (one more field than series) or `v1,…` (the time is now).
pub fn parse_csv(line: &str, width: usize) -> Result<Point, String> {
    let fields: Vec<&str> = line.split(',').collect();
    let (t_ms, values) = if fields.len() == width + 1 {
        let t = number(fields[0])?.ok_or("the time field is empty")?;
        (time(t)?, &fields[1..])
    } else if fields.len() == width {
        (now_ms(), &fields[..])
    } else {
        return Err(format!(
            "{} fields; expected {width} values, optionally after a time",
            fields.len()
        ));
    };
    let values = values
        .iter()
        .map(|f| number(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Point { t_ms, values })
}

/// `[t_ms, v…]`, `[v…]` or `{"t_ms": t, "NAME": v, …}` (missing names are no reading).
pub fn parse_jsonl(line: &str, series: &[Series]) -> Result<Point, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let as_value = |v: &serde_json::Value| -> Result<Option<f64>, String> {
        match v {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::Number(n) => Ok(n.as_f64()),
            other => Err(format!("{other} is not a number")),
        }
    };
    match value {
        serde_json::Value::Array(items) => {
            let (t_ms, values) = if items.len() == series.len() + 1 {
                let t = as_value(&items[0])?.ok_or("the time is null")?;
                (time(t)?, &items[1..])
            } else if items.len() == series.len() {
                (now_ms(), &items[..])
            } else {
                return Err(format!(
                    "{} items; expected {} values, optionally after a time",
                    items.len(),
                    series.len()
                ));
            };
            let values = values.iter().map(as_value).collect::<Result<Vec<_>, _>>()?;
            Ok(Point { t_ms, values })
        }
        serde_json::Value::Object(map) => {
            if let Some(unknown) = map
                .keys()
                .find(|k| *k != "t_ms" && !series.iter().any(|s| &s.name == *k))
            {
                return Err(format!("unknown series {unknown:?}"));
            }
            let t_ms = match map.get("t_ms") {
                Some(t) => time(as_value(t)?.ok_or("the time is null")?)?,
                None => now_ms(),
            };
            let values = series
                .iter()
                .map(|s| map.get(&s.name).map_or(Ok(None), as_value))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Point { t_ms, values })
        }
        _ => Err("expected an array or an object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize) -> Vec<Series> {
        (0..n)
            .map(|i| Series::from_spec(&format!("s{i}")).unwrap())
            .collect()
    }

    #[test]
    fn csv_lines_with_and_without_a_time() {
        assert_eq!(
            parse_csv("1700000000000,1.5,", 2).unwrap(),
            Point {
                t_ms: 1_700_000_000_000,
                values: vec![Some(1.5), None]
            }
        );
        let now = parse_csv("3, 4", 2).unwrap();
        assert_eq!(now.values, vec![Some(3.0), Some(4.0)]);
        assert!(now.t_ms > 1_700_000_000_000);
        assert!(parse_csv("1,2,3,4", 2).is_err());
        assert!(parse_csv("1.5,2,3", 2).is_err(), "a fractional time");
        assert!(parse_csv("x,2", 2).is_err());
        assert!(parse_csv("inf,2", 2).is_err());
    }

    #[test]
    fn json_lines_as_arrays_or_objects() {
        let s = series(2);
        assert_eq!(
            parse_jsonl("[5, 1, null]", &s).unwrap(),
            Point {
                t_ms: 5,
                values: vec![Some(1.0), None]
            }
        );
        assert_eq!(
            parse_jsonl(r#"{"t_ms": 7, "s1": 2}"#, &s).unwrap(),
            Point {
                t_ms: 7,
                values: vec![None, Some(2.0)]
            }
        );
        assert!(parse_jsonl(r#"{"t_ms": 7, "nope": 2}"#, &s).is_err());
        assert!(parse_jsonl(r#"[1, "2", 3]"#, &s).is_err());
        assert!(parse_jsonl("[-1, 2, 3]", &s).is_err());
    }
}
