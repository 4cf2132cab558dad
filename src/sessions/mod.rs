//! Sessions: one per login of one device. A session owns a rotating refresh token (stored only
//! as its SHA-256) and names every access token issued under it, so revoking it ends them all.

pub mod routes;
pub mod store;
