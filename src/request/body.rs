//! JSON bodies read by hand, for the few routes whose limit differs from the global one
//! (message posts) or whose body is optional (refresh). Same errors as the `Json` extractor.

use actix_web::{error::JsonPayloadError, web::Bytes};
use serde::de::DeserializeOwned;

use crate::error::{json_error, AppError};

/// Request bodies bigger than this are refused with 413 (message posts have their own limit).
pub const JSON_LIMIT: usize = 16 * 1024;

pub fn parse<T: DeserializeOwned>(body: &Bytes, limit: usize) -> Result<T, AppError> {
    if body.len() > limit {
        return Err(AppError::PayloadTooLarge);
    }
    serde_json::from_slice(body).map_err(|e| json_error(JsonPayloadError::Deserialize(e)))
}
