//! Session queries. Every function takes `&mut PgConnection` so callers compose them inside one
//! transaction; every lookup is scoped to its owner.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::schema::{retired_refresh_tokens, sessions};
use courier_protocol::ids::{SessionId, UserId};

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
struct NewSession<'a> {
    id: SessionId,
    user_id: UserId,
    refresh_hash: &'a [u8],
    user_agent: Option<&'a str>,
    expires_at: DateTime<Utc>,
}

/// An opaque refresh token: 32 random bytes, URL-safe base64. Only its hash is stored.
pub struct RefreshToken(pub String);

impl RefreshToken {
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        RefreshToken(URL_SAFE_NO_PAD.encode(bytes))
    }
    fn hash(token: &str) -> Vec<u8> {
        Sha256::digest(token.as_bytes()).to_vec()
    }
}

pub fn create(
    conn: &mut PgConnection,
    user: UserId,
    user_agent: Option<&str>,
    ttl: std::time::Duration,
) -> QueryResult<(SessionId, RefreshToken)> {
    let id = SessionId::new();
    let token = RefreshToken::generate();
    let hash = RefreshToken::hash(&token.0);
    diesel::insert_into(sessions::table)
        .values(NewSession {
            id,
            user_id: user,
            refresh_hash: &hash,
            user_agent,
            expires_at: Utc::now()
                + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(30)),
        })
        .execute(conn)?;
    Ok((id, token))
}

pub enum Rotation {
    Rotated {
        user: UserId,
        session: SessionId,
        token: RefreshToken,
    },
    /// A retired token came back: the session has just been revoked.
    Reused {
        user: UserId,
        session: SessionId,
    },
    Invalid,
}

/// How a rotation derives and forgives: the server secret that keys successors, and how long a
/// just-retired token still answers with its successor.
pub struct RotationPolicy<'a> {
    pub secret: &'a [u8],
    pub grace: std::time::Duration,
}

/// The token that replaces `presented` in `session`: HMAC(server secret, session ‖ presented).
///
/// Deterministic on purpose: a client that lost the race (two tabs refreshing at once) or the
/// answer (a crash before the cookie was written) presents the retired token again within the
/// grace window and gets the *same* successor, re-derived rather than stored, so the database
/// still holds only hashes of refresh tokens. Without the server secret nobody can compute it.
fn successor(secret: &[u8], session: SessionId, presented: &str) -> RefreshToken {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"courier/v1/refresh-successor|");
    mac.update(session.0.as_bytes());
    mac.update(b"|");
    mac.update(presented.as_bytes());
    RefreshToken(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Exchanges a refresh token for its successor.
///
/// A retired token presented again within `policy.grace` of its retirement, while its successor
/// is still the session's current token, gets that same successor (the session lives on).
/// Presented later, or after the successor itself was rotated, it revokes the session: the
/// token was stolen, or a client replayed it long after it had been replaced.
pub fn rotate(
    conn: &mut PgConnection,
    presented: &str,
    policy: &RotationPolicy,
) -> QueryResult<Rotation> {
    let hash = RefreshToken::hash(presented);
    let current: Option<SessionRow> = sessions::table
        .filter(sessions::refresh_hash.eq(&hash))
        .select(SessionRow::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    let now = Utc::now();
    if let Some(s) = current {
        if s.revoked_at.is_some() || s.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        let token = successor(policy.secret, s.id, presented);
        diesel::insert_into(retired_refresh_tokens::table)
            .values((
                retired_refresh_tokens::refresh_hash.eq(&hash),
                retired_refresh_tokens::session_id.eq(s.id),
                retired_refresh_tokens::retired_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(sessions::table.find(s.id))
            .set((
                sessions::refresh_hash.eq(RefreshToken::hash(&token.0)),
                sessions::last_used_at.eq(now),
            ))
            .execute(conn)?;
        return Ok(Rotation::Rotated {
            user: s.user_id,
            session: s.id,
            token,
        });
    }
    let retired: Option<(uuid::Uuid, DateTime<Utc>)> = retired_refresh_tokens::table
        .find(&hash)
        .select((
            retired_refresh_tokens::session_id,
            retired_refresh_tokens::retired_at,
        ))
        .first(conn)
        .optional()?;
    let Some((session_id, retired_at)) = retired else {
        return Ok(Rotation::Invalid);
    };
    // Locked, so a concurrent rotation of the successor cannot slip between check and answer.
    let (s, current_hash): (SessionRow, Vec<u8>) = sessions::table
        .find(session_id)
        .select((SessionRow::as_select(), sessions::refresh_hash))
        .for_update()
        .first(conn)?;
    let token = successor(policy.secret, s.id, presented);
    // Another instance's clock may run a little ahead: a negative age is no age.
    let age = (now - retired_at)
        .max(chrono::Duration::zero())
        .to_std()
        .unwrap_or_default();
    let in_grace = age < policy.grace;
    let live = s.revoked_at.is_none() && s.expires_at > now;
    if live && in_grace && current_hash == RefreshToken::hash(&token.0) {
        diesel::update(sessions::table.find(s.id))
            .set(sessions::last_used_at.eq(now))
            .execute(conn)?;
        return Ok(Rotation::Rotated {
            user: s.user_id,
            session: s.id,
            token,
        });
    }
    diesel::update(
        sessions::table
            .find(session_id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(Rotation::Reused {
        user: s.user_id,
        session: SessionId(session_id),
    })
}

/// Whether this session of this user is still alive (not revoked, not expired).
pub fn is_active(conn: &mut PgConnection, user: UserId, session: SessionId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sessions::table
            .filter(sessions::id.eq(session))
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(Utc::now())),
    ))
    .get_result(conn)
}

pub fn list_active(conn: &mut PgConnection, user: UserId) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(Utc::now()))
        .order(sessions::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Revokes one of the user's own sessions; false when there is no such live session.
pub fn revoke(conn: &mut PgConnection, user: UserId, session: SessionId) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::id.eq(session))
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(Utc::now()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every live session of the user except `keep`; returns the ids revoked.
pub fn revoke_all_except(
    conn: &mut PgConnection,
    user: UserId,
    keep: Option<SessionId>,
) -> QueryResult<Vec<SessionId>> {
    // No session has the nil id, so `None` keeps none.
    let keep = keep.unwrap_or(SessionId(uuid::Uuid::nil()));
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(keep)),
    )
    .set(sessions::revoked_at.eq(Utc::now()))
    .returning(sessions::id)
    .get_results(conn)
}
