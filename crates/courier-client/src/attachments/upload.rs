//! Uploading a file as an attachment (§8.4, §11.3): read from disk, encrypted as it is read,
//! hashed as it is encrypted, sent in pieces, resumed where the server stands after a drop.
//!
//! The encryptor runs once, front to back, and every ciphertext byte it emits is hashed once,
//! in order. The piece being sent stays in memory until the server has committed it: the
//! server commits a body only when it ended (§8.4), so after a failure it has either all of the
//! piece or none of it, and `HEAD` says which; whatever it says within the piece, the rest of
//! the piece is sent from there. (An offset outside the piece would mean the server lost bytes
//! it had acknowledged: that upload is abandoned with an error rather than patched.)

use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::{naming, retriable, wait_or_fail, Progress, Step, Transfer};
use crate::api::{Appended, PieceProgress};
use crate::error::{ClientError, Result};
use crate::session::Session;
use courier_protocol::crypto::attachment::{
    ciphertext_size, AttachmentDescriptor, AttachmentEncryptor, AttachmentSummary, Dimensions,
    FileKey,
};
use courier_protocol::limits::MAX_IMAGE_DIMENSION;
use courier_protocol::wire::UploadState;

/// An uploaded, complete attachment: the descriptor to put in a message (it holds the file
/// key: it goes only into sealed content), and what the transfer went through.
#[derive(Debug)]
pub struct Uploaded {
    pub descriptor: AttachmentDescriptor,
    pub steps: Vec<Step>,
}

/// Bytes read from the file at a time.
const READ_SIZE: usize = 256 * 1024;

/// The file's ciphertext, produced as it is asked for: read, encrypt, hand out in pieces.
struct CiphertextSource {
    path: PathBuf,
    file: tokio::fs::File,
    encryptor: Option<AttachmentEncryptor>,
    /// Ciphertext made but not handed out yet (at most a read's worth and a chunk).
    ready: Vec<u8>,
    /// Plaintext bytes still to read: the file must be exactly as long as it was at the start.
    remaining: u64,
    buf: Vec<u8>,
    summary: Option<AttachmentSummary>,
}

impl CiphertextSource {
    fn changed(&self) -> ClientError {
        ClientError::Usage(format!(
            "{} changed while it was being sent; nothing was sent to anyone",
            self.path.display()
        ))
    }

    /// The next `max` ciphertext bytes (fewer only at the end).
    async fn next_piece(&mut self, max: usize) -> Result<Bytes> {
        let mut piece = Vec::with_capacity(max.min(self.remaining as usize + READ_SIZE));
        loop {
            let take = (max - piece.len()).min(self.ready.len());
            piece.extend_from_slice(&self.ready[..take]);
            self.ready.drain(..take);
            if piece.len() == max || self.encryptor.is_none() && self.ready.is_empty() {
                return Ok(Bytes::from(piece));
            }
            self.produce().await?;
        }
    }

    async fn produce(&mut self) -> Result<()> {
        let Some(encryptor) = self.encryptor.as_mut() else {
            return Ok(());
        };
        if self.remaining == 0 {
            let mut probe = [0u8; 1];
            let more = self
                .file
                .read(&mut probe)
                .await
                .map_err(|e| ClientError::io(&self.path, e))?;
            if more != 0 {
                return Err(self.changed());
            }
            let encryptor = self.encryptor.take().expect("checked above");
            let (tail, summary) = encryptor
                .finish()
                .map_err(|e| encrypt_error(&self.path, e))?;
            self.ready.extend_from_slice(&tail);
            self.summary = Some(summary);
            return Ok(());
        }
        let want = (self.remaining.min(READ_SIZE as u64)) as usize;
        let n = self
            .file
            .read(&mut self.buf[..want])
            .await
            .map_err(|e| ClientError::io(&self.path, e))?;
        if n == 0 {
            return Err(self.changed());
        }
        self.remaining -= n as u64;
        let out = encryptor
            .update(&self.buf[..n])
            .map_err(|e| encrypt_error(&self.path, e))?;
        self.ready.extend_from_slice(&out);
        Ok(())
    }
}

fn encrypt_error(path: &Path, e: impl std::fmt::Display) -> ClientError {
    ClientError::Usage(format!("cannot encrypt {}: {e}", path.display()))
}

/// Image dimensions from the first bytes of the file, when its type says image and they are
/// within the descriptor's bounds; layout hints only, so anything odd is simply left out.
async fn dimensions(path: &Path, media_type: &str) -> Option<Dimensions> {
    if !media_type.starts_with("image/") {
        return None;
    }
    let path = path.to_owned();
    let size = tokio::task::spawn_blocking(move || imagesize::size(path).ok())
        .await
        .ok()??;
    let (width, height) = (size.width as u64, size.height as u64);
    let fits = |n: u64| (1..=MAX_IMAGE_DIMENSION).contains(&n);
    (fits(width) && fits(height)).then_some(Dimensions { width, height })
}

