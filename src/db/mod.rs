//! Database access: the r2d2 pool, embedded migrations, and [`run`], the one way handlers
//! reach diesel — always on the blocking thread pool, never on an async worker.

pub mod schema;

use diesel::{
    pg::PgConnection,
    r2d2::{ConnectionManager, ManageConnection, Pool as R2d2Pool, PooledConnection},
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

use crate::error::AppError;

pub type Pool = R2d2Pool<Manager>;
pub type Conn = PooledConnection<Manager>;

/// A pooled connection that remembers whether it lost its server.
///
/// diesel reports a dead connection only as a query error and r2d2 would hand it out again and
/// again; marking it here lets the pool drop it, so the app recovers by itself once the
/// database is back (after a restart or failover) instead of failing until the idle timeout.
pub struct Connection {
    inner: PgConnection,
    lost: bool,
}

impl std::ops::Deref for Connection {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.inner
    }
}

pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = Connection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Connection, Self::Error> {
        Ok(Connection {
            inner: self.0.connect()?,
            lost: false,
        })
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), Self::Error> {
        self.0.is_valid(&mut conn.inner)
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.lost || self.0.has_broken(&mut conn.inner)
    }
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds the pool without connecting, so an instance can start (and answer `/readyz` with 503)
/// while the database is briefly away; requests then fail fast with 503 instead of hanging.
pub fn pool(database_url: &str, size: u32) -> Pool {
    let manager = Manager(ConnectionManager::<PgConnection>::new(database_url));
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
        let result = f(&mut conn.inner);
        if matches!(result, Err(AppError::Unavailable(_))) {
            conn.lost = true;
        }
        result
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
