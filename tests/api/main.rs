//! API integration tests: the real app over TLS against real PostgreSQL.

mod chat;
mod helpers;
mod sse;

mod account;
mod attachments;
mod contract;
mod auth_flow;
mod bad_input;
mod delivery;
mod enumeration;
mod messaging;
mod operations;
mod rate_limit;
mod social;
mod streams;
mod tokens;
