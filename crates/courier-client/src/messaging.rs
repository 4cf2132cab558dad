//! Sending and reading messages: envelopes sealed to pinned keys, opened against pinned keys.
//!
//! Policy: before sealing, every member's current keys are fetched and compared with the pins;
//! one changed key refuses the whole send ([`ClientError::KeyChanged`]), because the envelope
//! would carry a content key for whoever the server substituted. On reading, the sender's
//! *pinned* signing key is used (pinned on first use if new); every failure becomes
//! [`Content::Unverified`] with the reason, never text. A legacy v1 message (not
//! key-committing) that verifies is shown but marked `legacy_v1`; a verified text that is
//! empty or only whitespace (clients never send one) is marked `empty`. An attachment message
//! (§11.4) that verifies carries its descriptors ([`ShownAttachment`]; the caption is its
//! text); one whose content breaks a rule of §11.4 is [`Content::Unreadable`], shown flagged and
//! never in part. Only verified messages are acknowledged with receipts
//! ([`Content::is_verified`]).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use uuid::Uuid;

use super::error::{ClientError, Result};
use super::pins::Pins;
use super::session::Session;
use courier_protocol::crypto::attachment::{AttachmentDescriptor, AttachmentMessage};
use courier_protocol::crypto::{self, Header, OpenContext, UnlockedAccount};
use courier_protocol::limits::TEXT_PLAIN;
use courier_protocol::wire::{Conversation, MessageItem, Posted};

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The signed-in user's unlocked keys and id.
pub struct Me {
    pub id: Uuid,
    pub account: UnlockedAccount,
}

/// The other members' encryption keys, each checked against its pin (pinned on first use).
/// Any changed key refuses the lot, naming every contact whose key changed.
pub async fn member_keys(
    session: &Session,
    pins: &mut Pins,
    me: Uuid,
    conversation: &Conversation,
) -> Result<Vec<(Uuid, Vec<u8>)>> {
    let mut keys = Vec::with_capacity(conversation.members.len());
    let mut changed = Vec::new();
    for member in conversation.members.iter().filter(|m| m.id != me) {
        let user = session
            .call(|api, t| async move { api.user_by_id(&t, member.id).await })
            .await?;
        match pins.check(&user) {
            Ok(_) => {
                let pin = pins
                    .get(member.id)
                    .ok_or_else(|| ClientError::Protocol(format!("no pin for {}", member.id)))?;
                keys.push((member.id, pin.enc_spki()?));
            }
            Err(ClientError::KeyChanged { username }) => changed.push(username),
            Err(e) => return Err(e),
        }
    }
    if !changed.is_empty() {
        return Err(ClientError::KeyChanged {
            username: changed.join(", "),
        });
    }
    Ok(keys)
}

/// Seals `body` for every current member (keys checked by [`member_keys`]) and posts it.
pub async fn send(
    session: &Session,
    pins: &mut Pins,
    me: &Me,
    conversation: &Conversation,
    content_type: &str,
    body: &[u8],
) -> Result<Posted> {
    let mut keys = member_keys(session, pins, me.id, conversation).await?;
    keys.push((me.id, me.account.enc_public_spki().to_vec()));
    send_sealed(session, me, conversation.id, &keys, content_type, body, &[]).await
}

/// Seals and posts with keys the caller already checked (`send` checks them before asking for
/// the password; the simulator caches them). `attachment_ids` name the uploads an attachment
/// message describes (§11.4: the same ids as in its content), empty for anything else.
pub async fn send_sealed(
    session: &Session,
    me: &Me,
    conversation: Uuid,
    keys: &[(Uuid, Vec<u8>)],
    content_type: &str,
    body: &[u8],
    attachment_ids: &[Uuid],
) -> Result<Posted> {
    let header = Header::new(
        conversation,
        Uuid::new_v4(),
        me.id,
        keys.iter().map(|(id, _)| *id),
        content_type,
        now_ms(),
    )?;
    if content_type == TEXT_PLAIN && String::from_utf8_lossy(body).trim().is_empty() {
        return Err(ClientError::Usage(
            "an empty message is not sent: write some text".into(),
        ));
    }
    let envelope = crypto::seal(&header, body, &me.account, keys)?;
    // A retry after a lost answer reposts the same message id: the server answers the same.
    let envelope = &envelope;
    session
        .call(|api, t| async move {
            api.post_message(&t, conversation, envelope, attachment_ids)
                .await
        })
        .await
}

/// What a message turned out to be.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Content {
    /// Verified and decrypted.
    Verified {
        content_type: String,
        text: String,
        sent_at: u64,
        /// 2, or 1 for a legacy message.
        envelope_version: u64,
        /// A legacy v1 envelope: verified, but not key-committing (other recipients may have
        /// been shown something else). Shown with a marker.
        legacy_v1: bool,
        /// A text/plain message with no visible text: no Courier client sends one. Flagged.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        empty: bool,
        /// The files an attachment message carries (then `text` is its caption, possibly
        /// empty); empty for every other message.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<ShownAttachment>,
    },
    /// Anything that failed a check: shown as "could not verify", never as text.
    Unverified { reason: String },
    /// Verified, but an attachment message whose content breaks a rule of §11.4: shown
    /// flagged ("attachment message could not be read"), never partly, never acknowledged.
    Unreadable { reason: String },
    /// Deleted for everyone by its sender.
    Deleted,
}

