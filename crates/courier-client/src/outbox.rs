//! A durable outbox of sealed messages (docs/protocol.md §12.2): what `emit` has sealed but the
//! server has not yet acknowledged, kept in the config folder so that a killed emitter, a
//! restarted server or a dropped network loses nothing. An entry is written (fsync, rename)
//! before its first post and removed only after a `201`; posting the same envelope again is
//! safe because the server answers a repeat of a stored `message_id` with the same `201` and
//! delivers nothing twice.
//!
//! Layout: `outbox/<owner>/<conversation>/<stream>/` holds `state.json` (the next `seq`) and one
//! `<seq>.json` per pending batch. Only ciphertext is written: a batch that must be sealed again
//! (the members changed) is recovered by opening the sender's own copy of the envelope.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ClientError, Result};
use crate::store::Store;
use courier_protocol::crypto::Envelope;

/// One sealed, unacknowledged batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub seq: u64,
    pub message_id: Uuid,
    pub envelope: Envelope,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    next_seq: u64,
}

/// The outbox of one `(owner, conversation, stream)`.
#[derive(Debug, Clone)]
pub struct Outbox {
    store: Store,
    dir: PathBuf,
}

impl Outbox {
    /// The outbox of `stream` (a valid stream id, so a safe folder name) in `conversation`.
    pub fn open(store: &Store, owner: Uuid, conversation: Uuid, stream: &str) -> Result<Self> {
        if !courier_protocol::series::is_valid_stream_id(stream) || stream.starts_with('.') {
            return Err(ClientError::Usage(format!(
                "stream id {stream:?}: use 1-64 of A-Z a-z 0-9 . _ : - (not starting with .)"
            )));
        }
        Ok(Outbox {
            store: store.clone(),
            dir: Path::new("outbox")
                .join(owner.to_string())
                .join(conversation.to_string())
                .join(stream),
        })
    }

    fn entry(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.json"))
    }

    /// The sequence number the next new batch gets: one past every batch ever written here.
    pub fn next_seq(&self) -> Result<u64> {
        let state: State = self
            .store
            .read_at(&self.dir.join("state.json"))?
            .unwrap_or_default();
        let after_pending = self.pending()?.last().map_or(0, |p| p.seq + 1);
        Ok(state.next_seq.max(after_pending))
    }

    /// Writes a new batch (before it is first posted) and moves `next_seq` past it.
    pub fn push(&self, pending: &Pending) -> Result<()> {
        self.store.write_at(&self.entry(pending.seq), pending)?;
        self.store.write_at(
            &self.dir.join("state.json"),
            &State {
                next_seq: pending.seq + 1,
            },
        )
    }

    /// Replaces a batch's envelope (sealed again for new members, same `message_id`).
    pub fn replace(&self, pending: &Pending) -> Result<()> {
        self.store.write_at(&self.entry(pending.seq), pending)
    }

    /// The server acknowledged this batch.
    pub fn remove(&self, seq: u64) -> Result<()> {
        self.store.remove_at(&self.entry(seq))
    }

    /// Every unacknowledged batch, in `seq` order.
    pub fn pending(&self) -> Result<Vec<Pending>> {
        let mut names: Vec<String> = self
            .store
            .list_at(&self.dir)?
            .into_iter()
            .filter(|n| {
                n.len() == 25 && n.ends_with(".json") && n[..20].bytes().all(|b| b.is_ascii_digit())
            })
            .collect();
        names.sort();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            if let Some(p) = self.store.read_at::<Pending>(&self.dir.join(&name))? {
                out.push(p);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use courier_protocol::crypto::Envelope;

    fn envelope() -> Envelope {
        serde_json::from_value(serde_json::json!({
            "header": "{}", "iv": "AAAAAAAAAAAAAAAA", "ciphertext": "AA==", "signature": "AA==", "keys": []
        }))
        .unwrap()
    }

    #[test]
    fn batches_survive_a_restart_in_order_and_seq_never_goes_back() {
        let dir = std::env::temp_dir().join(format!("courier-outbox-{}", Uuid::new_v4()));
        let store = Store::locate(Some(dir.clone())).unwrap();
        let (owner, conv) = (Uuid::new_v4(), Uuid::new_v4());
        let outbox = Outbox::open(&store, owner, conv, "lab-1").unwrap();
        assert_eq!(outbox.next_seq().unwrap(), 0);
        for seq in [0, 1, 2, 10] {
            let p = Pending {
                seq,
                message_id: Uuid::new_v4(),
                envelope: envelope(),
            };
            outbox.push(&p).unwrap();
        }
        outbox.remove(1).unwrap();
        outbox.remove(10).unwrap();
        // A new process: same folder.
        let again = Outbox::open(
            &Store::locate(Some(dir.clone())).unwrap(),
            owner,
            conv,
            "lab-1",
        )
        .unwrap();
        let seqs: Vec<u64> = again.pending().unwrap().iter().map(|p| p.seq).collect();
        assert_eq!(seqs, vec![0, 2]);
        assert_eq!(
            again.next_seq().unwrap(),
            11,
            "acknowledged batches keep their numbers"
        );
        assert!(Outbox::open(&store, owner, conv, "../x").is_err());
        assert!(Outbox::open(&store, owner, conv, ".hidden").is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
