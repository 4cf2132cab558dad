//! The per-user event log and its live delivery (docs/protocol.md §7).
//!
//! Every persistent event of a user gets that user's next sequence number in the transaction
//! that writes it (`log::append_each`; for messages, the `courier_post_message` function), so
//! each log is gapless and commit-ordered. After commit the writer hands the new events to
//! `Delivery` (local streams at once, other instances through the bus). A stream remembers the
//! last seq it sent: the next one goes out at once, a jump is filled from the database, an old
//! one is dropped. The database is always the truth.

pub mod hub;
pub mod log;
pub mod outbox;
pub mod payload;
pub mod resume;
pub mod sweep;

pub use payload::{EventData, Payload};

use courier_protocol::ids::UserId;

/// One new event for one user, as handed to the live path after commit.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub user: UserId,
    pub seq: i64,
    /// `None` when the event is too big or unknown here: the stream fetches it from the log.
    pub payload: Option<Payload>,
}
