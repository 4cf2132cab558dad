//! Courier: an end-to-end-encrypted messaging server. The server never sees a password, a
//! private key or a plaintext; the client side of the protocol is `crates/courier-protocol` and
//! `crates/courier-client`, everything here is the server.
//!
//! # Layers
//!
//! Every `crate::` path points down this table or sideways within a row, never up, and the
//! modules' imports have no cycle (`tests/layering.rs` checks both):
//!
//! | layer        | modules                                                                      |
//! |--------------|------------------------------------------------------------------------------|
//! | 0 core       | `config`, `error`, `telemetry`, `tls`, `metrics`, `request`, `routing`       |
//! | 1 db         | `db`                                                                         |
//! | 2 events     | `events` (log, hub, payloads, outbox, sweep)                                 |
//! | 3 bus        | `bus` (cross-instance bus, and `bus::fanout`: where committed events go live) |
//! | 4 state      | `state` (the container handed to handlers)                                   |
//! | 5 features   | `accounts`, `attachments`, `audit`, `auth`, `conversations`, `messages`, `presence`, `sessions`, `stream` |
//! | 6 http       | `http` (all routes and the API document, headers, health, metrics server)    |
//! | 7 startup    | `startup` (the app factory)                                                  |
//!
//! A lower layer that needs something of a higher one takes it as a value: the bus loads a new
//! message through the `bus::LoadMessage` function `startup` hands it.

pub mod config;
pub mod error;
pub mod metrics;
pub mod request;
pub mod routing;
pub mod telemetry;
pub mod tls;

pub mod db;

pub mod events;

pub mod bus;

pub mod state;

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod conversations;
pub mod messages;
pub mod presence;
pub mod sessions;
pub mod stream;

pub mod http;

pub mod startup;
