//! What the test suites (and the load generator) share that does not need the server:
//! hand-built key encodings for the key-policy tests ([`spki`]) and envelopes of random bytes
//! under valid headers ([`envelope`]). Helpers that start the server (a test app on a fresh
//! database) live with the server's tests in `tests/api/helpers.rs`, since only the server's
//! own tests can build it.

pub mod envelope;
pub mod spki;
