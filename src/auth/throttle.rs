//! Failed-login limits, per account name and per client address, counted in PostgreSQL so the
//! limit holds across every instance. An unknown name is counted exactly like a known one, so
//! the limiter cannot tell them apart either.
//!
//! Policy:
//! - **Reserve, then settle.** An attempt is counted *before* bcrypt runs: [`reserve`] takes
//!   PostgreSQL advisory locks on the account name and the address (in that order, always, so
//!   two attempts never deadlock), counts the window and, if there is room, inserts the attempt
//!   — all in the caller's transaction, so concurrent attempts on any instance see each other
//!   and no more than the limit ever reaches bcrypt per window. A success deletes its row
//!   ([`succeeded`]), an attempt that never reached bcrypt (its gate was full) deletes it too
//!   ([`release`]), a failure keeps it. A crash between the two keeps it: counted, never lost.
//! - **Known addresses.** Strangers' failures must not lock the owner out. An address from which
//!   the account has proved its key before (kept per account as a keyed HMAC of the address,
//!   never the address itself, for `LOGIN_KNOWN_ADDRESS_DAYS` after its last success) gets a
//!   small separate allowance (`LOGIN_KNOWN_ADDRESS_ALLOWANCE` per window) once the account's
//!   main bucket is full. The allowance is itself counted and limited, and shared by all of the
//!   account's known addresses, so at most `limit + allowance` guesses per window reach bcrypt.
//!   The address is the signal because every client has one (the CLI keeps no cookies) and it
//!   cannot be forged over TCP; the cost is that someone sharing the owner's address (same NAT)
//!   shares the allowance too — still bounded. IPv6 addresses count per /64, the block one
//!   subscriber usually holds. A signed-in session re-proving its key (password change,
//!   account deletion) counts as known too: the session is itself an earlier success, so the
//!   owner can still change a password that strangers are guessing at.
//! - A success forgives only the failures from its own address (the owner's typos), not
//!   strangers' failures: the owner signing in often must not refill an attacker's budget.
//! - Every refusal is a 429 whose `Retry-After` is when the first blocking slot frees up.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use diesel::{dsl::count_star, prelude::*};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{
    config::Settings,
    db::schema::{login_failures, login_known_addresses},
    error::AppError,
};
use courier_protocol::ids::UserId;

/// One attempt counted before bcrypt. Settle it with [`succeeded`] or [`release`]; a failure
/// simply keeps it.
#[derive(Debug)]
pub struct Reservation {
    id: i64,
}

fn window(settings: &Settings) -> chrono::Duration {
    chrono::Duration::from_std(settings.login_failure_window)
        .unwrap_or(chrono::Duration::minutes(15))
}

/// The unit an address is counted as: the IPv4 address, or an IPv6 address's /64.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        _ => ip.to_owned(),
    }
}

fn address_hash(settings: &Settings, address: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(settings.prelogin_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"courier/v1/known-address|");
    mac.update(address.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Serialises attempts on one key across every instance, until the transaction ends.
fn lock(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7)::bigint)")
        .bind::<diesel::sql_types::Text, _>(key)
        .execute(conn)?;
    Ok(())
}

/// How many rows match, and when the oldest of them leaves the window.
struct Bucket {
    used: i64,
    oldest: Option<DateTime<Utc>>,
}

impl Bucket {
    fn full(&self, limit: i64) -> bool {
        self.used >= limit
    }
    /// Seconds until the oldest attempt ages out and a slot frees up.
    fn wait(&self, window: chrono::Duration, now: DateTime<Utc>) -> u64 {
        self.oldest
            .map(|t| (t + window - now).num_seconds().max(1) as u64)
            .unwrap_or(window.num_seconds().max(1) as u64)
    }
}

/// Who is trying, as far as the throttle cares.
#[derive(Clone, Copy, Debug)]
pub enum Claimant {
    /// No such account: counted like any other name, never known.
    Nobody,
    /// Signing in to this account: known if the address is.
    Account(UserId),
    /// A live session of this account re-proving its key (password change, account deletion):
    /// the session itself is the earlier success, wherever it connects from now.
    Session(UserId),
}

