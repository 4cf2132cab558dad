//! Downloading an attachment (§8.4, §11.3, §11.5): streamed through one decryptor bound to the
//! descriptor, resumed with `Range` after a drop, written to a temporary file beside the
//! destination and moved into place only once it verified.
//!
//! The decryptor refuses at once more bytes than `ciphertext_size`, and at the end checks the
//! final chunk, the SHA-256 of every byte received (the resumed ones included: they all go
//! through it, in order) and the sizes. Until then nothing is at the destination; on any
//! failure the temporary file is deleted. The final name never replaces an existing file: the
//! file is linked into place (which fails if the name exists) and the next name is tried.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::{naming, wait_or_fail, Progress, Step, Transfer};
use crate::error::{ClientError, Result};
use crate::session::Session;
use courier_protocol::crypto::attachment::{AttachmentDecryptor, AttachmentDescriptor};

/// Where a download goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// Into this folder, under the sender's name sanitised for the local file system (§11.5),
    /// as `name (1).ext`, `name (2).ext`, … when the name is taken.
    Directory(PathBuf),
    /// Exactly this file, which must not exist.
    File(PathBuf),
}

/// A verified attachment, saved.
#[derive(Debug)]
pub struct Downloaded {
    pub path: PathBuf,
    pub steps: Vec<Step>,
}

/// How many alternative names (`name (n).ext`) are tried before giving up.
const MAX_ALTERNATIVES: u32 = 1000;

/// A temporary file that deletes itself unless it was moved into place.
struct TempFile {
    path: PathBuf,
    file: Option<tokio::fs::File>,
}

