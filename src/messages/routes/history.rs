//! `GET /api/conversations/{id}/messages`: history pages (`before` a position, `limit`) and
//! time ranges (`since`, `until`, ms since epoch). Only messages the caller holds a key to.

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    conversations::models as conversations,
    db,
    error::AppError,
    messages::models::{self, Page},
    state::AppState,
};
use courier_protocol::ids::ConversationId;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// Only messages with a position below this.
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// Only messages stored at or after this time (ms since epoch, 0 to 253402300799999).
    #[param(minimum = 0, maximum = 253_402_300_799_999_i64)]
    pub since: Option<i64>,
    /// Only messages stored before this time (ms since epoch, 0 to 253402300799999).
    #[param(minimum = 0, maximum = 253_402_300_799_999_i64)]
    pub until: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct History {
    /// Ascending by position; each as a `message` event's data.
    #[schema(value_type = Vec<MessageItem>)]
    pub messages: Vec<serde_json::Value>,
}

/// A message as its reader gets it, in a history page and as a `message` event's data
/// (docs/protocol.md §5.5). A message deleted by its sender has only the first five fields and
/// `deleted`.
// The server renders the object from `events::payload`; this type only describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct MessageItem {
    conversation_id: Uuid,
    message_id: Uuid,
    /// Per conversation, from 1; set by the server.
    position: i64,
    sender_id: Uuid,
    /// When the server stored it, ms since the epoch.
    server_ts: i64,
    /// The canonical header JSON string the sender signed.
    header: Option<String>,
    /// v2 messages: the key commitment, base64 (absent or `null` on stored v1 messages).
    commitment: Option<String>,
    iv: Option<String>,
    ciphertext: Option<String>,
    signature: Option<String>,
    /// The content key wrapped for this reader only, base64.
    wrapped_key: Option<String>,
    /// Present (and `true`) when the sender deleted it for everyone.
    deleted: Option<bool>,
}

/// The times a filter may name: the Unix epoch (no message is older) to the end of year 9999.
/// Checked here because chrono and PostgreSQL each reach a different distance into the past and
/// future, and a value only one of them can hold would fail in the database as a 500.
pub const TIME_RANGE_MS: std::ops::RangeInclusive<i64> = 0..=253_402_300_799_999;

fn time(field: &str, ms: Option<i64>) -> Result<Option<DateTime<Utc>>, AppError> {
    let out_of_range = || {
        AppError::bad(
            "invalid_query",
            format!(
                "{field} must be ms since the epoch, from {} to {}",
                TIME_RANGE_MS.start(),
                TIME_RANGE_MS.end()
            ),
        )
    };
    ms.map(|ms| {
        Some(ms)
            .filter(|ms| TIME_RANGE_MS.contains(ms))
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(out_of_range)
    })
    .transpose()
}

impl HistoryQuery {
    fn page(&self) -> Result<Page, AppError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(AppError::bad(
                "invalid_query",
                "limit must be between 1 and 200",
            ));
        }
        if self.before.is_some_and(|b| b < 1) {
            return Err(AppError::bad(
                "invalid_query",
                "before must be a position (≥ 1)",
            ));
        }
        let page = Page {
            before: self.before,
            since: time("since", self.since)?,
            until: time("until", self.until)?,
            limit,
        };
        if let (Some(s), Some(u)) = (page.since, page.until) {
            if s > u {
                return Err(AppError::bad(
                    "invalid_query",
                    "since must not be after until",
                ));
            }
        }
        Ok(page)
    }
}

#[utoipa::path(tag = "messages", security(("bearer" = [])), params(("id" = String, Path, format = Uuid), HistoryQuery),
    responses((status = 200, body = History), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
#[get("/api/conversations/{id}/messages")]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, AppError> {
    let conversation = ConversationId(path.into_inner());
    let page = query.page()?;
    let payloads = db::run(&state.pool, move |conn| {
        conversations::find_for_member(conn, conversation, user.user_id, false)?
            .ok_or(AppError::NotFound)?;
        Ok(models::history(conn, conversation, user.user_id, &page)?)
    })
    .await?;
    // Rendered exactly as the stream renders them, so clients parse one shape.
    let messages = payloads
        .iter()
        .map(|p| serde_json::from_str(&p.render()).unwrap_or_default())
        .collect();
    Ok(HttpResponse::Ok().json(History { messages }))
}
