//! LISTEN/NOTIFY on the main database (tokio-postgres: diesel cannot LISTEN).
//!
//! One connection listens; another publishes in batches (`pg_notify` over `unnest`, one round
//! trip for many messages). Either reconnects with backoff; after the listener reconnects,
//! every local stream reads its log, since notifications may have been missed meanwhile.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use super::{wire, BusMessage, Local};
use crate::{config::Settings, metrics::Metrics};

const CHANNEL: &str = "courier_events";

fn config(settings: &Settings, role: &str) -> anyhow::Result<Config> {
    let mut config: Config = settings.database_url.expose().parse()?;
    config.application_name(&format!("courier-bus-{role}-{}", settings.instance_id));
    config.connect_timeout(Duration::from_secs(5));
    Ok(config)
}

pub fn start(
    settings: &Settings,
    local: Arc<Local>,
    connected: Arc<AtomicBool>,
    rx: mpsc::UnboundedReceiver<BusMessage>,
    metrics: Arc<Metrics>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let listen = match config(settings, "listen") {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "bus: bad DATABASE_URL");
            return vec![];
        }
    };
    let publish = listen.clone();
    let origin = settings.instance_id.clone();
    vec![
        tokio::spawn(listener(listen, origin.clone(), local, connected, metrics)),
        tokio::spawn(publisher(publish, origin, rx)),
    ]
}

async fn listener(
    config: Config,
    origin: String,
    local: Arc<Local>,
    connected: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                // The connection must be driven while LISTEN runs.
                let statement = format!("LISTEN {CHANNEL}");
                let listen = client.batch_execute(&statement);
                let ok = tokio::select! {
                    r = listen => r.is_ok(),
                    _ = messages.next() => false,
                };
                if ok {
                    connected.store(true, Ordering::Release);
                    backoff = Duration::from_millis(100);
                    tracing::info!("bus: listening");
                    // Anything published while we were away is only in the logs.
                    local.hub.catch_up_all();
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                if let Some((message, sent_at)) = wire::decode(&origin, n.payload())
                                {
                                    let lag = chrono::Utc::now().timestamp_millis() - sent_at;
                                    metrics.bus_lag.observe(lag.max(0) as f64 / 1000.0);
                                    local.apply(message);
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "bus: listener connection lost");
                                break;
                            }
                        }
                    }
                }
                drop(client);
                connected.store(false, Ordering::Release);
            }
            Err(e) => tracing::warn!(error = %e, "bus: cannot connect the listener"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn publisher(config: Config, origin: String, mut rx: mpsc::UnboundedReceiver<BusMessage>) {
    let mut client: Option<Client> = None;
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.clear();
        batch.extend(wire::encode(&origin, &first));
        while batch.len() < 256 {
            match rx.try_recv() {
                Ok(more) => batch.extend(wire::encode(&origin, &more)),
                Err(_) => break,
            }
        }
        for attempt in 0..2 {
            if client.as_ref().is_none_or(Client::is_closed) {
                client = match config.connect(NoTls).await {
                    Ok((c, connection)) => {
                        tokio::spawn(async move {
                            let _ = connection.await;
                        });
                        Some(c)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "bus: cannot connect the publisher");
                        None
                    }
                };
            }
            let Some(c) = client.as_ref() else { break };
            match c
                .execute(
                    "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p",
                    &[&CHANNEL, &batch],
                )
                .await
            {
                Ok(_) => break,
                Err(e) => {
                    // Lost notifications are covered by the sweep; retry once on a new connection.
                    tracing::warn!(error = %e, attempt, "bus: publish failed");
                    client = None;
                }
            }
        }
    }
}
