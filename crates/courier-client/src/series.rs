//! Telemetry series over Courier (docs/protocol.md §12): the emitter's sending side (seal each
//! batch for the members, keep it in the [`Outbox`], post in order until acknowledged) and the
//! reader's side (open, verify and parse batches; duplicates and gaps per stream).
//!
//! Policy: a batch is sealed and written to the outbox before it is first posted, and leaves
//! it only after a `201`; transient failures (unreachable server, `5xx`, `429`) are retried
//! with backoff forever, so a server restart or a network drop only delays batches. A changed
//! member key stops sending (the batches wait in the outbox) exactly as for text messages.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use tokio::sync::Notify;
use uuid::Uuid;

use crate::error::{ClientError, Result};
use crate::messaging::{self, now_ms, Me};
use crate::outbox::{Outbox, Pending};
use crate::pins::Pins;
use crate::session::Session;
use courier_protocol::crypto::{self, Envelope, Header, OpenContext};
use courier_protocol::limits::SERIES_CONTENT_TYPE;
use courier_protocol::series::SeriesBatch;
use courier_protocol::wire::{Conversation, MessageItem};

/// Counters an emitter's status line shows.
#[derive(Debug, Default)]
pub struct Stats {
    /// Points put into batches.
    pub points: AtomicU64,
    /// Batches sealed (and written to the outbox).
    pub batches: AtomicU64,
    /// Batches the server acknowledged.
    pub acknowledged: AtomicU64,
    /// Posts that failed and will be retried.
    pub retries: AtomicU64,
    /// The last transient failure, for the status line.
    pub last_error: Mutex<Option<String>>,
}

/// What is sealed for whom: the conversation and its members' checked keys.
struct Recipients {
    conversation: Conversation,
    keys: Vec<(Uuid, Vec<u8>)>,
}

/// The sending side of one stream into one conversation.
pub struct Emitter {
    session: Session,
    me: Me,
    pins: tokio::sync::Mutex<Pins>,
    recipients: tokio::sync::Mutex<Recipients>,
    outbox: Outbox,
    wake: Notify,
    pub stats: Stats,
}

/// Whether a failed post is worth trying again unchanged.
fn transient(e: &ClientError) -> bool {
    matches!(
        e,
        ClientError::Unreachable { .. } | ClientError::RateLimited { .. }
    ) || matches!(e, ClientError::Api { status, .. } if *status >= 500 || *status == 408 || *status == 429)
}

impl Emitter {
    /// An emitter for `stream` in `conversation`; checks every member's key against its pin.
    pub async fn new(
        session: Session,
        me: Me,
        mut pins: Pins,
        conversation: Conversation,
        outbox: Outbox,
    ) -> Result<Arc<Self>> {
        let keys = recipient_keys(&session, &mut pins, &me, &conversation).await?;
        Ok(Arc::new(Emitter {
            session,
            me,
            pins: tokio::sync::Mutex::new(pins),
            recipients: tokio::sync::Mutex::new(Recipients { conversation, keys }),
            outbox,
            wake: Notify::new(),
            stats: Stats::default(),
        }))
    }

    /// The `seq` the next batch gets (one past every batch this outbox ever held).
    pub fn next_seq(&self) -> Result<u64> {
        self.outbox.next_seq()
    }

    /// Batches sealed but not yet acknowledged (from this run or an earlier one).
    pub fn unacknowledged(&self) -> Result<usize> {
        Ok(self.outbox.pending()?.len())
    }

    /// Seals a batch's canonical plaintext, writes it to the outbox, and wakes the poster.
    pub async fn enqueue(&self, seq: u64, plaintext: &[u8], points: usize) -> Result<()> {
        let message_id = Uuid::new_v4();
        let envelope = {
            let r = self.recipients.lock().await;
            self.seal(&r, message_id, plaintext)?
        };
        self.outbox.push(&Pending {
            seq,
            message_id,
            envelope,
        })?;
        self.stats
            .points
            .fetch_add(points as u64, Ordering::Relaxed);
        self.stats.batches.fetch_add(1, Ordering::Relaxed);
        self.wake.notify_one();
        Ok(())
    }

    fn seal(&self, r: &Recipients, message_id: Uuid, plaintext: &[u8]) -> Result<Envelope> {
        let header = Header::new(
            r.conversation.id,
            message_id,
            self.me.id,
            r.keys.iter().map(|(id, _)| *id),
            SERIES_CONTENT_TYPE,
            now_ms(),
        )?;
        Ok(crypto::seal(&header, plaintext, &self.me.account, &r.keys)?)
    }

    /// Posts the outbox in `seq` order until it is empty, then waits for more; returns only on
    /// an error that retrying cannot fix (a changed key, a refused batch, a lost session).
    pub async fn run_poster(self: Arc<Self>) -> Result<()> {
        loop {
            // Registered before looking, so a batch enqueued meanwhile is not missed.
            let woken = self.wake.notified();
            let pending = self.outbox.pending()?;
            if pending.is_empty() {
                woken.await;
                continue;
            }
            for p in pending {
                self.post_until_acknowledged(p).await?;
            }
        }
    }

