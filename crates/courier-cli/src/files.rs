//! Files as attachments: `send TO [CAPTION] --file PATH…` and `download MESSAGE_ID`.
//!
//! Policy: keys are checked and the password asked before any byte is uploaded, so a changed
//! key or a typo costs nothing. Files are encrypted while read and uploaded in resumable
//! pieces; a download is verified against the signed descriptor before it is moved into place,
//! under a name sanitised again for this file system, never replacing a file
//! ([`courier_client::attachments`]). Progress bars go to stderr, only on a terminal and never
//! with `--json`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use uuid::Uuid;

use super::chat::{read_text, resolve};
use super::context::Ctx;
use super::display;
use courier_client::attachments::{self, human_size, Progress, Target, Transfer};
use courier_client::{messaging, ClientError, Content, Result, Session, ShownAttachment};
use courier_protocol::crypto::attachment::{AttachmentDescriptor, AttachmentMessage};
use courier_protocol::limits::MAX_ATTACHMENTS_PER_MESSAGE;
use courier_protocol::wire::{Conversation, MessageItem};

/// A progress bar on stderr when a person watches, else nothing.
fn bar(ctx: &Ctx, length: u64, label: &str) -> Option<ProgressBar> {
    if ctx.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(length);
    let style = ProgressStyle::with_template(
        "{msg:20!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(label.to_owned());
    Some(bar)
}

fn progress_of(bar: &Option<ProgressBar>) -> Option<Progress> {
    bar.clone()
        .map(|b| -> Progress { Arc::new(move |done| b.set_position(done)) })
}

fn transfer(piece_size: Option<usize>) -> Transfer {
    match piece_size {
        Some(n) => Transfer::default().with_piece_size(n),
        None => Transfer::default(),
    }
}

/// `send TO [CAPTION] --file PATH…`: encrypts and uploads every file, then sends one message
/// describing them all.
pub async fn send(
    ctx: &Ctx,
    to: &str,
    caption: Option<String>,
    files: &[PathBuf],
    piece_size: Option<usize>,
) -> Result<()> {
    if files.len() > MAX_ATTACHMENTS_PER_MESSAGE {
        return Err(ClientError::Usage(format!(
            "a message carries at most {MAX_ATTACHMENTS_PER_MESSAGE} files (got {})",
            files.len()
        )));
    }
    for file in files {
        let meta = std::fs::metadata(file).map_err(|e| ClientError::io(file, e))?;
        if !meta.is_file() {
            return Err(ClientError::Usage(format!(
                "{} is not a file",
                file.display()
            )));
        }
    }
    let caption = match caption {
        None => None,
        Some(text) => {
            let text = read_text(Some(text))?;
            if text.trim().is_empty() {
                return Err(ClientError::Usage(
                    "a caption is not only whitespace (leave it out for none)".into(),
                ));
            }
            Some(text)
        }
    };
    let session = ctx.session()?;
    let conv = resolve(&session, to, true).await?;
    let mut pins = ctx.pins(&session)?;
    // Check keys and unlock before uploading: a changed key or a wrong password costs nothing.
    let mut keys = messaging::member_keys(&session, &mut pins, session.user_id, &conv).await?;
    let me = ctx.me(&session).await?;
    keys.push((me.id, me.account.enc_public_spki().to_vec()));

    let transfer = transfer(piece_size);
    let mut uploaded: Vec<AttachmentDescriptor> = Vec::new();
    for file in files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let total = courier_protocol::crypto::attachment::ciphertext_size(size).unwrap_or(size);
        let label = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bar = bar(ctx, total, &display::one_line(&label));
        let result = attachments::upload_file(&session, file, &transfer, progress_of(&bar)).await;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(done) => uploaded.push(done.descriptor),
            Err(e) => {
                discard(&session, &uploaded).await;
                return Err(upload_error(file, e));
            }
        }
    }
    let message = AttachmentMessage {
        text: caption,
        attachments: uploaded,
    };
    let content = message
        .to_plaintext()
        .map_err(|e| ClientError::Usage(format!("cannot describe these files: {e}")))?;
    let ids: Vec<Uuid> = message
        .attachments
        .iter()
        .map(|d| d.attachment_id)
        .collect();
    let posted = match messaging::send_sealed(
        &session,
        &me,
        conv.id,
        &keys,
        AttachmentMessage::CONTENT_TYPE,
        &content,
        &ids,
    )
    .await
    {
        Ok(posted) => posted,
        Err(e) => {
            // A refusal stored nothing: the uploads are of no use. After a transport error the
            // message may have been stored, so they stay (unreferenced ones expire anyway).
            if matches!(e, ClientError::Api { .. } | ClientError::KeyChanged { .. }) {
                discard(&session, &message.attachments).await;
            }
            return Err(e);
        }
    };
    let listed: Vec<_> = message
        .attachments
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({"index": i + 1, "attachment_id": d.attachment_id, "name": d.name,
                   "size": d.size, "media_type": d.media_type})
        })
        .collect();
    ctx.emit(
        json!({"conversation_id": conv.id, "message_id": posted.message_id, "position": posted.position,
               "server_ts": posted.server_ts, "attachments": listed}),
        || {
            let what = match message.attachments.as_slice() {
                [one] => format!("{} ({})", display::terminal_safe(&one.name), human_size(one.size)),
                many => format!("{} files", many.len()),
            };
            format!(
                "sent {what} to {} ({})",
                display::conversation_label(&conv, session.user_id),
                posted.message_id
            )
        },
    );
    Ok(())
}

