//! Where a stream resumes: `Last-Event-ID` or `?last_event_id=` (docs/protocol.md §7.3), and
//! the refusal of a token in the URL.

use actix_web::{web, HttpRequest};

use crate::error::AppError;

/// Query names that would carry a credential; refused so nobody gets used to sending one.
const TOKEN_PARAMS: [&str; 5] = ["access_token", "token", "auth", "authorization", "jwt"];

/// Where to resume: `Last-Event-ID` (what EventSource-style clients send on reconnect) or,
/// for a first connection, `?last_event_id=`.
pub fn resume_point(req: &HttpRequest) -> Result<i64, AppError> {
    resume_point_from(
        req.query_string(),
        req.headers().get("last-event-id").map(|v| v.as_bytes()),
    )
}

/// [`resume_point`] on the raw query string and `Last-Event-ID` bytes: pure, so the fuzz
/// targets (crates/fuzz) reach it without a request. `Ok` is always a seq ≥ 0.
pub fn resume_point_from(query: &str, last_event_id: Option<&[u8]>) -> Result<i64, AppError> {
    let query = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|_| AppError::bad("invalid_query", "malformed query string"))?;
    if query
        .iter()
        .any(|(k, _)| TOKEN_PARAMS.contains(&k.to_ascii_lowercase().as_str()))
    {
        return Err(AppError::bad(
            "token_in_url",
            "send the token in the Authorization header, never in the URL",
        ));
    }
    let from_header =
        last_event_id.map(|v| std::str::from_utf8(v).unwrap_or("x").trim().to_owned());
    let from_query = query
        .iter()
        .find(|(k, _)| k == "last_event_id")
        .map(|(_, v)| v.trim().to_owned());
    match from_header.or(from_query).filter(|v| !v.is_empty()) {
        None => Ok(0),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::bad(
                "invalid_last_event_id",
                "Last-Event-ID must be a non-negative integer",
            )
        }),
    }
}
