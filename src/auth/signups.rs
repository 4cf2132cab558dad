//! Registrations per client address and minute, counted in PostgreSQL before the expensive
//! work (bcrypt of the new account's keys), so neither concurrency nor several instances can
//! push more than the limit through. Attempts count, not only successes: a failed one cost the
//! server just as much.

use chrono::{DateTime, Utc};
use diesel::{dsl::count_star, prelude::*};

use crate::{config::Settings, db::schema::registration_attempts as attempts, error::AppError};

const WINDOW_SECS: i64 = 60;

/// Counts one registration attempt from `address`, or errs with 429 (and the seconds until the
/// oldest attempt in the window ages out) when the address has used up its minute.
pub fn reserve(
    conn: &mut PgConnection,
    settings: &Settings,
    address: &str,
) -> Result<(), AppError> {
    // One address's attempts are decided one at a time, so two cannot both take the last slot.
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('courier:signups'), hashtext($1))")
        .bind::<diesel::sql_types::Text, _>(address)
        .execute(conn)?;
    let since = Utc::now() - chrono::Duration::seconds(WINDOW_SECS);
    let (n, oldest): (i64, Option<DateTime<Utc>>) = attempts::table
        .filter(attempts::address.eq(address))
        .filter(attempts::attempted_at.gt(since))
        .select((count_star(), diesel::dsl::min(attempts::attempted_at)))
        .first(conn)?;
    if n >= settings.registrations_per_address_per_minute {
        let retry_after = oldest
            .map(|t| (t - since).num_seconds().max(1) as u64)
            .unwrap_or(WINDOW_SECS as u64);
        return Err(AppError::TooMany {
            retry_after_secs: retry_after,
        });
    }
    diesel::insert_into(attempts::table)
        .values(attempts::address.eq(address))
        .execute(conn)?;
    // Rows older than the window never matter again; prune now and then.
    if rand::random::<u8>() < 3 {
        diesel::delete(attempts::table.filter(attempts::attempted_at.lt(since))).execute(conn)?;
    }
    Ok(())
}
