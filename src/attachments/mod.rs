//! Attachments (docs/protocol.md §8, §11): opaque ciphertext uploaded by a user, resumably, and
//! served to the uploader and to the members of every conversation in which a message
//! referencing it was posted. The server learns sizes, times and who may fetch; never a key or
//! a byte of content.
//!
//! Policy: PostgreSQL is the source of truth (which bytes are committed, who may read them);
//! the object store only holds bytes, one object per committed part. Rows go first and objects
//! after, so a crash in between leaves unreachable objects, never a row pointing at nothing
//! that could be half-served. Nothing is served before every byte is committed.

pub mod models;
pub mod routes;
pub mod store;
pub mod sweep;

/// At most this many attachments may be referenced by one message.
pub const MAX_PER_MESSAGE: usize = 10;
