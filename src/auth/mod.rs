//! Authentication: prelogin, registration, login, token refresh with reuse detection, logout.
//! The password never arrives here; clients send an auth key derived from it (docs/protocol.md §2.3, §2.7).

pub mod credentials;
pub mod cross_site;
pub mod extractor;
pub mod password;
pub mod routes;
pub mod signups;
pub mod throttle;
pub mod tokens;

pub use extractor::{AuthUser, SessionToCheck};
