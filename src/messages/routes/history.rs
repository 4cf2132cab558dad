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
    ids::ConversationId,
    messages::models::{self, Page},
    state::AppState,
};

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HistoryQuery {
    /// Only messages with a position below this.
    pub before: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    /// Only messages stored at or after this time (ms since epoch).
    pub since: Option<i64>,
    /// Only messages stored before this time (ms since epoch).
    pub until: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct History {
    /// Ascending by position; each as a `message` event's data.
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<serde_json::Value>,
}

fn time(field: &str, ms: Option<i64>) -> Result<Option<DateTime<Utc>>, AppError> {
    ms.map(|ms| DateTime::from_timestamp_millis(ms).ok_or_else(|| AppError::bad("invalid_query", format!("{field} is out of range"))))
        .transpose()
}

impl HistoryQuery {
    fn page(&self) -> Result<Page, AppError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(AppError::bad("invalid_query", "limit must be between 1 and 200"));
        }
        if self.before.is_some_and(|b| b < 1) {
            return Err(AppError::bad("invalid_query", "before must be a position (≥ 1)"));
        }
        let page = Page { before: self.before, since: time("since", self.since)?, until: time("until", self.until)?, limit };
        if let (Some(s), Some(u)) = (page.since, page.until) {
            if s > u {
                return Err(AppError::bad("invalid_query", "since must not be after until"));
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
        conversations::find_for_member(conn, conversation, user.user_id, false)?.ok_or(AppError::NotFound)?;
        Ok(models::history(conn, conversation, user.user_id, &page)?)
    })
    .await?;
    // Rendered exactly as the stream renders them, so clients parse one shape.
    let messages = payloads.iter().map(|p| serde_json::from_str(&p.render()).unwrap_or_default()).collect();
    Ok(HttpResponse::Ok().json(History { messages }))
}
