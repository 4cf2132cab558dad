//! Conversation and message commands: conversations, send, history, receipts.

use std::io::Read;

use serde_json::json;
use uuid::Uuid;

use super::context::Ctx;
use super::ConvAction;
use courier_client::{messaging, ClientError, Content, Result, Session, Shown};
use courier_protocol::{limits::TEXT_PLAIN, wire::Conversation};

use super::{display, files};

/// Largest text accepted from stdin or an argument (the server caps envelopes anyway).
const MAX_TEXT: usize = 64 * 1024;

/// A conversation by id, by the other member's username (a direct conversation, created when
/// `create` and none exists yet), or by title. A name means a person first: a group that
/// someone titled "bob" must not catch what was meant for bob.
pub async fn resolve(session: &Session, target: &str, create: bool) -> Result<Conversation> {
    if let Ok(id) = target.parse::<Uuid>() {
        return session
            .call(|api, t| async move { api.conversation(&t, id).await })
            .await;
    }
    let name = target.trim_start_matches('@').to_ascii_lowercase();
    let name = &name;
    let all = session
        .call(|api, t| async move { api.conversations(&t).await })
        .await?;
    let direct = all.iter().find(|c| {
        c.kind == "direct"
            && c.members
                .iter()
                .any(|m| m.id != session.user_id && m.username == *name)
    });
    if let Some(c) = direct {
        return Ok(c.clone());
    }
    if create {
        match session
            .call(|api, t| async move { api.user_by_name(&t, name).await })
            .await
        {
            Ok(user) => {
                return session
                    .call(
                        |api, t| async move { api.create_conversation(&t, &[user.id], None).await },
                    )
                    .await
            }
            Err(ClientError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    let titled: Vec<&Conversation> = all
        .iter()
        .filter(|c| c.title.as_deref() == Some(target))
        .collect();
    match titled.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(ClientError::NotFound(format!("conversation {target:?}"))),
        _ => Err(ClientError::Usage(format!(
            "several conversations are titled {target:?}: name one by its id"
        ))),
    }
}

fn print_conversation(ctx: &Ctx, me: Uuid, c: &Conversation) {
    ctx.emit(serde_json::to_value(c).unwrap_or_default(), || {
        let unread = c
            .unread_count
            .filter(|n| *n > 0)
            .map(|n| format!("  ({n} unread)"))
            .unwrap_or_default();
        format!(
            "{}  {:<6}  {}{unread}",
            c.id,
            c.kind,
            display::conversation_label(c, me)
        )
    });
}

pub async fn conversations(ctx: &Ctx, action: ConvAction) -> Result<()> {
    let session = ctx.session()?;
    match action {
        ConvAction::List => {
            let all = session
                .call(|api, t| async move { api.conversations(&t).await })
                .await?;
            if all.is_empty() && !ctx.json {
                println!("No conversations yet. Start one with `courier-cli send USERNAME TEXT`.");
            }
            for c in &all {
                print_conversation(ctx, session.user_id, c);
            }
        }
        ConvAction::New { usernames, title } => {
            let mut ids = Vec::new();
            for name in &usernames {
                ids.push(
                    session
                        .call(|api, t| async move { api.user_by_name(&t, name).await })
                        .await?
                        .id,
                );
            }
            let (ids, title) = (&ids, title.as_deref());
            let c = session
                .call(|api, t| async move { api.create_conversation(&t, ids, title).await })
                .await?;
            print_conversation(ctx, session.user_id, &c);
        }
        ConvAction::Add {
            conversation,
            username,
        } => {
            let conv = resolve(&session, &conversation, false).await?;
            let username = &username;
            let user = session
                .call(|api, t| async move { api.user_by_name(&t, username).await })
                .await?;
            let c = session
                .call(|api, t| async move { api.add_member(&t, conv.id, user.id).await })
                .await?;
            print_conversation(ctx, session.user_id, &c);
        }
        ConvAction::Leave { conversation } => {
            let conv = resolve(&session, &conversation, false).await?;
            let me = session.user_id;
            session
                .call(|api, t| async move { api.remove_member(&t, conv.id, me).await })
                .await?;
            ctx.emit(json!({"left": conv.id}), || {
                format!("Left {}.", display::conversation_label(&conv, me))
            });
        }
    }
    Ok(())
}

/// The text of the argument, or of stdin when it is absent or `-` (one final newline
/// dropped); at most [`MAX_TEXT`] bytes.
pub fn read_text(text: Option<String>) -> Result<String> {
    let text = match text.filter(|t| t != "-") {
        Some(t) => t,
        None => {
            let mut buf = String::new();
            std::io::stdin()
                .take(MAX_TEXT as u64 + 1)
                .read_to_string(&mut buf)
                .map_err(|e| ClientError::Usage(format!("reading stdin: {e}")))?;
            buf.strip_suffix('\n').map(str::to_owned).unwrap_or(buf)
        }
    };
    if text.len() > MAX_TEXT {
        return Err(ClientError::Usage(format!(
            "a message is 1 to {MAX_TEXT} bytes of text, not only whitespace"
        )));
    }
    Ok(text)
}

pub async fn send(ctx: &Ctx, to: &str, text: Option<String>) -> Result<()> {
    let text = read_text(text)?;
    if text.trim().is_empty() {
        return Err(ClientError::Usage(format!(
            "a message is 1 to {MAX_TEXT} bytes of text, not only whitespace"
        )));
    }
    let session = ctx.session()?;
    let conv = resolve(&session, to, true).await?;
    let mut pins = ctx.pins(&session)?;
    // Check keys before asking for the password: a changed key refuses at once.
    let mut keys = messaging::member_keys(&session, &mut pins, session.user_id, &conv).await?;
    let me = ctx.me(&session).await?;
    keys.push((me.id, me.account.enc_public_spki().to_vec()));
    let posted = messaging::send_sealed(
        &session,
        &me,
        conv.id,
        &keys,
        TEXT_PLAIN,
        text.as_bytes(),
        &[],
    )
    .await?;
    ctx.emit(
        json!({"conversation_id": conv.id, "message_id": posted.message_id, "position": posted.position, "server_ts": posted.server_ts}),
        || format!("sent to {} ({})", display::conversation_label(&conv, session.user_id), posted.message_id),
    );
    Ok(())
}

/// One message line: `[time] #pos sender: text`, or the JSON object.
pub fn print_message(ctx: &Ctx, label: &str, m: &Shown) {
    ctx.emit(
        json!({"event": "message", "conversation": label, "message": m}),
        || {
            let time = chrono::DateTime::from_timestamp_millis(m.server_ts)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default();
            let body = match &m.content {
                Content::Verified {
                    empty: true,
                    legacy_v1,
                    ..
                } => {
                    format!(
                        "{}!! EMPTY message (flagged: Courier clients never send one)",
                        legacy_marker(*legacy_v1)
                    )
                }
                Content::Verified {
                    text,
                    legacy_v1,
                    attachments,
                    ..
                } if !attachments.is_empty() => {
                    let caption = if text.is_empty() {
                        match attachments.len() {
                            1 => "(1 attachment)".to_owned(),
                            n => format!("({n} attachments)"),
                        }
                    } else {
                        display::terminal_safe(text)
                    };
                    format!(
                        "{}{caption}{}",
                        legacy_marker(*legacy_v1),
                        files::describe(m.message_id, attachments)
                    )
                }
                Content::Verified {
                    text, legacy_v1, ..
                } => format!(
                    "{}{}",
                    legacy_marker(*legacy_v1),
                    display::terminal_safe(text)
                ),
                Content::Unverified { reason } => {
                    format!("!! COULD NOT VERIFY this message ({reason})")
                }
                Content::Unreadable { reason } => {
                    format!(
                        "!! attachment message could not be read ({})",
                        display::one_line(reason)
                    )
                }
                Content::Deleted => "(deleted)".into(),
            };
            format!(
                "[{time}] ({label} #{}) {}: {body}",
                m.position,
                display::terminal_safe(&m.sender)
            )
        },
    );
}

/// The marker in front of a legacy v1 message's text.
fn legacy_marker(legacy: bool) -> &'static str {
    if legacy {
        "[legacy v1 — not key-committing] "
    } else {
        ""
    }
}

pub async fn history(ctx: &Ctx, target: &str, limit: u32, before: Option<i64>) -> Result<()> {
    let session = ctx.session()?;
    let conv = resolve(&session, target, false).await?;
    let limit = limit.clamp(1, 200);
    let items = session
        .call(|api, t| async move { api.history(&t, conv.id, before, limit).await })
        .await?;
    let me = ctx.me(&session).await?;
    let mut pins = ctx.pins(&session)?;
    let label = display::conversation_label(&conv, session.user_id);
    for item in &items {
        let shown = messaging::open(&session, &mut pins, &me, item).await;
        print_message(ctx, &label, &shown);
    }
    if items.is_empty() && !ctx.json {
        println!("(no messages)");
    }
    Ok(())
}

/// How far back `receipts` looks for a verified message to acknowledge.
const RECEIPT_LOOKBACK: u32 = 50;

/// Posts a cumulative receipt. Without `--up-to` it names the newest message from someone else
/// that verifies (so it unlocks the keys): a message that failed verification is never
/// acknowledged, as in `listen`.
pub async fn receipts(ctx: &Ctx, target: &str, status: &str, up_to: Option<Uuid>) -> Result<()> {
    let session = ctx.session()?;
    let conv = resolve(&session, target, false).await?;
    let up_to = match up_to {
        Some(id) => id,
        None => {
            let recent = session
                .call(
                    |api, t| async move { api.history(&t, conv.id, None, RECEIPT_LOOKBACK).await },
                )
                .await?;
            let me = ctx.me(&session).await?;
            let mut pins = ctx.pins(&session)?;
            let mut newest = None;
            for item in recent
                .iter()
                .rev()
                .filter(|m| m.sender_id != session.user_id && !m.deleted)
            {
                if messaging::open(&session, &mut pins, &me, item)
                    .await
                    .content
                    .is_verified()
                {
                    newest = Some(item.message_id);
                    break;
                }
            }
            newest.ok_or_else(|| {
                ClientError::NotFound("no verified message from someone else to acknowledge".into())
            })?
        }
    };
    session
        .call(|api, t| async move { api.receipt(&t, conv.id, status, up_to).await })
        .await?;
    ctx.emit(
        json!({"conversation_id": conv.id, "status": status, "up_to": up_to}),
        || {
            format!(
                "{} marked {status} up to {up_to}",
                display::conversation_label(&conv, session.user_id)
            )
        },
    );
    Ok(())
}