/// One attachment of a verified attachment message, as shown and as `download` needs it. Its
/// JSON form leaves the file key and the hash out: output is for people and scripts, and the
/// key stays in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownAttachment {
    /// 1-based position in the message (what `download --index` takes).
    pub index: usize,
    pub descriptor: AttachmentDescriptor,
}

impl Serialize for ShownAttachment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let d = &self.descriptor;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("index", &self.index)?;
        map.serialize_entry("attachment_id", &d.attachment_id)?;
        map.serialize_entry("name", &d.name)?;
        map.serialize_entry("media_type", &d.media_type)?;
        map.serialize_entry("size", &d.size)?;
        if let Some(dim) = d.dimensions {
            map.serialize_entry("width", &dim.width)?;
            map.serialize_entry("height", &dim.height)?;
        }
        map.serialize_entry("thumbnail", &d.thumbnail.is_some())?;
        map.end()
    }
}

/// A message ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    pub position: i64,
    pub sender_id: Uuid,
    pub sender: String,
    pub server_ts: i64,
    #[serde(flatten)]
    pub content: Content,
}

/// The sender's pinned signing key (pinning it now if we never met them). Err is the reason
/// to show instead of the message.
pub(crate) async fn sender_sig_key(
    session: &Session,
    pins: &mut Pins,
    me: &Me,
    sender: Uuid,
) -> Result<(String, Vec<u8>), String> {
    if sender == me.id {
        return Ok((
            me.account.username().to_owned(),
            me.account.sig_public_spki().to_vec(),
        ));
    }
    if pins.get(sender).is_none() {
        let user = session
            .call(|api, t| async move { api.user_by_id(&t, sender).await })
            .await
            .map_err(|e| e.to_string())?;
        pins.check(&user).map_err(|e| e.to_string())?;
    }
    let pin = pins.get(sender).ok_or("sender unknown")?;
    Ok((
        pin.username.clone(),
        pin.sig_spki().map_err(|e| e.to_string())?,
    ))
}

/// Verifies and decrypts one history item or `message` event.
pub async fn open(session: &Session, pins: &mut Pins, me: &Me, item: &MessageItem) -> Shown {
    let mut shown = Shown {
        conversation_id: item.conversation_id,
        message_id: item.message_id,
        position: item.position,
        sender_id: item.sender_id,
        sender: item.sender_id.to_string(),
        server_ts: item.server_ts,
        content: Content::Deleted,
    };
    let key = sender_sig_key(session, pins, me, item.sender_id).await;
    if let Ok((name, _)) = &key {
        shown.sender = name.clone();
    } else if let Some(p) = pins.get(item.sender_id) {
        shown.sender = p.username.clone();
    }
    let Some(envelope) = item.envelope() else {
        return shown;
    };
    shown.content = match (envelope, key) {
        (Err(reason), _) | (_, Err(reason)) => Content::Unverified { reason },
        (Ok(received), Ok((_, sig))) => {
            let context = OpenContext {
                conversation_id: item.conversation_id,
                sender_id: item.sender_id,
                recipient_id: me.id,
                message_id: Some(item.message_id),
            };
            match crypto::open(&received, &context, &sig, &me.account) {
                Ok(opened) => decode(opened),
                Err(e) => Content::Unverified {
                    reason: e.to_string(),
                },
            }
        }
    };
    shown
}

impl Content {
    /// Verified and decrypted: the only kind of message a receipt may acknowledge.
    pub fn is_verified(&self) -> bool {
        matches!(self, Content::Verified { .. })
    }
}

fn decode(opened: crypto::OpenedMessage) -> Content {
    let content_type = opened.header.content_type().to_owned();
    let sent_at = opened.header.sent_at();
    let (envelope_version, legacy_v1) = (opened.header.version(), opened.is_legacy());
    let mut attachments = Vec::new();
    let text = if content_type == TEXT_PLAIN {
        match String::from_utf8(opened.plaintext) {
            Ok(t) => t,
            Err(_) => {
                return Content::Unverified {
                    reason: "text/plain message is not UTF-8".into(),
                }
            }
        }
    } else if content_type == AttachmentMessage::CONTENT_TYPE {
        // All or nothing (§11.4): one broken rule and nothing of the content is shown.
        match AttachmentMessage::parse(&opened.plaintext) {
            Ok(message) => {
                attachments = message
                    .attachments
                    .into_iter()
                    .enumerate()
                    .map(|(i, descriptor)| ShownAttachment {
                        index: i + 1,
                        descriptor,
                    })
                    .collect();
                message.text.unwrap_or_default()
            }
            Err(e) => {
                return Content::Unreadable {
                    reason: e.to_string(),
                }
            }
        }
    } else {
        format!("({content_type}, {} bytes)", opened.plaintext.len())
    };
    let empty = content_type == TEXT_PLAIN && text.trim().is_empty();
    Content::Verified {
        content_type,
        text,
        sent_at,
        envelope_version,
        legacy_v1,
        empty,
        attachments,
    }
}
