//! Expiry: uploads that no message references are deleted after
//! `ATTACHMENT_UNREFERENCED_TTL_SECS`, rows first and then their objects.

use std::time::Duration;

use crate::{
    attachments::{models, store::AttachmentStore},
    db::{self, Pool},
    error::AppError,
};

/// Rows deleted per statement: a long backlog is cleared in bounded transactions.
const BATCH: i64 = 500;

/// Deletes every unreferenced attachment older than `ttl` and its objects; returns how many.
/// What the loop runs, and what tests call directly with a short TTL.
pub async fn expire_unreferenced(
    pool: &Pool,
    store: &AttachmentStore,
    ttl: Duration,
) -> Result<usize, AppError> {
    let ttl_secs = ttl.as_secs().min(i64::MAX as u64) as i64;
    let mut total = 0;
    loop {
        let ids = db::run(pool, move |conn| {
            Ok(models::expire_unreferenced(conn, ttl_secs, BATCH)?)
        })
        .await?;
        store.remove(&ids).await;
        total += ids.len();
        if (ids.len() as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// Runs the expiry every `interval` until its task is aborted.
pub async fn expiry_loop(pool: Pool, store: AttachmentStore, ttl: Duration, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match expire_unreferenced(&pool, &store, ttl).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "unreferenced attachments deleted"),
            Err(e) => tracing::debug!(error = ?e, "attachment expiry skipped"),
        }
    }
}
