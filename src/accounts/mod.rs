//! Accounts: registration material, the stored user row, password change, recovery, deletion
//! and public lookup. The server holds only public keys, blobs wrapped under keys it never
//! sees, and bcrypt of client-derived auth keys.

pub mod fields;
pub mod models;
pub mod routes;
pub mod username;

/// Hook run inside the deletion transaction before the user row goes: lets the messaging
/// feature tell the other members (a no-op until conversations exist).
pub fn before_delete(conn: &mut diesel::PgConnection, user: crate::ids::UserId) -> Result<(), crate::error::AppError> {
    let _ = (conn, user);
    Ok(())
}
