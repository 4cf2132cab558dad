//! A Courier API client for programs and the `courier-cli` binary: HTTPS calls (reqwest),
//! sessions that refresh themselves, the event stream with resume, trust-on-first-use key
//! pinning, and local state in a config folder. The cryptography is [`courier_protocol::crypto`]; this
//! module adds I/O and policy around it.
//!
//! Policy, in one place:
//! - Passwords and unwrapped private keys never touch the disk; the refresh token does, in a
//!   0600 file (see [`store`]). Commands that need keys ask for the password again.
//! - Keys are pinned on first use; a changed key blocks sending until verified (see [`pins`]).
//! - Every received message is verified against pinned keys before it is shown; failures are
//!   shown as "could not verify", never as text (see [`messaging`]).
//! - Attachments are encrypted while read from disk and verified before they are saved;
//!   transfers resume after a drop (see [`attachments`]).
//! - One error type, [`ClientError`], whose variants say what to do next.

pub mod account;
pub mod api;
pub mod attachments;
pub mod error;
pub mod listen;
pub mod messaging;
pub mod outbox;
pub mod pins;
pub mod series;
pub mod session;
pub mod sse;
pub mod store;

pub use api::{Api, Tls};
pub use error::{ClientError, Result};
pub use messaging::{Content, Me, Shown, ShownAttachment};
pub use pins::{Pin, Pins, Trust};
pub use session::Session;
pub use store::Store;
