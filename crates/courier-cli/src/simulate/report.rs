//! What the simulator counts while it runs, and the report it prints at the end.
//!
//! Policy: a message counts as *sent* when the server accepted it (201), as *delivered* the
//! first time its recipient's stream hands it over and it verifies; a second copy is a
//! *duplicate*; a sent message never delivered by the end of the grace period is *lost*.
//! Latency is from just before the POST to the arrival on the recipient's stream, measured
//! with one monotonic clock (sender and receiver are the same process).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use uuid::Uuid;

/// Shared counters (behind one mutex: updates are tiny).
#[derive(Default)]
pub struct Stats {
    /// Message id → (time the POST started, whether the server accepted it yet).
    pub inflight: HashMap<Uuid, (Instant, bool)>,
    pub attempted: u64,
    pub sent: u64,
    pub send_errors: u64,
    pub last_error: Option<String>,
    pub delivered: HashSet<Uuid>,
    pub duplicated: u64,
    pub unverified: u64,
    pub unexpected: u64,
    pub reconnects: u64,
    pub latencies_us: Vec<u64>,
}

impl Stats {
    /// The recipient's stream handed `id` over at `at`; `verified` says whether it opened.
    pub fn arrived(&mut self, id: Uuid, at: Instant, verified: bool) {
        if !verified {
            self.unverified += 1;
        }
        if !self.delivered.insert(id) {
            self.duplicated += 1;
            return;
        }
        match self.inflight.remove(&id) {
            Some((start, _)) => self
                .latencies_us
                .push(at.saturating_duration_since(start).as_micros() as u64),
            None => self.unexpected += 1,
        }
    }

    /// Sent messages still waiting for their delivery.
    pub fn outstanding(&self) -> usize {
        self.inflight
            .values()
            .filter(|(_, accepted)| *accepted)
            .count()
    }
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub clients: usize,
    pub conversations: usize,
    pub duration_s: f64,
    pub target_rate: f64,
    pub attempted: u64,
    pub sent: u64,
    pub send_errors: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub unverified: u64,
    pub unexpected: u64,
    pub reconnects: u64,
    pub delivered_per_s: f64,
    pub latency: Option<Latency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

impl Report {
    pub fn new(
        stats: &Stats,
        clients: usize,
        conversations: usize,
        duration: Duration,
        target_rate: f64,
    ) -> Self {
        let mut l = stats.latencies_us.clone();
        l.sort_unstable();
        let latency = (!l.is_empty()).then(|| Latency {
            p50_ms: percentile(&l, 50.0),
            p90_ms: percentile(&l, 90.0),
            p99_ms: percentile(&l, 99.0),
            max_ms: *l.last().expect("non-empty") as f64 / 1000.0,
            mean_ms: l.iter().sum::<u64>() as f64 / l.len() as f64 / 1000.0,
        });
        let secs = duration.as_secs_f64();
        Self {
            clients,
            conversations,
            duration_s: secs,
            target_rate,
            attempted: stats.attempted,
            sent: stats.sent,
            send_errors: stats.send_errors,
            delivered: stats.delivered.len() as u64,
            lost: stats.outstanding() as u64,
            duplicated: stats.duplicated,
            unverified: stats.unverified,
            unexpected: stats.unexpected,
            reconnects: stats.reconnects,
            delivered_per_s: if secs > 0.0 {
                stats.delivered.len() as f64 / secs
            } else {
                0.0
            },
            latency,
            last_error: stats.last_error.clone(),
        }
    }

    pub fn text(&self) -> String {
        let lat = match &self.latency {
            Some(l) => format!(
                "latency     p50 {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms   (mean {:.1} ms)",
                l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.mean_ms
            ),
            None => "latency     (nothing delivered)".into(),
        };
        let err = self
            .last_error
            .as_ref()
            .map(|e| format!("\nlast error  {e}"))
            .unwrap_or_default();
        format!(
            "clients     {} in {} conversations, {:.1} s at {} msg/s\n\
             sent        {} ({} attempted, {} errors)\n\
             delivered   {} ({:.1}/s)\n\
             lost        {}\n\
             duplicated  {}\n\
             unverified  {}\n\
             reconnects  {}\n{lat}{err}",
            self.clients,
            self.conversations,
            self.duration_s,
            self.target_rate,
            self.sent,
            self.attempted,
            self.send_errors,
            self.delivered,
            self.delivered_per_s,
            self.lost,
            self.duplicated,
            self.unverified,
            self.reconnects
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[5000], 99.0), 5.0);
    }

    #[test]
    fn a_second_copy_is_a_duplicate_and_a_missing_one_is_lost() {
        let mut s = Stats::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Instant::now();
        s.inflight.insert(a, (now, true));
        s.inflight.insert(b, (now, true));
        s.arrived(a, now, true);
        s.arrived(a, now, true);
        assert_eq!(
            (s.delivered.len(), s.duplicated, s.outstanding()),
            (1, 1, 1)
        );
    }
}
