//! Accounts: registration material, the stored user row, password change, recovery, deletion
//! and public lookup. The server holds only public keys, blobs wrapped under keys it never
//! sees, and bcrypt of client-derived auth keys.

pub mod fields;
pub mod models;
pub mod routes;
pub mod username;
