//! Contacts' keys, pinned on first use (TOFU), verified on request.
//!
//! Policy (docs/protocol.md §4): the first time we meet a user we check their keys (well formed, key
//! signature valid) and pin them. From then on the pinned keys are the only ones used, both to
//! encrypt to them and to check their signatures. If the server later hands out different
//! keys, the change is recorded as pending and [`ClientError::KeyChanged`] is raised: nothing
//! is sent to that contact until the user compares the new safety number and runs `verify`,
//! which pins the new keys as verified. The fingerprint is always computed here, never taken
//! from the server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ClientError, Result};
use super::store::Store;
use courier_protocol::crypto::{b64, fingerprint, validate_public_keys};
use courier_protocol::wire::PublicUser;

/// One contact's pinned keys (base64 SPKI DER, as on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub username: String,
    pub enc_public: String,
    pub sig_public: String,
    pub key_signature: String,
    pub fingerprint: String,
    /// True once the user compared safety numbers (`verify`).
    pub verified: bool,
    /// Keys the server handed out that differ from the pinned ones, awaiting `verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Box<Pin>>,
}

impl Pin {
    /// Checks a server answer and makes a pin of it (not yet verified).
    pub fn from_user(user: &PublicUser) -> Result<Self> {
        let enc = b64::decode("enc_public", &user.enc_public)?;
        let sig = b64::decode("sig_public", &user.sig_public)?;
        let ks = b64::decode("key_signature", &user.key_signature)?;
        validate_public_keys(&enc, &sig, &ks).map_err(|e| {
            ClientError::Protocol(format!("keys of {} refused: {e}", user.username))
        })?;
        Ok(Self {
            username: user.username.clone(),
            enc_public: user.enc_public.clone(),
            sig_public: user.sig_public.clone(),
            key_signature: user.key_signature.clone(),
            fingerprint: fingerprint(user.id, &enc, &sig),
            verified: false,
            pending: None,
        })
    }

    fn same_keys(&self, other: &Pin) -> bool {
        self.enc_public == other.enc_public && self.sig_public == other.sig_public
    }

    pub fn enc_spki(&self) -> Result<Vec<u8>> {
        Ok(b64::decode("enc_public", &self.enc_public)?)
    }

    pub fn sig_spki(&self) -> Result<Vec<u8>> {
        Ok(b64::decode("sig_public", &self.sig_public)?)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct PinFile {
    owner: Option<Uuid>,
    contacts: BTreeMap<Uuid, Pin>,
}

/// What [`Pins::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Never seen before: pinned now (trust on first use).
    FirstUse,
    /// The pinned keys, not verified.
    Pinned,
    /// The pinned keys, verified by the user.
    Verified,
}

/// The pin file of one account.
#[derive(Debug)]
pub struct Pins {
    store: Store,
    file: PinFile,
    owner: Uuid,
}

impl Pins {
    pub fn load(store: &Store, owner: Uuid) -> Result<Self> {
        let file: PinFile = store.read_pins()?.unwrap_or_default();
        let file = match file.owner {
            Some(o) if o == owner => file,
            // Another account's pins are never dropped silently: that would trust every contact
            // on first use again, and the account id comes from the server.
            Some(o) if !file.contacts.is_empty() => {
                return Err(ClientError::Usage(format!(
                    "this config folder holds the pinned keys of another account ({o}); use another --config-dir"
                )))
            }
            _ => PinFile { owner: Some(owner), ..Default::default() },
        };
        Ok(Self {
            store: store.clone(),
            file,
            owner,
        })
    }

    fn save(&self) -> Result<()> {
        self.store.write_pins(&self.file)
    }

    pub fn get(&self, user: Uuid) -> Option<&Pin> {
        self.file.contacts.get(&user)
    }

    pub fn all(&self) -> impl Iterator<Item = (&Uuid, &Pin)> {
        self.file.contacts.iter()
    }

    /// Compares what the server says now with the pin; pins on first use; records a change
    /// and refuses it.
    pub fn check(&mut self, user: &PublicUser) -> Result<Trust> {
        let seen = Pin::from_user(user)?;
        match self.file.contacts.get_mut(&user.id) {
            None => {
                self.file.contacts.insert(user.id, seen);
                self.save()?;
                Ok(Trust::FirstUse)
            }
            Some(pin) if pin.same_keys(&seen) => {
                let verified = pin.verified;
                if pin.pending.take().is_some() {
                    self.save()?;
                }
                Ok(if verified {
                    Trust::Verified
                } else {
                    Trust::Pinned
                })
            }
            Some(pin) => {
                if pin.pending.as_deref().is_none_or(|p| !p.same_keys(&seen)) {
                    pin.pending = Some(Box::new(seen));
                    self.save()?;
                }
                Err(ClientError::KeyChanged {
                    username: user.username.clone(),
                })
            }
        }
    }

    /// Pins `user`'s current keys as verified (replacing any earlier pin).
    pub fn accept(&mut self, user: &PublicUser) -> Result<Pin> {
        let mut pin = Pin::from_user(user)?;
        pin.verified = true;
        self.file.contacts.insert(user.id, pin.clone());
        self.save()?;
        Ok(pin)
    }

    /// Pins our own keys (from a checked login) as verified.
    pub fn pin_self(&mut self, me: &PublicUser) -> Result<()> {
        debug_assert_eq!(me.id, self.owner);
        self.accept(me).map(drop)
    }

    /// A contact whose key change awaits `verify`.
    pub fn has_pending_change(&self, user: Uuid) -> bool {
        self.get(user).is_some_and(|p| p.pending.is_some())
    }
}
