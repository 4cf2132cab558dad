//! Failed-login limits, per account name and per client address, counted in PostgreSQL so the
//! limit holds across every instance. An unknown name is counted exactly like a known one, so
//! the limiter cannot tell them apart either.

use chrono::{DateTime, Utc};
use diesel::{dsl::count_star, prelude::*};

use crate::{config::Settings, db::schema::login_failures, error::AppError};

fn window_start(settings: &Settings) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(settings.login_failure_window).unwrap_or(chrono::Duration::minutes(15))
}

/// Errs with 429 (and the seconds until the oldest failure in the window ages out) when
/// either the account or the address has used up its failures.
pub fn check(conn: &mut PgConnection, settings: &Settings, username: &str, ip: &str) -> Result<(), AppError> {
    let since = window_start(settings);
    let by_account = login_failures::table
        .filter(login_failures::username.eq(username))
        .filter(login_failures::failed_at.gt(since));
    let (n_account, oldest_account): (i64, Option<DateTime<Utc>>) = by_account
        .select((count_star(), diesel::dsl::min(login_failures::failed_at)))
        .first(conn)?;
    let by_ip = login_failures::table.filter(login_failures::ip.eq(ip)).filter(login_failures::failed_at.gt(since));
    let (n_ip, oldest_ip): (i64, Option<DateTime<Utc>>) =
        by_ip.select((count_star(), diesel::dsl::min(login_failures::failed_at))).first(conn)?;

    let blocked_since = match (n_account >= settings.login_failures_per_account, n_ip >= settings.login_failures_per_ip) {
        (true, true) => oldest_account.max(oldest_ip),
        (true, false) => oldest_account,
        (false, true) => oldest_ip,
        (false, false) => return Ok(()),
    };
    let retry_after = blocked_since
        .map(|t| (t - since).num_seconds().max(1) as u64)
        .unwrap_or(settings.login_failure_window.as_secs());
    Err(AppError::TooMany { retry_after_secs: retry_after })
}

pub fn record_failure(conn: &mut PgConnection, username: &str, ip: &str) -> QueryResult<()> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::username.eq(username), login_failures::ip.eq(ip)))
        .execute(conn)?;
    // Keep the table small: rows older than a day can never matter again. Pruning now and then
    // (about one failure in a hundred) is enough.
    if rand::random::<u8>() < 3 {
        diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(Utc::now() - chrono::Duration::days(1))))
            .execute(conn)?;
    }
    Ok(())
}

/// A successful login forgives the account's earlier failures (the address keeps its count).
pub fn clear_account(conn: &mut PgConnection, username: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::username.eq(username))).execute(conn)?;
    Ok(())
}
