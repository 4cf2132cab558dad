//! Cross-cutting HTTP pieces: security headers, request metadata, the socket under a request,
//! health, API docs.

pub mod body;
pub mod conn;
pub mod docs;
pub mod headers;
pub mod health;
pub mod meta;
