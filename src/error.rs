//! The one error type. Every handler returns `Result<_, AppError>`; the mapping to a status and
//! a `{code, message}` body lives here and only here. Client mistakes are 4xx with a message
//! that helps the client; server faults are 500/503 with a fixed body, the cause going to the log.

use actix_web::{
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::Serialize;

#[derive(thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// A request authenticated by the refresh cookie came from another site (CSRF).
    #[error("{0}")]
    CrossSite(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// An attachment over the per-file limit, or an upload body past its declared length (413).
    #[error("{0}")]
    TooLarge(String),
    /// The user's attachment quota would be exceeded (507).
    #[error("{0}")]
    QuotaExceeded(String),
    /// A resumable upload's `Upload-Offset` is not where the server is (409, with the current
    /// offset in the `Upload-Offset` header).
    #[error("Upload-Offset must be {offset}, the bytes received so far")]
    OffsetMismatch { offset: u64 },
    /// A `Range` outside the resource (416, `Content-Range: bytes */size`).
    #[error("the range is outside the {size} bytes of the resource")]
    RangeNotSatisfiable { size: u64 },
    #[error("too many requests")]
    TooMany { retry_after_secs: u64 },
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// What the logs get (tracing-actix-web records a failed request's error with `Debug`): the
/// variant and the cause chain on one line. Never a backtrace: with `RUST_BACKTRACE` set,
/// anyhow's `Debug` resolves one per error, which under a burst of 503s cost more CPU than the
/// requests themselves, and it spreads one error over dozens of log lines.
impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Unavailable(cause) => write!(f, "Unavailable({cause:#})"),
            AppError::Internal(cause) => write!(f, "Internal({cause:#})"),
            AppError::BadRequest { code, .. } | AppError::Conflict { code, .. } => {
                write!(f, "{code}: {self}")
            }
            other => write!(f, "{other}"),
        }
    }
}

/// The JSON body of every error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_username`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
}

impl AppError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            message: message.into(),
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } | AppError::Conflict { code, .. } => code,
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::CrossSite(_) => "cross_site",
            AppError::NotFound => "not_found",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::TooLarge(_) => "too_large",
            AppError::QuotaExceeded(_) => "quota_exceeded",
            AppError::OffsetMismatch { .. } => "offset_mismatch",
            AppError::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            AppError::TooMany { .. } => "too_many_requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::CrossSite(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::QuotaExceeded(_) => StatusCode::INSUFFICIENT_STORAGE,
            AppError::OffsetMismatch { .. } => StatusCode::CONFLICT,
            AppError::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                "internal error".to_string()
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable");
                "service temporarily unavailable, retry shortly".to_string()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::TooMany { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            AppError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "2"));
            }
            AppError::Unauthenticated(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            AppError::OffsetMismatch { offset } => {
                response.insert_header(("Upload-Offset", offset.to_string()));
            }
            AppError::RangeNotSatisfiable { size } => {
                response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
            }
            _ => {}
        }
        response.json(ErrorBody {
            code: self.code().to_string(),
            message,
        })
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                AppError::Unavailable(anyhow::anyhow!("database connection closed"))
            }
            // Two concurrent writes raced for the same unique value (e.g. one message id sent
            // to two conversations at once): the loser retries or gives up; nothing was written.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::conflict(
                "conflict",
                "a concurrent request wrote the same thing; retry",
            ),
            // The database went away mid-query (restart, failover): a 503 the client retries.
            Error::DatabaseError(_, info) if is_connection_loss(info.message()) => {
                AppError::Unavailable(anyhow::anyhow!(
                    "database connection lost: {}",
                    info.message()
                ))
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(anyhow::Error::new(e).context("database pool"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

fn is_connection_loss(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "server closed the connection",
        "terminating connection",
        "connection refused",
        "could not connect",
        "the database system is shutting down",
        "the database system is starting up",
        "no connection to the server",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

/// Turns the framework's JSON extractor failures into our shape (used by `JsonConfig`).
pub fn json_error(err: JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            AppError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) => AppError::bad("invalid_body", describe_serde(&e)),
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            AppError::PayloadTooLarge
        }
        other => AppError::bad(
            "invalid_body",
            format!("could not read the request body: {other}"),
        ),
    }
}

/// serde's messages name the field and the expected type, and never echo the value: safe to return.
fn describe_serde(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("malformed JSON at line {} column {}", e.line(), e.column())
        }
        _ => format!("invalid request body: {e}"),
    }
}

pub fn query_error(err: QueryPayloadError) -> AppError {
    AppError::bad("invalid_query", format!("invalid query string: {err}"))
}

pub fn path_error(err: PathError) -> AppError {
    AppError::bad("invalid_path", format!("invalid path parameter: {err}"))
}
