//! Resumable uploads, tus-like (docs/protocol.md §8.4):
//!
//! - `POST /api/attachments` with `Upload-Length: N` starts an upload of N ciphertext bytes
//!   (413 `too_large` over the per-file limit, 507 `quota_exceeded` over the user's quota); a
//!   body sent with it is appended at once, so a small file is one request. If that body fails,
//!   the upload is deleted (the client never learnt its id).
//! - `PATCH /api/attachments/{id}` with `Upload-Offset: k` appends its body at k; k must be the
//!   bytes received so far (409 `offset_mismatch`, with the current `Upload-Offset`).
//! - `HEAD /api/attachments/{id}` (uploader only) answers `Upload-Offset` and `Upload-Length`.
//!
//! A body counts only once it has ended: a dropped connection commits nothing of that request,
//! and the client resumes from the offset HEAD reports. Bodies stream to the object store and
//! are never held whole.

use actix_web::{head, http::header, patch, post, web, HttpRequest, HttpResponse};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    attachments::{
        models::{self, AttachmentRow, Commit},
        store::AttachmentStore,
    },
    auth::AuthUser,
    db,
    error::AppError,
    state::AppState,
};
use courier_protocol::{
    crypto::attachment::ciphertext_size,
    ids::{AttachmentId, UserId},
};

/// An upload as the server has it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UploadState {
    #[schema(value_type = String, format = Uuid)]
    pub attachment_id: AttachmentId,
    /// Declared length (`Upload-Length`), in bytes of ciphertext.
    pub size: u64,
    /// Bytes received and committed so far: where the next `PATCH` starts.
    pub offset: u64,
    /// Every byte is in: the attachment can be referenced by a message and downloaded.
    pub complete: bool,
}

impl From<&AttachmentRow> for UploadState {
    fn from(row: &AttachmentRow) -> Self {
        UploadState {
            attachment_id: row.id,
            size: row.size as u64,
            offset: row.received as u64,
            complete: row.complete(),
        }
    }
}

/// Raw ciphertext bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Ciphertext(#[allow(dead_code)] Vec<u8>);

/// A non-negative decimal header; 400 `code` when missing or malformed.
fn number_header(req: &HttpRequest, name: &str, code: &'static str) -> Result<u64, AppError> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 19 && v.bytes().all(|b| b.is_ascii_digit()))
        // An int64, as documented: anything larger is malformed (400), not merely too large.
        .and_then(|v| v.parse::<i64>().ok())
        .map(|v| v as u64)
        .ok_or_else(|| AppError::bad(code, format!("{name} must be a whole number of bytes")))
}

/// Upload bodies are raw bytes: `application/offset+octet-stream` (tus) or
/// `application/octet-stream`; `required` = a missing type is refused too.
fn check_body_type(req: &HttpRequest, required: bool) -> Result<(), AppError> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return if required {
            Err(AppError::UnsupportedMediaType)
        } else {
            Ok(())
        };
    };
    let essence = value
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/octet-stream" | "application/offset+octet-stream" => Ok(()),
        _ => Err(AppError::UnsupportedMediaType),
    }
}

fn upload_headers(response: &mut actix_web::HttpResponseBuilder, row: &AttachmentRow) {
    response
        .insert_header(("Upload-Offset", row.received.to_string()))
        .insert_header(("Upload-Length", row.size.to_string()));
}

/// Streams `body` at `start` and counts it; the upload as it then is.
async fn append_at(
    state: &AppState,
    store: &AttachmentStore,
    owner: UserId,
    row: &AttachmentRow,
    body: web::Payload,
) -> Result<AttachmentRow, AppError> {
    let start = row.received as u64;
    let room = (row.size - row.received) as u64;
    let Some(part) = store.write_part(row.id, start, room, body).await? else {
        return Ok(row.clone());
    };
    let (id, key, length) = (row.id, part.key.clone(), part.length);
    let commit = db::run(&state.pool, move |conn| {
        Ok(models::commit_part(conn, id, owner, start, length, &key)?)
    })
    .await;
    match commit {
        Ok(Commit::Done(row)) => Ok(row),
        other => {
            store.delete_object(&part.key).await;
            match other? {
                Commit::Moved(offset) => Err(AppError::OffsetMismatch { offset }),
                _ => Err(AppError::NotFound),
            }
        }
    }
}

