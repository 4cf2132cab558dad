//! Prometheus metrics (served at `/metrics` by `http::metrics`): streams, deliveries, accepted messages, latencies, bus lag
//! and pool use. Counters and histograms are updated on the hot path with atomics only; gauges
//! that need a lock (stream count, pool state) are read only when scraped.
//!
//! Policy: metrics are served by their own small plain-HTTP server on `METRICS_ADDR` (loopback
//! by default), never on the app's HTTPS port, which answers 404 for `/metrics`: what they tell
//! (load, stream counts, pool state) is for the operator's scraper, not for every client.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    pub events_delivered: IntCounter,
    pub streams_cut: IntCounter,
    pub messages_accepted: IntCounter,
    pub send_latency: Histogram,
    pub delivery_latency: Histogram,
    pub bus_lag: Histogram,
    pub open_streams: IntGauge,
    pub pool_connections: IntGauge,
    pub pool_idle: IntGauge,
    pub pool_max: IntGauge,
    pub bus_connected: IntGauge,
}

const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("courier".into()), None).expect("registry");
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("metric");
            registry.register(Box::new(c.clone())).expect("register");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("metric");
            registry.register(Box::new(g.clone())).expect("register");
            g
        };
        let histogram = |name: &str, help: &str| {
            let h = Histogram::with_opts(
                HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec()),
            )
            .expect("metric");
            registry.register(Box::new(h.clone())).expect("register");
            h
        };
        Metrics {
            events_delivered: counter("events_delivered_total", "events written to SSE streams"),
            streams_cut: counter(
                "streams_cut_total",
                "streams cut off because their client stopped reading",
            ),
            messages_accepted: counter("messages_accepted_total", "messages stored"),
            send_latency: histogram("send_seconds", "time to store a message and its events"),
            delivery_latency: histogram(
                "delivery_seconds",
                "message commit to stream write on this instance",
            ),
            bus_lag: histogram("bus_lag_seconds", "publish to receipt on the bus"),
            open_streams: gauge("open_streams", "SSE streams open on this instance"),
            pool_connections: gauge("db_pool_connections", "database connections open"),
            pool_idle: gauge("db_pool_idle", "database connections idle"),
            pool_max: gauge(
                "db_pool_max",
                "database pool size (busy = connections - idle)",
            ),
            bus_connected: gauge(
                "bus_connected",
                "1 while the cross-instance bus is subscribed",
            ),
            registry,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The registry's current samples in the Prometheus text format.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}