/// The server's refusals of a file, said about that file.
fn upload_error(file: &Path, e: ClientError) -> ClientError {
    match e {
        ClientError::Api {
            status: 413,
            message,
            ..
        } => ClientError::Usage(format!(
            "{}: too large for this server ({message})",
            file.display()
        )),
        ClientError::Api {
            status: 507,
            message,
            ..
        } => ClientError::Usage(format!(
            "{}: your attachment quota on this server is full ({message}); \
             delete messages with attachments, or wait for unsent uploads to expire",
            file.display()
        )),
        other => other,
    }
}

/// Deletes uploads that no message will reference (best effort: they expire anyway).
async fn discard(session: &Session, descriptors: &[AttachmentDescriptor]) {
    for id in descriptors.iter().map(|d| d.attachment_id) {
        let _ = session
            .call(|api, t| async move { api.delete_attachment(&t, id).await })
            .await;
    }
}

/// History page size while looking for a message.
const SEARCH_PAGE: u32 = 200;

/// The message `id` in `conversation`, paging back through its history.
async fn find_in(session: &Session, conversation: Uuid, id: Uuid) -> Result<Option<MessageItem>> {
    let mut before = None;
    loop {
        let page = session
            .call(|api, t| async move { api.history(&t, conversation, before, SEARCH_PAGE).await })
            .await?;
        if let Some(item) = page.iter().find(|m| m.message_id == id) {
            return Ok(Some(item.clone()));
        }
        match page.first() {
            Some(first) if page.len() as u32 == SEARCH_PAGE && first.position > 1 => {
                before = Some(first.position)
            }
            _ => return Ok(None),
        }
    }
}

/// Finds message `id`: in the named conversation, or in each of ours, most recent first.
async fn find_message(
    session: &Session,
    id: Uuid,
    conversation: Option<&str>,
) -> Result<(Conversation, MessageItem)> {
    let candidates = match conversation {
        Some(target) => vec![resolve(session, target, false).await?],
        None => {
            session
                .call(|api, t| async move { api.conversations(&t).await })
                .await?
        }
    };
    for conv in candidates {
        if let Some(item) = find_in(session, conv.id, id).await? {
            return Ok((conv, item));
        }
    }
    Err(ClientError::NotFound(format!(
        "message {id} (in your conversations)"
    )))
}