/// Counts an attempt for `username` from `ip` before it is evaluated, or refuses it with 429.
/// Must run inside a transaction (the advisory locks last until it ends).
pub fn reserve(
    conn: &mut PgConnection,
    settings: &Settings,
    username: &str,
    claimant: Claimant,
    ip: &str,
) -> Result<Reservation, AppError> {
    let address = address_key(ip);
    lock(conn, &format!("courier/login/account|{username}"))?;
    lock(conn, &format!("courier/login/address|{address}"))?;

    let now = Utc::now();
    let window = window(settings);
    let since = now - window;
    let bucket = |conn: &mut PgConnection, allowance: Option<bool>| -> QueryResult<Bucket> {
        let mut q = login_failures::table
            .filter(login_failures::failed_at.gt(since))
            .select((count_star(), diesel::dsl::min(login_failures::failed_at)))
            .into_boxed();
        q = match allowance {
            Some(a) => q
                .filter(login_failures::username.eq(username))
                .filter(login_failures::allowance.eq(a)),
            None => q.filter(login_failures::ip.eq(&address)),
        };
        let (used, oldest) = q.first::<(i64, Option<DateTime<Utc>>)>(conn)?;
        Ok(Bucket { used, oldest })
    };
    let main = bucket(conn, Some(false))?;
    let by_address = bucket(conn, None)?;

    let known = match claimant {
        Claimant::Nobody => false,
        Claimant::Account(user) => is_known(conn, settings, user, &address)?,
        Claimant::Session(_) => true,
    };
    // Which account-side bucket this attempt goes into, or how long until one has room.
    let account_side: Result<bool, u64> = if !main.full(settings.login_failures_per_account) {
        Ok(false)
    } else if known {
        let extra = bucket(conn, Some(true))?;
        if extra.full(settings.login_known_allowance) {
            Err(main.wait(window, now).min(extra.wait(window, now)))
        } else {
            Ok(true)
        }
    } else {
        Err(main.wait(window, now))
    };
    let address_wait = by_address
        .full(settings.login_failures_per_ip)
        .then(|| by_address.wait(window, now));
    let allowance = match (account_side, address_wait) {
        (Ok(allowance), None) => allowance,
        (Ok(_), Some(wait)) => {
            return Err(AppError::TooMany {
                retry_after_secs: wait,
            })
        }
        (Err(wait), other) => {
            return Err(AppError::TooMany {
                retry_after_secs: wait.max(other.unwrap_or(0)),
            })
        }
    };

    let id = diesel::insert_into(login_failures::table)
        .values((
            login_failures::username.eq(username),
            login_failures::ip.eq(&address),
            login_failures::failed_at.eq(now),
            login_failures::allowance.eq(allowance),
        ))
        .returning(login_failures::id)
        .get_result(conn)?;
    prune(conn)?;
    Ok(Reservation { id })
}

/// Keeps the tables small: rows older than a day (failures) or than the known-address lifetime
/// can never matter again. About one attempt in a hundred does it.
fn prune(conn: &mut PgConnection) -> QueryResult<()> {
    if rand::random::<u8>() < 3 {
        diesel::delete(
            login_failures::table
                .filter(login_failures::failed_at.lt(Utc::now() - chrono::Duration::days(1))),
        )
        .execute(conn)?;
        diesel::delete(login_known_addresses::table.filter(
            login_known_addresses::last_success_at.lt(Utc::now() - chrono::Duration::days(365)),
        ))
        .execute(conn)?;
    }
    Ok(())
}

fn is_known(
    conn: &mut PgConnection,
    settings: &Settings,
    user: UserId,
    address: &str,
) -> QueryResult<bool> {
    let ttl =
        chrono::Duration::from_std(settings.login_known_ttl).unwrap_or(chrono::Duration::days(30));
    diesel::select(diesel::dsl::exists(
        login_known_addresses::table
            .filter(login_known_addresses::user_id.eq(user))
            .filter(login_known_addresses::address_hash.eq(address_hash(settings, address)))
            .filter(login_known_addresses::last_success_at.gt(Utc::now() - ttl)),
    ))
    .get_result(conn)
}

/// The attempt was never evaluated (bcrypt's gate turned it away, or the check failed): it
/// must not count.
pub fn release(conn: &mut PgConnection, reservation: Reservation) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(reservation.id)).execute(conn)?;
    Ok(())
}

/// The key was right: the attempt does not count, the address's earlier failures for this
/// account are forgiven (strangers' are not), and the address becomes known for the account.
pub fn succeeded(
    conn: &mut PgConnection,
    settings: &Settings,
    reservation: Reservation,
    username: &str,
    user: UserId,
    ip: &str,
) -> QueryResult<()> {
    let address = address_key(ip);
    diesel::delete(login_failures::table.find(reservation.id)).execute(conn)?;
    diesel::delete(
        login_failures::table
            .filter(login_failures::username.eq(username))
            .filter(login_failures::ip.eq(&address)),
    )
    .execute(conn)?;
    diesel::insert_into(login_known_addresses::table)
        .values((
            login_known_addresses::user_id.eq(user),
            login_known_addresses::address_hash.eq(address_hash(settings, &address)),
        ))
        .on_conflict((
            login_known_addresses::user_id,
            login_known_addresses::address_hash,
        ))
        .do_update()
        .set(login_known_addresses::last_success_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn ipv6_addresses_count_per_slash_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            address_key("2001:db8:1:2:aaaa::1"),
            address_key("2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            address_key("2001:db8:1:2::1"),
            address_key("2001:db8:1:3::1")
        );
        assert_eq!(address_key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_key("unknown"), "unknown");
    }
}