#[utoipa::path(tag = "attachments", security(("bearer" = [])),
    params(("Upload-Length" = u64, Header, description = "ciphertext bytes the upload will hold")),
    request_body(content = Ciphertext, content_type = "application/octet-stream",
        description = "optional: the first bytes (or all of them) at once"),
    responses(
    (status = 201, body = UploadState, description = "upload started (and complete, if the body held every byte)"),
    (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
    (status = 413, description = "`too_large`: over the per-file limit, or a body past Upload-Length", body = crate::error::ErrorBody),
    (status = 415, body = crate::error::ErrorBody),
    (status = 507, description = "`quota_exceeded`", body = crate::error::ErrorBody)))]
#[post("/api/attachments")]
pub async fn start_upload(
    state: web::Data<AppState>,
    store: web::Data<AttachmentStore>,
    user: AuthUser,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let size = number_header(&req, "Upload-Length", "invalid_upload_length")?;
    if size == 0 {
        return Err(AppError::bad(
            "invalid_upload_length",
            "Upload-Length must be at least 1",
        ));
    }
    // The limit is on the file; its ciphertext is a little larger (§11.2), so a file of
    // exactly the limit must still fit.
    let max_file = state.settings.attachment_max_bytes;
    let max = ciphertext_size(max_file).unwrap_or(u64::MAX);
    if size > max {
        return Err(AppError::TooLarge(format!(
            "attachments are limited to files of {max_file} bytes ({max} bytes of ciphertext)"
        )));
    }
    check_body_type(&req, false)?;
    let (owner, quota) = (user.user_id, state.settings.attachment_quota_bytes);
    let row = db::transaction(&state.pool, move |conn| {
        models::create(conn, owner, size, quota)
    })
    .await?;
    let row = match append_at(&state, &store, owner, &row, body).await {
        Ok(row) => row,
        Err(e) => {
            // The client never learnt the id: the upload is of no use to anyone.
            let id = row.id;
            let _ = db::run(&state.pool, move |conn| {
                Ok(models::delete_owned(conn, id, owner)?)
            })
            .await;
            store.remove(&[id]).await;
            return Err(e);
        }
    };
    let mut response = HttpResponse::Created();
    upload_headers(&mut response, &row);
    response.insert_header((header::LOCATION, format!("/api/attachments/{}", row.id)));
    Ok(response.json(UploadState::from(&row)))
}

#[utoipa::path(tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid),
        ("Upload-Offset" = u64, Header, description = "where this body starts: the bytes received so far")),
    request_body(content = Ciphertext, content_type = "application/octet-stream",
        description = "the next bytes (`application/offset+octet-stream`, tus's type, is accepted too)"),
    responses(
    (status = 200, body = UploadState, description = "appended; `complete` once every byte is in"),
    (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
    (status = 404, description = "no upload of yours with this id", body = crate::error::ErrorBody),
    (status = 409, description = "`offset_mismatch` (the `Upload-Offset` header says where to resume), or `upload_complete`", body = crate::error::ErrorBody),
    (status = 413, description = "`too_large`: the body goes past Upload-Length", body = crate::error::ErrorBody),
    (status = 415, body = crate::error::ErrorBody)))]
#[patch("/api/attachments/{id}")]
pub async fn append_upload(
    state: web::Data<AppState>,
    store: web::Data<AttachmentStore>,
    user: AuthUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let id = AttachmentId(path.into_inner());
    let offset = number_header(&req, "Upload-Offset", "invalid_upload_offset")?;
    check_body_type(&req, true)?;
    let owner = user.user_id;
    let row = db::run(&state.pool, move |conn| {
        Ok(models::find_owned(conn, id, owner)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    if row.complete() {
        return Err(AppError::conflict(
            "upload_complete",
            "every byte of this upload is already in",
        ));
    }
    if offset != row.received as u64 {
        return Err(AppError::OffsetMismatch {
            offset: row.received as u64,
        });
    }
    let row = append_at(&state, &store, owner, &row, body).await?;
    let mut response = HttpResponse::Ok();
    upload_headers(&mut response, &row);
    Ok(response.json(UploadState::from(&row)))
}

#[utoipa::path(tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses(
    (status = 200, description = "`Upload-Offset`: bytes received; `Upload-Length`: declared size; no body",
        headers(("Upload-Offset" = u64), ("Upload-Length" = u64))),
    (status = 400, description = "the id is not a UUID"),
    (status = 401, description = "not signed in"),
    (status = 404, description = "no upload of yours with this id")))]
#[head("/api/attachments/{id}")]
pub async fn upload_status(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = AttachmentId(path.into_inner());
    let owner = user.user_id;
    let row = db::run(&state.pool, move |conn| {
        Ok(models::find_owned(conn, id, owner)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let mut response = HttpResponse::Ok();
    upload_headers(&mut response, &row);
    Ok(response.finish())
}