/// `download MESSAGE_ID [--out PATH] [--index N]`: fetches, verifies and saves the message's
/// attachments; with several, all of them into a folder unless `--index` picks one.
pub async fn download(
    ctx: &Ctx,
    message_id: Uuid,
    out: Option<PathBuf>,
    index: Option<usize>,
    conversation: Option<&str>,
) -> Result<()> {
    let session = ctx.session()?;
    let (conv, item) = find_message(&session, message_id, conversation).await?;
    let me = ctx.me(&session).await?;
    let mut pins = ctx.pins(&session)?;
    let shown = messaging::open(&session, &mut pins, &me, &item).await;
    let all: Vec<ShownAttachment> = match shown.content {
        Content::Verified { attachments, .. } if !attachments.is_empty() => attachments,
        Content::Verified { .. } => {
            return Err(ClientError::Usage(format!(
                "message {message_id} has no attachments"
            )))
        }
        Content::Unreadable { reason } => {
            return Err(ClientError::AttachmentUnverified(format!(
                "attachment message could not be read: {reason}"
            )))
        }
        Content::Unverified { reason } => {
            return Err(ClientError::AttachmentUnverified(format!(
                "the message could not be verified: {reason}"
            )))
        }
        Content::Deleted => {
            return Err(ClientError::NotFound(format!(
                "message {message_id} (deleted)"
            )))
        }
    };
    let chosen: Vec<ShownAttachment> = match index {
        None => all,
        Some(n) => match all.iter().find(|a| a.index == n) {
            Some(a) => vec![a.clone()],
            None => {
                return Err(ClientError::Usage(format!(
                    "--index {n}: message {message_id} has {} attachment(s), numbered from 1",
                    all.len()
                )))
            }
        },
    };
    let target = target(out, chosen.len())?;
    let transfer = Transfer::default();
    let mut first_error = None;
    for a in &chosen {
        let d = &a.descriptor;
        let bar = bar(ctx, d.ciphertext_size, &display::one_line(&d.name));
        // Ctrl-C drops the download, and with it its temporary file: nothing half-written stays.
        let result = tokio::select! {
            r = attachments::download(&session, d, &target, &transfer, progress_of(&bar)) => r,
            _ = tokio::signal::ctrl_c() => {
                if let Some(bar) = bar {
                    bar.abandon();
                }
                return Err(ClientError::Usage("interrupted; the file being fetched was not saved".into()));
            }
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match result {
            Ok(done) => saved(ctx, conv.id, message_id, a, &done.path, &shown.sender),
            Err(e) => {
                if chosen.len() > 1 {
                    eprintln!(
                        "error: attachment {} ({}): {e}",
                        a.index,
                        display::one_line(&d.name)
                    );
                }
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `--out`: a folder (the current one by default), or a file name for one attachment.
fn target(out: Option<PathBuf>, count: usize) -> Result<Target> {
    let path = out.unwrap_or_else(|| PathBuf::from("."));
    if path.is_dir() {
        return Ok(Target::Directory(path));
    }
    if path.as_os_str().to_string_lossy().ends_with('/') {
        return Err(ClientError::Usage(format!(
            "--out {}: no such folder",
            path.display()
        )));
    }
    if count > 1 {
        return Err(ClientError::Usage(format!(
            "--out {}: not a folder, and this message has {count} attachments \
             (name a folder, or pick one with --index)",
            path.display()
        )));
    }
    Ok(Target::File(path))
}

fn saved(
    ctx: &Ctx,
    conversation_id: Uuid,
    message_id: Uuid,
    a: &ShownAttachment,
    path: &Path,
    sender: &str,
) {
    let d = &a.descriptor;
    ctx.emit(
        json!({"conversation_id": conversation_id, "message_id": message_id, "index": a.index, "attachment_id": d.attachment_id,
               "name": d.name, "media_type": d.media_type, "size": d.size, "path": path,
               "verified": true}),
        || {
            format!(
                "saved {} ({}, {}) from {} to {}",
                display::one_line(&d.name),
                human_size(d.size),
                display::one_line(&d.media_type),
                display::terminal_safe(sender),
                display::one_line(&path.display().to_string())
            )
        },
    );
}

/// The lines under an attachment message in `history` and `listen`: one per file, with what
/// `download` needs.
pub fn describe(message_id: Uuid, attachments: &[ShownAttachment]) -> String {
    let mut out = String::new();
    for a in attachments {
        let d = &a.descriptor;
        let dims = d
            .dimensions
            .map(|x| format!(", {}×{}", x.width, x.height))
            .unwrap_or_default();
        let command = if attachments.len() == 1 {
            format!("courier-cli download {message_id}")
        } else {
            format!("courier-cli download {message_id} --index {}", a.index)
        };
        out.push_str(&format!(
            "\n    [{}] {} ({}, {}{dims})  ->  {command}",
            a.index,
            display::one_line(&d.name),
            human_size(d.size),
            display::one_line(&d.media_type),
        ));
    }
    out
}
