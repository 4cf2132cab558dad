//! What the test suites share that does not need the server: hand-built key encodings for the
//! key-policy tests of the protocol crate and the server's attack suite ([`spki`]). Helpers
//! that start the server (a test app on a fresh database) live with the server's tests in
//! `tests/api/helpers.rs`, since only the server's own tests can build it.

pub mod spki;
