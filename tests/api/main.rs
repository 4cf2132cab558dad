//! API integration tests: the real app over TLS against real PostgreSQL.

mod helpers;

mod account;
mod auth_flow;
mod bad_input;
mod enumeration;
mod operations;
mod rate_limit;
mod tokens;
