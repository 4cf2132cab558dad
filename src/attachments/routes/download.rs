//! `GET /api/attachments/{id}`: the ciphertext, streamed part after part, with single-range
//! `Range` support. Allowed to the uploader and to the members of a conversation holding a
//! message that references it; everyone else gets the same 404 as for a missing id, and so does
//! an upload not yet complete (nothing half-written is ever served).

use std::ops::Range;

use actix_web::{
    get,
    http::header::{self, ContentEncoding},
    web, HttpRequest, HttpResponse,
};
use uuid::Uuid;

use crate::{
    attachments::{models, store::AttachmentStore},
    auth::AuthUser,
    db,
    error::AppError,
    state::AppState,
};
use courier_protocol::ids::AttachmentId;

/// What a `Range` header asks of a resource of `size` bytes: `None` = the whole (no header, or
/// one this server does not do, like several ranges, which RFC 9110 lets it ignore).
fn requested_range(value: Option<&str>, size: u64) -> Result<Option<Range<u64>>, AppError> {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let unsatisfiable = AppError::RangeNotSatisfiable { size };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-n: the last n bytes.
        (true, false) => {
            let Some(n) = number(last) else {
                return Ok(None);
            };
            if n == 0 {
                return Err(unsatisfiable);
            }
            Ok(Some(size.saturating_sub(n)..size))
        }
        // bytes=a- or bytes=a-b
        (false, open) => {
            let Some(a) = number(first) else {
                return Ok(None);
            };
            let b = if open {
                size.saturating_sub(1)
            } else {
                match number(last) {
                    Some(b) if b >= a => b.min(size.saturating_sub(1)),
                    _ => return Ok(None),
                }
            };
            if a >= size {
                return Err(unsatisfiable);
            }
            Ok(Some(a..b + 1))
        }
        (true, true) => Ok(None),
    }
}

/// The pieces of the parts that cover `range`: `(object key, range within that object)`.
fn segments(parts: &[models::Part], range: &Range<u64>) -> Vec<(String, Range<u64>)> {
    parts
        .iter()
        .filter_map(|p| {
            let (start, end) = (p.start as u64, (p.start + p.length) as u64);
            let (from, to) = (range.start.max(start), range.end.min(end));
            (from < to).then(|| (p.object_key.clone(), from - start..to - start))
        })
        .collect()
}

#[utoipa::path(tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid),
        ("Range" = Option<String>, Header, description = "one range, `bytes=a-b`, `bytes=a-` or `bytes=-n`")),
    responses(
    (status = 200, description = "the whole ciphertext", content_type = "application/octet-stream", body = super::upload::Ciphertext),
    (status = 206, description = "the requested range (`Content-Range`)", content_type = "application/octet-stream", body = super::upload::Ciphertext),
    (status = 400, description = "the id is not a UUID", body = crate::error::ErrorBody),
    (status = 401, body = crate::error::ErrorBody),
    (status = 404, description = "missing, not complete, or not yours to fetch", body = crate::error::ErrorBody),
    (status = 416, description = "`range_not_satisfiable` (`Content-Range: bytes */size`)", body = crate::error::ErrorBody)))]
#[get("/api/attachments/{id}")]
pub async fn download_attachment(
    state: web::Data<AppState>,
    store: web::Data<AttachmentStore>,
    user: AuthUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id = AttachmentId(path.into_inner());
    let reader = user.user_id;
    let (row, parts) = db::run(&state.pool, move |conn| {
        Ok(models::find_readable(conn, id, reader)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let size = row.size as u64;
    let range = requested_range(
        req.headers()
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok()),
        size,
    )?;
    let (mut response, wanted) = match range {
        Some(r) => {
            let mut response = HttpResponse::PartialContent();
            response.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end - 1),
            ));
            (response, r)
        }
        None => (HttpResponse::Ok(), 0..size),
    };
    let length = wanted.end - wanted.start;
    let body = store.read(segments(&parts, &wanted));
    Ok(response
        .content_type("application/octet-stream")
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        // Never compressed: ciphertext does not shrink, and a range is of the stored bytes.
        .insert_header(ContentEncoding::Identity)
        .no_chunking(length)
        .streaming(body))
}

#[cfg(test)]
mod tests {
    use super::requested_range;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let r = |v: &str| requested_range(Some(v), 100).map_err(|e| e.to_string());
        assert_eq!(r("bytes=0-9").unwrap(), Some(0..10));
        assert_eq!(r("bytes=90-").unwrap(), Some(90..100));
        assert_eq!(r("bytes=-10").unwrap(), Some(90..100));
        assert_eq!(r("bytes=-1000").unwrap(), Some(0..100));
        assert_eq!(r("bytes=50-1000").unwrap(), Some(50..100));
        assert!(r("bytes=100-").is_err());
        assert!(r("bytes=-0").is_err());
        assert_eq!(r("bytes=0-1,5-6").unwrap(), None);
        assert_eq!(r("items=0-1").unwrap(), None);
        assert_eq!(r("bytes=5-1").unwrap(), None);
        assert_eq!(r("bytes=x-1").unwrap(), None);
        assert_eq!(requested_range(None, 100).unwrap(), None);
    }
}
