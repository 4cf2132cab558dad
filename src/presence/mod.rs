//! Presence and the stream caps (per user and per client address), kept in PostgreSQL so they
//! hold across instances whatever the bus. Each instance heart-beats its row in `instances`; a user is online while
//! some live instance holds a stream of theirs. An instance silent for `INSTANCE_TIMEOUT_SECS` (30 s) is reaped by the
//! others and its users go offline. Presence is told only to users sharing a conversation.

pub mod routes;

use std::time::Duration;

use actix_web::web;
use diesel::{
    prelude::*,
    sql_types::{BigInt, Double, Text, Uuid as SqlUuid},
};
use serde_json::json;

use crate::{
    db::{self, schema::instances},
    error::AppError,
    events::EventData,
    state::AppState,
};
use courier_protocol::{events::EventKind, ids::UserId};

/// An instance is dead after this long without a heartbeat.
pub const INSTANCE_TIMEOUT_SECS: i64 = 30;
/// [`INSTANCE_TIMEOUT_SECS`] as the SQL binds it (`make_interval(secs => …)` takes a double).
const TIMEOUT: f64 = INSTANCE_TIMEOUT_SECS as f64;
const HEARTBEAT: Duration = Duration::from_secs(5);

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct UserRow {
    #[diesel(sql_type = SqlUuid)]
    user_id: UserId,
}

