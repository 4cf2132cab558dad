//! Database access: the r2d2 pool, embedded migrations, and [`run`], the one way handlers
//! reach diesel — always on the blocking thread pool, never on an async worker.

pub mod schema;

use diesel::{
    pg::PgConnection,
    r2d2::{ConnectionManager, Pool as R2d2Pool, PooledConnection},
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

use crate::error::AppError;

pub type Pool = R2d2Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds the pool without connecting, so an instance can start (and answer `/readyz` with 503)
/// while the database is briefly away; requests then fail fast with 503 instead of hanging.
pub fn pool(database_url: &str, size: u32) -> Pool {
    let manager = ConnectionManager::<PgConnection>::new(database_url);
    R2d2Pool::builder()
        .max_size(size)
        .min_idle(Some(2.min(size)))
        .connection_timeout(Duration::from_secs(3))
        .test_on_check_out(false)
        .build_unchecked(manager)
}

/// Applies every pending migration; returns how many ran.
pub fn migrate(conn: &mut PgConnection) -> anyhow::Result<usize> {
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(applied.len())
}

/// Runs `f` with a pooled connection on the blocking pool.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Like [`run`], inside one transaction: all of it is written, or none of it.
pub async fn transaction<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    use diesel::Connection;
    run(pool, move |conn| conn.transaction(f)).await
}
