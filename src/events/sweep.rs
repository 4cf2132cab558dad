//! The periodic sweep: compares every local stream with its user's log head and wakes the ones
//! behind. It bounds how late an event can be when its wake-up was lost (a crash between commit
//! and publish, a dropped bus message) to one sweep interval.

use std::{sync::Arc, time::Duration};

use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Uuid as SqlUuid},
};

use super::hub::Hub;
use crate::db::{self, Pool};
use courier_protocol::ids::UserId;

#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = SqlUuid)]
    user_id: UserId,
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

/// Runs every `interval` until its task is aborted.
pub async fn sweep_loop(pool: Pool, hub: Arc<Hub>, interval: Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let users: Vec<UserId> = hub.users();
        if users.is_empty() {
            continue;
        }
        let heads = db::run(&pool, move |conn| {
            let rows: Vec<Head> = diesel::sql_query(
                "SELECT user_id, last_seq FROM event_counters WHERE user_id = ANY($1)",
            )
            .bind::<Array<SqlUuid>, _>(users)
            .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|h| (h.user_id, h.last_seq))
                .collect::<Vec<_>>())
        })
        .await;
        match heads {
            Ok(heads) => {
                let woken = hub.catch_up_behind(&heads);
                if woken > 0 {
                    tracing::debug!(woken, "sweep woke streams that were behind");
                }
            }
            Err(e) => tracing::debug!(error = %e, "sweep skipped"),
        }
    }
}
