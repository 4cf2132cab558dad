//! Redis pub/sub (`BUS_URL=redis://…`): the same wire format and guarantees as LISTEN/NOTIFY,
//! without the cluster-wide lock NOTIFY takes at commit.
//!
//! One connection subscribes; a multiplexed one publishes in pipelined batches. Either
//! reconnects with backoff; after every (re)subscribe every local stream reads its log, since
//! messages published meanwhile are gone (pub/sub keeps nothing) but the logs have them.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use futures_util::StreamExt;
use redis::{aio::MultiplexedConnection, Client};
use tokio::sync::mpsc;

use super::{wire, BusMessage, Local};
use crate::metrics::Metrics;

const CHANNEL: &str = "courier_events";
/// Messages per pipelined publish: bounds one round trip's size while keeping batches useful.
const BATCH: usize = 256;

pub fn start(
    url: &str,
    origin: String,
    local: Arc<Local>,
    connected: Arc<AtomicBool>,
    rx: mpsc::UnboundedReceiver<BusMessage>,
    metrics: Arc<Metrics>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = match Client::open(url) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "bus: bad BUS_URL");
            return vec![];
        }
    };
    vec![
        tokio::spawn(subscriber(
            client.clone(),
            origin.clone(),
            local,
            connected,
            metrics,
        )),
        tokio::spawn(publisher(client, origin, rx)),
    ]
}

async fn subscriber(
    client: Client,
    origin: String,
    local: Arc<Local>,
    connected: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let subscribed = async {
            let mut pubsub =
                tokio::time::timeout(Duration::from_secs(5), client.get_async_pubsub()).await??;
            pubsub.subscribe(CHANNEL).await?;
            anyhow::Ok(pubsub)
        }
        .await;
        match subscribed {
            Ok(mut pubsub) => {
                connected.store(true, Ordering::Release);
                backoff = Duration::from_millis(100);
                tracing::info!("bus: subscribed to Redis");
                // Anything published while we were away is only in the logs.
                local.hub.catch_up_all();
                let mut messages = pubsub.on_message();
                // The stream ends when the connection drops.
                while let Some(msg) = messages.next().await {
                    let Ok(text) = msg.get_payload::<String>() else {
                        continue;
                    };
                    if let Some((message, sent_at)) = wire::decode(&origin, &text) {
                        let lag = chrono::Utc::now().timestamp_millis() - sent_at;
                        metrics.bus_lag.observe(lag.max(0) as f64 / 1000.0);
                        local.apply(message);
                    }
                }
                connected.store(false, Ordering::Release);
                tracing::warn!("bus: Redis subscription lost");
            }
            Err(e) => tracing::warn!(error = %e, "bus: cannot subscribe to Redis"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn connect(client: &Client) -> Option<MultiplexedConnection> {
    match tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    {
        Ok(Ok(c)) => Some(c),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "bus: cannot connect the Redis publisher");
            None
        }
        Err(_) => {
            tracing::warn!("bus: connecting the Redis publisher timed out");
            None
        }
    }
}

async fn publisher(client: Client, origin: String, mut rx: mpsc::UnboundedReceiver<BusMessage>) {
    let mut conn: Option<MultiplexedConnection> = None;
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.clear();
        batch.extend(wire::encode(&origin, &first));
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(more) => batch.extend(wire::encode(&origin, &more)),
                Err(_) => break,
            }
        }
        let mut pipe = redis::pipe();
        for payload in &batch {
            pipe.cmd("PUBLISH").arg(CHANNEL).arg(payload).ignore();
        }
        for attempt in 0..2 {
            if conn.is_none() {
                conn = connect(&client).await;
            }
            let Some(c) = conn.as_mut() else { break };
            let sent =
                tokio::time::timeout(Duration::from_secs(5), pipe.query_async::<()>(c)).await;
            match sent {
                Ok(Ok(())) => break,
                failed => {
                    // Lost wake-ups are covered by the sweep and the subscriber's catch-up.
                    let error = match failed {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".into(),
                    };
                    tracing::warn!(%error, attempt, "bus: Redis publish failed");
                    conn = None;
                }
            }
        }
    }
}
