//! Courier: an end-to-end-encrypted messaging server. The server never sees a password, a
//! private key or a plaintext; `crypto` is the client side of the protocol (used by the CLI,
//! the tests and the benchmark), everything else is the server.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod config;
pub mod conversations;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod messages;
pub mod metrics;
pub mod presence;
pub mod sessions;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
