//! The security audit trail: a row in `audit_events` (written in the caller's transaction, so
//! an event is recorded exactly when its effect is) and a JSON log line with the request id.
//! Never given a secret: only ids, addresses and kinds.

use diesel::prelude::*;
use serde_json::Value;

use crate::{db::schema::audit_events, request::meta::RequestMeta};
use courier_protocol::ids::{SessionId, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditKind {
    Register,
    LoginOk,
    LoginFailed,
    LoginThrottled,
    RefreshReuse,
    Logout,
    SessionRevoked,
    PasswordChanged,
    RecoveryFailed,
    Recovered,
    AccountDeleted,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Register => "register",
            AuditKind::LoginOk => "login_ok",
            AuditKind::LoginFailed => "login_failed",
            AuditKind::LoginThrottled => "login_throttled",
            AuditKind::RefreshReuse => "refresh_reuse",
            AuditKind::Logout => "logout",
            AuditKind::SessionRevoked => "session_revoked",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::RecoveryFailed => "recovery_failed",
            AuditKind::Recovered => "recovered",
            AuditKind::AccountDeleted => "account_deleted",
        }
    }
}

pub fn record(
    conn: &mut PgConnection,
    kind: AuditKind,
    user: Option<UserId>,
    session: Option<SessionId>,
    meta: &RequestMeta,
    detail: Value,
) -> QueryResult<()> {
    tracing::info!(
        target: "audit",
        event = kind.as_str(),
        user_id = user.map(|u| u.to_string()),
        session_id = session.map(|s| s.to_string()),
        ip = %meta.ip,
        request_id = %meta.request_id,
        detail = %detail,
        "audit"
    );
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::kind.eq(kind.as_str()),
            audit_events::user_id.eq(user),
            audit_events::session_id.eq(session),
            audit_events::ip.eq(&meta.ip),
            audit_events::request_id.eq(&meta.request_id),
            audit_events::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}
