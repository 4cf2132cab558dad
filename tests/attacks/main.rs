//! The adversarial suite: what an attacker would try against a running Courier, by family.
//! Each test states the attack in its name and asserts the defence holds. Shares the API
//! tests' helpers (the real app over TLS, a fresh PostgreSQL database per test).

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../api/sse.rs"]
#[allow(dead_code)]
mod sse;
#[path = "../api/chat.rs"]
#[allow(dead_code)]
mod chat;
mod process;

mod auth;
mod envelopes;
mod exhaustion;
mod headers;
mod keys;
mod stream;
mod tokens;