/// Streams the user holds on live instances.
fn live_streams(conn: &mut PgConnection, user: UserId) -> QueryResult<i64> {
    let t: Total = diesel::sql_query(
        "SELECT COALESCE(SUM(p.streams), 0)::bigint AS n FROM presence p JOIN instances i ON i.id = p.instance_id \
         WHERE p.user_id = $1 AND i.heartbeat_at > now() - make_interval(secs => $2)",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<Double, _>(TIMEOUT)
    .get_result(conn)?;
    Ok(t.n)
}

/// Users who share a conversation with `user`.
pub fn contacts(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<UserId>> {
    let rows: Vec<UserRow> = diesel::sql_query(
        "SELECT DISTINCT b.user_id FROM members a JOIN members b ON a.conversation_id = b.conversation_id \
         WHERE a.user_id = $1 AND b.user_id <> $1",
    )
    .bind::<SqlUuid, _>(user)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// Contacts of `user` that are online now.
pub fn online_contacts(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<UserId>> {
    let rows: Vec<UserRow> = diesel::sql_query(
        "SELECT DISTINCT p.user_id FROM presence p JOIN instances i ON i.id = p.instance_id \
         WHERE i.heartbeat_at > now() - make_interval(secs => $2) AND p.user_id IN ( \
           SELECT b.user_id FROM members a JOIN members b ON a.conversation_id = b.conversation_id \
           WHERE a.user_id = $1 AND b.user_id <> $1)",
    )
    .bind::<SqlUuid, _>(user)
    .bind::<Double, _>(TIMEOUT)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.user_id).collect())
}

/// Streams held from `address` on live instances.
fn live_streams_from(conn: &mut PgConnection, address: &str) -> QueryResult<i64> {
    let t: Total = diesel::sql_query(
        "SELECT COALESCE(SUM(a.streams), 0)::bigint AS n FROM address_streams a JOIN instances i ON i.id = a.instance_id \
         WHERE a.address = $1 AND i.heartbeat_at > now() - make_interval(secs => $2)",
    )
    .bind::<Text, _>(address)
    .bind::<Double, _>(TIMEOUT)
    .get_result(conn)?;
    Ok(t.n)
}

/// Admits a new stream of `user` from `address` (429 beyond either cap) and counts it;
/// announces the user online if this is their first stream anywhere.
pub async fn stream_opening(
    state: &web::Data<AppState>,
    user: UserId,
    address: &str,
) -> Result<(), AppError> {
    let (per_user, per_address) = (
        state.settings.max_streams_per_user as i64,
        state.settings.max_streams_per_address as i64,
    );
    let (instance, address) = (state.settings.instance_id.clone(), address.to_owned());
    let came_online = db::transaction(&state.pool, move |conn| {
        // The user's counter row doubles as a per-user lock, and an advisory lock keyed by the
        // address serialises opens from one address, so two opens cannot both pass a cap.
        diesel::sql_query("SELECT 1 FROM event_counters WHERE user_id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(user)
            .execute(conn)?;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('courier:streams'), hashtext($1))")
            .bind::<Text, _>(&address)
            .execute(conn)?;
        let before = live_streams(conn, user)?;
        if before >= per_user || live_streams_from(conn, &address)? >= per_address {
            return Err(AppError::TooMany { retry_after_secs: 5 });
        }
        diesel::sql_query(
            "INSERT INTO presence (instance_id, user_id, streams) VALUES ($1, $2, 1) \
             ON CONFLICT (instance_id, user_id) DO UPDATE SET streams = presence.streams + 1",
        )
        .bind::<Text, _>(&instance)
        .bind::<SqlUuid, _>(user)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO address_streams (instance_id, address, streams) VALUES ($1, $2, 1) \
             ON CONFLICT (instance_id, address) DO UPDATE SET streams = address_streams.streams + 1",
        )
        .bind::<Text, _>(&instance)
        .bind::<Text, _>(&address)
        .execute(conn)?;
        Ok(before == 0)
    })
    .await?;
    if came_online {
        announce(state, vec![user], true).await;
    }
    Ok(())
}

/// Uncounts a closed stream (called when its connection is gone); announces the user offline
/// if it was their last one anywhere.
pub async fn stream_closed(
    state: &web::Data<AppState>,
    user: UserId,
    address: &str,
    _left_here: usize,
) {
    let (instance, address) = (state.settings.instance_id.clone(), address.to_owned());
    let went_offline = db::transaction(&state.pool, move |conn| {
        diesel::sql_query("SELECT 1 FROM event_counters WHERE user_id = $1 FOR UPDATE")
            .bind::<SqlUuid, _>(user)
            .execute(conn)?;
        diesel::sql_query("UPDATE presence SET streams = streams - 1 WHERE instance_id = $1 AND user_id = $2 AND streams > 1")
            .bind::<Text, _>(&instance)
            .bind::<SqlUuid, _>(user)
            .execute(conn)
            .and_then(|n| {
                if n == 0 {
                    diesel::sql_query("DELETE FROM presence WHERE instance_id = $1 AND user_id = $2")
                        .bind::<Text, _>(&instance)
                        .bind::<SqlUuid, _>(user)
                        .execute(conn)
                } else {
                    Ok(n)
                }
            })?;
        diesel::sql_query(
            "WITH down AS (UPDATE address_streams SET streams = streams - 1 \
               WHERE instance_id = $1 AND address = $2 AND streams > 1 RETURNING 1) \
             DELETE FROM address_streams WHERE instance_id = $1 AND address = $2 AND NOT EXISTS (SELECT 1 FROM down)",
        )
        .bind::<Text, _>(&instance)
        .bind::<Text, _>(&address)
        .execute(conn)?;
        Ok(live_streams(conn, user)? == 0)
    })
    .await;
    match went_offline {
        Ok(true) => announce(state, vec![user], false).await,
        Ok(false) => {}
        Err(e) => {
            tracing::warn!(error = %e, "presence: could not record a closed stream (the reaper will)")
        }
    }
}

/// Tells each user's contacts (on every instance) that the user is on- or offline.
async fn announce(state: &AppState, users: Vec<UserId>, online: bool) {
    for user in users {
        let found = db::run(&state.pool, move |conn| Ok(contacts(conn, user)?)).await;
        let Ok(contacts) = found else { continue };
        if contacts.is_empty() {
            continue;
        }
        let data = EventData::new(
            EventKind::Presence,
            &json!({"user_id": user, "online": online}),
        );
        state.fanout.ephemeral(contacts, data);
    }
}

/// Heart-beats this instance and reaps dead ones, forever.
pub async fn heartbeat_loop(state: web::Data<AppState>) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    loop {
        tick.tick().await;
        let instance = state.settings.instance_id.clone();
        let reaped = db::transaction(&state.pool, move |conn| {
            diesel::insert_into(instances::table)
                .values((instances::id.eq(&instance), instances::heartbeat_at.eq(diesel::dsl::now)))
                .on_conflict(instances::id)
                .do_update()
                .set(instances::heartbeat_at.eq(diesel::dsl::now))
                .execute(conn)?;
            let gone: Vec<UserRow> = diesel::sql_query(
                "WITH dead AS (DELETE FROM instances WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id) \
                 DELETE FROM presence WHERE instance_id IN (SELECT id FROM dead) RETURNING user_id",
            )
            .bind::<Double, _>(TIMEOUT)
            .load(conn)?;
            let mut offline = Vec::new();
            for row in gone {
                let user = row.user_id;
                if !offline.contains(&user) && live_streams(conn, user)? == 0 {
                    offline.push(user);
                }
            }
            Ok(offline)
        })
        .await;
        match reaped {
            Ok(users) if !users.is_empty() => {
                tracing::info!(
                    users = users.len(),
                    "presence: reaped the users of a dead instance"
                );
                announce(&state, users, false).await;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "presence: heartbeat failed"),
        }
    }
}

/// Registers this instance before it serves streams (presence rows reference it).
pub fn register_instance(conn: &mut PgConnection, instance: &str) -> QueryResult<()> {
    diesel::insert_into(instances::table)
        .values((
            instances::id.eq(instance),
            instances::heartbeat_at.eq(diesel::dsl::now),
        ))
        .on_conflict(instances::id)
        .do_update()
        .set(instances::heartbeat_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(())
}

/// Forgets this instance's streams (graceful shutdown).
pub fn deregister_instance(conn: &mut PgConnection, instance: &str) -> QueryResult<()> {
    diesel::delete(instances::table.find(instance)).execute(conn)?;
    Ok(())
}
