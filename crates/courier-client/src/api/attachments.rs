//! Attachment transfers (docs/protocol.md §8.4): resumable uploads, ranged downloads, deletion.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RANGE};
use reqwest::{Method, Response, StatusCode};
use uuid::Uuid;

use super::{api_error, Api};
use crate::error::{ClientError, Result};
use courier_protocol::wire::*;

impl Api {
    /// `POST /api/attachments`: starts an upload of `length` ciphertext bytes and sends
    /// `first` (the first piece, possibly all of it) with it (§8.4).
    pub async fn start_upload(
        &self,
        token: &str,
        length: u64,
        first: Bytes,
        timeout: Duration,
        progress: Option<PieceProgress>,
    ) -> Result<UploadState> {
        let len = first.len();
        let req = self
            .raw(Method::POST, "/api/attachments", token)
            .timeout(timeout)
            .header("Upload-Length", length.to_string())
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(CONTENT_LENGTH, len.to_string())
            .body(counted_body(first, progress));
        self.json(req).await
    }

    /// `PATCH /api/attachments/{id}`: appends `body` at `offset`. A `409 offset_mismatch`
    /// is not an error here but the server's offset ([`Appended::Moved`]).
    pub async fn append_upload(
        &self,
        token: &str,
        id: Uuid,
        offset: u64,
        body: Bytes,
        timeout: Duration,
        progress: Option<PieceProgress>,
    ) -> Result<Appended> {
        let len = body.len();
        let req = self
            .raw(Method::PATCH, &format!("/api/attachments/{id}"), token)
            .timeout(timeout)
            .header("Upload-Offset", offset.to_string())
            .header(CONTENT_TYPE, "application/offset+octet-stream")
            .header(CONTENT_LENGTH, len.to_string())
            .body(counted_body(body, progress));
        let res = req.send().await.map_err(|e| self.unreachable(e))?;
        if res.status() == StatusCode::CONFLICT {
            if let Some(offset) = upload_offset(&res) {
                return Ok(Appended::Moved(offset));
            }
        }
        if !res.status().is_success() {
            return Err(api_error(res).await);
        }
        let text = res.text().await.map_err(|e| self.unreachable(e))?;
        serde_json::from_str(&text)
            .map(Appended::Done)
            .map_err(|e| ClientError::Protocol(format!("unexpected answer from the server ({e})")))
    }

    /// `HEAD /api/attachments/{id}`: the bytes of our upload the server has committed.
    pub async fn upload_offset(&self, token: &str, id: Uuid) -> Result<u64> {
        let req = self.request(Method::HEAD, &format!("/api/attachments/{id}"), Some(token));
        let res = self.send(req).await?;
        upload_offset(&res)
            .ok_or_else(|| ClientError::Protocol("HEAD answered no Upload-Offset".into()))
    }

    /// `GET /api/attachments/{id}` from byte `from` on (a `Range` request when `from > 0`).
    /// Answers the response with its body unread; no overall timeout (the caller times the
    /// gaps between pieces of the body instead), so a large file is not cut short.
    pub async fn fetch_attachment(&self, token: &str, id: Uuid, from: u64) -> Result<Response> {
        let mut req = self
            .raw(Method::GET, &format!("/api/attachments/{id}"), token)
            .header(ACCEPT_ENCODING, "identity");
        if from > 0 {
            req = req.header(RANGE, format!("bytes={from}-"));
        }
        self.send(req).await
    }

    /// `DELETE /api/attachments/{id}` (uploader).
    pub async fn delete_attachment(&self, token: &str, id: Uuid) -> Result<()> {
        self.empty(self.request(
            Method::DELETE,
            &format!("/api/attachments/{id}"),
            Some(token),
        ))
        .await
    }
}

/// What a `PATCH` did: appended, or refused because the server is elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The body is committed; the upload as it now is.
    Done(UploadState),
    /// `409 offset_mismatch`: the server has this many bytes, not the `Upload-Offset` sent.
    Moved(u64),
}

/// Told how many bytes of the current body have been handed to the connection so far.
pub type PieceProgress = Arc<dyn Fn(u64) + Send + Sync>;

/// Slices of a request body, so progress moves while a piece of megabytes is on its way.
const BODY_SLICE: usize = 64 * 1024;

fn counted_body(bytes: Bytes, progress: Option<PieceProgress>) -> reqwest::Body {
    let Some(progress) = progress else {
        return reqwest::Body::from(bytes);
    };
    let slices: Vec<Bytes> = (0..bytes.len())
        .step_by(BODY_SLICE)
        .map(|start| bytes.slice(start..(start + BODY_SLICE).min(bytes.len())))
        .collect();
    let mut sent = 0u64;
    reqwest::Body::wrap_stream(futures_util::stream::iter(slices).map(move |slice| {
        sent += slice.len() as u64;
        progress(sent);
        Ok::<_, std::io::Error>(slice)
    }))
}

fn upload_offset(res: &Response) -> Option<u64> {
    res.headers()
        .get("Upload-Offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}
