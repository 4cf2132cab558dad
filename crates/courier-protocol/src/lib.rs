//! The Courier protocol, written once (docs/protocol.md is its specification). The server, the
//! client library, the CLI, the load generator and the fuzz targets all use this crate, so a
//! rule is never written twice and a client never compiles the server.
//!
//! Pure: no I/O, no async, no framework. [`crypto`] derives keys, wraps, seals and opens;
//! [`crypto::header`] is the one parser of the canonical envelope header; [`limits`] holds every
//! protocol constant (the browser reads the same values from a generated JSON file);
//! [`events`] names the event-stream vocabulary; [`wire`] the JSON shapes of the HTTP API as
//! clients read them; [`ids`] the typed ids.

pub mod canonical;
pub mod crypto;
pub mod events;
pub mod ids;
pub mod limits;
pub mod series;
pub mod wire;
