//! Cross-cutting HTTP pieces: security headers, request metadata, health, API docs.

pub mod body;
pub mod docs;
pub mod headers;
pub mod health;
pub mod meta;