impl TempFile {
    async fn create(dir: &Path) -> Result<Self> {
        let path = dir.join(format!(
            ".courier-download-{}.part",
            Uuid::new_v4().simple()
        ));
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        // Decrypted content: readable by its owner only, like the rest of the config folder.
        #[cfg(unix)]
        options.mode(0o600);
        let file = options
            .open(&path)
            .await
            .map_err(|e| ClientError::io(&path, e))?;
        Ok(Self {
            path,
            file: Some(file),
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let file = self.file.as_mut().expect("open until finished");
        file.write_all(bytes)
            .await
            .map_err(|e| ClientError::io(&self.path, e))
    }

    /// Flushes and syncs, so what is moved into place is on disk.
    async fn finish(&mut self) -> Result<()> {
        if let Some(mut file) = self.file.take() {
            file.flush()
                .await
                .map_err(|e| ClientError::io(&self.path, e))?;
            file.sync_all()
                .await
                .map_err(|e| ClientError::io(&self.path, e))?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn unverified(e: impl std::fmt::Display) -> ClientError {
    ClientError::AttachmentUnverified(e.to_string())
}

/// `(first byte, total size)` of a `Content-Range: bytes a-b/total` answer.
fn content_range(res: &reqwest::Response) -> Option<(u64, u64)> {
    let value = res
        .headers()
        .get(reqwest::header::CONTENT_RANGE)?
        .to_str()
        .ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (first, _) = range.split_once('-')?;
    Some((first.trim().parse().ok()?, total.trim().parse().ok()?))
}

/// Fetches, decrypts and verifies the attachment `descriptor` describes, and saves it at
/// `target`. A `404` is [`ClientError::AttachmentUnavailable`]; anything that does not verify
/// is [`ClientError::AttachmentUnverified`], and nothing is saved.
pub async fn download(
    session: &Session,
    descriptor: &AttachmentDescriptor,
    target: &Target,
    transfer: &Transfer,
    progress: Option<Progress>,
) -> Result<Downloaded> {
    let dir = match target {
        Target::Directory(dir) => dir.clone(),
        Target::File(file) => {
            if file.symlink_metadata().is_ok() {
                return Err(ClientError::Usage(format!(
                    "{} exists; it is not replaced (choose another --out)",
                    file.display()
                )));
            }
            match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            }
        }
    };
    let mut temp = TempFile::create(&dir).await?;
    let mut steps = Vec::new();
    fetch_into(
        session, descriptor, &mut temp, transfer, progress, &mut steps,
    )
    .await?;
    temp.finish().await?;
    let path = place(&temp.path, &dir, target, descriptor)?;
    Ok(Downloaded { path, steps })
}

/// Streams the ciphertext through the decryptor into `temp`, resuming after drops.
async fn fetch_into(
    session: &Session,
    descriptor: &AttachmentDescriptor,
    temp: &mut TempFile,
    transfer: &Transfer,
    progress: Option<Progress>,
    steps: &mut Vec<Step>,
) -> Result<()> {
    let id = descriptor.attachment_id;
    let total = descriptor.ciphertext_size;
    let idle = transfer.idle_timeout;
    let mut decryptor = AttachmentDecryptor::for_descriptor(descriptor);
    let mut received = 0u64;
    let mut attempt = 0;
    while received < total {
        steps.push(Step::Get { from: received });
        let from = received;
        let answer = tokio::time::timeout(
            idle,
            session.call(|api, t| async move { api.fetch_attachment(&t, id, from).await }),
        )
        .await
        .unwrap_or_else(|_| Err(timed_out(session, idle)));
        let response = match answer {
            Ok(response) => response,
            Err(ClientError::Api { status: 404, .. }) => {
                return Err(ClientError::AttachmentUnavailable)
            }
            Err(ClientError::Api { status: 416, .. }) => {
                return Err(unverified(format!(
                    "the server holds fewer bytes than the {total} the message names"
                )))
            }
            Err(e) => {
                attempt += 1;
                wait_or_fail(e, attempt, transfer, steps).await?;
                continue;
            }
        };
        // Bytes of this body that we already have: none after a 206 from where we asked, all
        // of `received` when the server ignored the range and sent everything again.
        let mut skip = if response.status() == StatusCode::PARTIAL_CONTENT {
            match content_range(&response) {
                Some((_, size)) if size != total => {
                    return Err(unverified(format!(
                        "the server holds {size} bytes, the message names {total}"
                    )))
                }
                Some((first, _)) if first == received => 0,
                _ => {
                    return Err(ClientError::Protocol(format!(
                        "asked for bytes from {received}, the server sent another range"
                    )))
                }
            }
        } else {
            received
        };
        let mut body = response.bytes_stream();
        let before = received;
        let error: Option<ClientError> = loop {
            let piece = match tokio::time::timeout(idle, body.next()).await {
                Err(_) => break Some(timed_out(session, idle)),
                Ok(None) => break None,
                Ok(Some(Err(e))) => break Some(session.api().unreachable(e)),
                Ok(Some(Ok(piece))) => piece,
            };
            let mut piece = &piece[..];
            let skipped = skip.min(piece.len() as u64) as usize;
            piece = &piece[skipped..];
            skip -= skipped as u64;
            if piece.is_empty() {
                continue;
            }
            let plain = decryptor.update(piece).map_err(unverified)?;
            temp.write(&plain).await?;
            received += piece.len() as u64;
            if let Some(p) = &progress {
                p(received);
            }
        };
        match error {
            // The body ended where the server meant it to: whatever is missing, the decryptor
            // says (truncated) at the end.
            None => break,
            Some(e) => {
                if received > before {
                    attempt = 0;
                }
                attempt += 1;
                wait_or_fail(e, attempt, transfer, steps).await?;
            }
        }
    }
    let (tail, _) = decryptor.finish().map_err(unverified)?;
    temp.write(&tail).await
}

fn timed_out(session: &Session, idle: Duration) -> ClientError {
    ClientError::Unreachable {
        url: session.api().base().to_owned(),
        reason: format!("no data for {} s", idle.as_secs()),
    }
}

/// Moves the verified temporary file to its name without ever replacing a file: `link`
/// fails when the name exists (a dangling symlink included), and the next name is tried.
fn place(
    temp: &Path,
    dir: &Path,
    target: &Target,
    descriptor: &AttachmentDescriptor,
) -> Result<PathBuf> {
    let candidates: Vec<PathBuf> = match target {
        Target::File(file) => vec![file.clone()],
        Target::Directory(_) => {
            let base = naming::local_file_name(&descriptor.name);
            (0..MAX_ALTERNATIVES)
                .map(|n| dir.join(naming::numbered(&base, n)))
                .collect()
        }
    };
    for candidate in candidates {
        match std::fs::hard_link(temp, &candidate) {
            Ok(()) => {
                let _ = std::fs::remove_file(temp);
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if matches!(target, Target::File(_)) {
                    return Err(ClientError::Usage(format!(
                        "{} exists; it is not replaced (choose another --out)",
                        candidate.display()
                    )));
                }
            }
            // A file system without hard links: check, then rename (a narrow race).
            Err(_) if candidate.symlink_metadata().is_err() => {
                std::fs::rename(temp, &candidate).map_err(|e| ClientError::io(&candidate, e))?;
                return Ok(candidate);
            }
            Err(_) => {}
        }
    }
    Err(ClientError::Usage(format!(
        "no free name for {:?} in {}",
        descriptor.name,
        dir.display()
    )))
}