/// Encrypts and uploads the file at `path`; answers its descriptor once the server has every
/// byte. `progress` hears the ciphertext bytes sent so far.
pub async fn upload_file(
    session: &Session,
    path: &Path,
    transfer: &Transfer,
    progress: Option<Progress>,
) -> Result<Uploaded> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| ClientError::io(path, e))?;
    if !meta.is_file() {
        return Err(ClientError::Usage(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let size = meta.len();
    let total = ciphertext_size(size)
        .ok_or_else(|| ClientError::Usage(format!("{} is too large", path.display())))?;
    let name = naming::attachment_name(path);
    let media_type = naming::media_type(path);
    let dimensions = dimensions(path, &media_type).await;
    let key = FileKey::generate().map_err(|e| encrypt_error(path, e))?;
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ClientError::io(path, e))?;
    let mut source = CiphertextSource {
        path: path.to_owned(),
        file,
        encryptor: Some(AttachmentEncryptor::new(&key).map_err(|e| encrypt_error(path, e))?),
        ready: Vec::new(),
        remaining: size,
        buf: vec![0; READ_SIZE],
        summary: None,
    };
    let mut steps = Vec::new();
    let piece_size = transfer.piece_size();

    let mut piece = source.next_piece(piece_size).await?;
    let state = post_first(session, total, &piece, transfer, &progress, &mut steps).await?;
    let id = state.attachment_id;
    if state.size != total {
        return Err(ClientError::Protocol(format!(
            "the server took an upload of {} bytes for {total}",
            state.size
        )));
    }
    let (mut piece_start, mut committed) = (0u64, state.offset);
    loop {
        let piece_end = piece_start + piece.len() as u64;
        if !(piece_start..=piece_end).contains(&committed) {
            return Err(ClientError::Protocol(format!(
                "the server has {committed} bytes of upload {id}, but this piece is bytes \
                 {piece_start}..{piece_end}; start the upload again"
            )));
        }
        if committed < piece_end {
            let rest = piece.slice((committed - piece_start) as usize..);
            committed = append(
                session, id, committed, rest, transfer, &progress, &mut steps,
            )
            .await?;
            continue;
        }
        if let Some(p) = &progress {
            p(committed);
        }
        if committed == total {
            break;
        }
        piece_start = piece_end;
        piece = source.next_piece(piece_size).await?;
        if piece.is_empty() {
            return Err(source.changed());
        }
    }
    let summary = source.summary.take().ok_or_else(|| source.changed())?;
    if summary.ciphertext_size != total || summary.size != size {
        return Err(source.changed());
    }
    Ok(Uploaded {
        descriptor: AttachmentDescriptor {
            attachment_id: id,
            key,
            sha256: summary.sha256,
            name,
            media_type,
            size,
            ciphertext_size: total,
            dimensions,
            thumbnail: None,
        },
        steps,
    })
}

/// Progress within a body that starts at byte `base` of the ciphertext.
fn piece_progress(progress: &Option<Progress>, base: u64) -> Option<PieceProgress> {
    progress
        .clone()
        .map(|p| -> PieceProgress { std::sync::Arc::new(move |sent| p(base + sent)) })
}

/// `POST` with the first piece, retried from scratch on failure: a `POST` whose body failed
/// leaves nothing behind on the server (§8.4).
async fn post_first(
    session: &Session,
    total: u64,
    first: &Bytes,
    transfer: &Transfer,
    progress: &Option<Progress>,
    steps: &mut Vec<Step>,
) -> Result<UploadState> {
    let mut attempt = 0;
    loop {
        steps.push(Step::Post {
            length: first.len() as u64,
        });
        let timeout = transfer.piece_timeout;
        let result = session
            .call(|api, t| {
                let (body, progress) = (first.clone(), piece_progress(progress, 0));
                async move { api.start_upload(&t, total, body, timeout, progress).await }
            })
            .await;
        match result {
            Ok(state) => return Ok(state),
            Err(e) => {
                attempt += 1;
                wait_or_fail(e, attempt, transfer, steps)
                    .await
                    .map_err(upload_gone)?;
            }
        }
    }
}

/// Sends `body` at `offset` until the server has committed it or says where it is; answers
/// the server's offset. Retries after a failure ask `HEAD` where to go on from.
async fn append(
    session: &Session,
    id: Uuid,
    offset: u64,
    body: Bytes,
    transfer: &Transfer,
    progress: &Option<Progress>,
    steps: &mut Vec<Step>,
) -> Result<u64> {
    let mut attempt = 0;
    loop {
        steps.push(Step::Patch {
            offset,
            length: body.len() as u64,
        });
        let timeout = transfer.piece_timeout;
        let result = session
            .call(|api, t| {
                let (body, progress) = (body.clone(), piece_progress(progress, offset));
                async move {
                    api.append_upload(&t, id, offset, body, timeout, progress)
                        .await
                }
            })
            .await;
        let error = match result {
            Ok(Appended::Done(state)) => return Ok(state.offset),
            Ok(Appended::Moved(server)) => {
                steps.push(Step::Moved { offset: server });
                return Ok(server);
            }
            Err(e) => e,
        };
        attempt += 1;
        wait_or_fail(error, attempt, transfer, steps)
            .await
            .map_err(upload_gone)?;
        // Where does the server stand? The failed body may or may not have been committed.
        match session
            .call(|api, t| async move { api.upload_offset(&t, id).await })
            .await
        {
            Ok(server) => {
                steps.push(Step::Head { offset: server });
                if server != offset {
                    return Ok(server);
                }
            }
            Err(e) if retriable(&e).is_some() => {
                steps.push(Step::Retry {
                    reason: e.to_string(),
                });
            }
            Err(e) => return Err(upload_gone(e)),
        }
    }
}

/// A 404 during an upload: ours no longer (expired, deleted, or the account is gone).
fn upload_gone(e: ClientError) -> ClientError {
    match e {
        ClientError::Api { status: 404, .. } => ClientError::Protocol(
            "the server no longer has this upload (expired or deleted); send the file again".into(),
        ),
        other => other,
    }
}