    async fn post_until_acknowledged(&self, mut p: Pending) -> Result<()> {
        let mut backoff = Duration::from_millis(100);
        loop {
            let conversation = self.recipients.lock().await.conversation.id;
            let envelope = &p.envelope;
            let result = self
                .session
                .call(
                    |api, t| async move { api.post_message(&t, conversation, envelope, &[]).await },
                )
                .await;
            match result {
                Ok(_) => {
                    self.outbox.remove(p.seq)?;
                    self.stats.acknowledged.fetch_add(1, Ordering::Relaxed);
                    *self.stats.last_error.lock().unwrap() = None;
                    return Ok(());
                }
                Err(ClientError::Api {
                    status: 409, code, ..
                }) if code == "recipients_mismatch" => {
                    // Nothing was stored: seal the same plaintext for the members as they are
                    // now, under the same message id (§12.2 step 4).
                    self.reload_recipients().await?;
                    p.envelope = self.reseal(&p).await?;
                    self.outbox.replace(&p)?;
                }
                Err(e) if transient(&e) => {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                    *self.stats.last_error.lock().unwrap() = Some(e.to_string());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn reload_recipients(&self) -> Result<()> {
        let id = self.recipients.lock().await.conversation.id;
        let conversation = self
            .session
            .call(|api, t| async move { api.conversation(&t, id).await })
            .await?;
        let keys = {
            let mut pins = self.pins.lock().await;
            recipient_keys(&self.session, &mut pins, &self.me, &conversation).await?
        };
        *self.recipients.lock().await = Recipients { conversation, keys };
        Ok(())
    }

    /// The plaintext of our own sealed batch (we are always a recipient), sealed again.
    async fn reseal(&self, p: &Pending) -> Result<Envelope> {
        let own = p.envelope.for_recipient(self.me.id).ok_or_else(|| {
            ClientError::Protocol("an outbox batch is not sealed for its sender".into())
        })?;
        let r = self.recipients.lock().await;
        let context = OpenContext {
            conversation_id: r.conversation.id,
            sender_id: self.me.id,
            recipient_id: self.me.id,
            message_id: Some(p.message_id),
        };
        let opened = crypto::open(
            &own,
            &context,
            self.me.account.sig_public_spki(),
            &self.me.account,
        )?;
        self.seal(&r, p.message_id, &opened.plaintext)
    }

    /// Waits until the outbox is empty or `limit` passes; `true` if it emptied.
    pub async fn drain(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.outbox.pending().map(|p| p.is_empty()).unwrap_or(false) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn recipient_keys(
    session: &Session,
    pins: &mut Pins,
    me: &Me,
    conversation: &Conversation,
) -> Result<Vec<(Uuid, Vec<u8>)>> {
    let mut keys = messaging::member_keys(session, pins, me.id, conversation).await?;
    keys.push((me.id, me.account.enc_public_spki().to_vec()));
    Ok(keys)
}

/// A batch as a reader got it.
#[derive(Debug, Clone)]
pub enum ReadBatch {
    /// Verified and valid.
    Batch {
        sender_id: Uuid,
        sender: String,
        server_ts: i64,
        batch: SeriesBatch,
    },
    /// A series message that failed to verify or to parse: reported, never plotted.
    Refused {
        message_id: Uuid,
        sender_id: Uuid,
        reason: String,
    },
}

/// Opens one history item if it is a series batch; `None` for any other content type and for
/// deleted messages.
pub async fn open_batch(
    session: &Session,
    pins: &mut Pins,
    me: &Me,
    item: &MessageItem,
) -> Option<ReadBatch> {
    let refused = |reason: String| ReadBatch::Refused {
        message_id: item.message_id,
        sender_id: item.sender_id,
        reason,
    };
    let received = match item.envelope()? {
        Ok(r) => r,
        Err(reason) => return Some(refused(reason)),
    };
    // Cheap pre-check so text messages are not opened twice by callers that show both.
    let header = Header::parse(&received.header).ok()?;
    if header.content_type() != SERIES_CONTENT_TYPE {
        return None;
    }
    let (sender, sig) = match messaging::sender_sig_key(session, pins, me, item.sender_id).await {
        Ok(k) => k,
        Err(reason) => return Some(refused(reason)),
    };
    let context = OpenContext {
        conversation_id: item.conversation_id,
        sender_id: item.sender_id,
        recipient_id: me.id,
        message_id: Some(item.message_id),
    };
    let opened = match crypto::open(&received, &context, &sig, &me.account) {
        Ok(o) => o,
        Err(e) => return Some(refused(e.to_string())),
    };
    Some(match SeriesBatch::parse(&opened.plaintext) {
        Ok(batch) => ReadBatch::Batch {
            sender_id: item.sender_id,
            sender,
            server_ts: item.server_ts,
            batch,
        },
        Err(e) => refused(e.to_string()),
    })
}
