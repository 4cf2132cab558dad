//! Messages: signed, end-to-end-encrypted envelopes (docs/protocol.md §5) that the server checks as far
//! as it can without keys, stores once, and logs as one event per recipient. Also receipts
//! (cumulative read/delivered positions) and typing.

pub mod envelope;
pub mod models;
pub mod routes;

/// Largest message request body: 64 KiB of ciphertext plus up to 256 wrapped keys, in base64.
pub const BODY_LIMIT: usize = 512 * 1024;
