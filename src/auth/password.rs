//! bcrypt of the client's auth key, off the async workers and behind a gate.
//!
//! bcrypt at cost 12 costs ~250 ms of one core. Unbounded, a login flood would queue work on the
//! blocking pool forever; so at most `concurrency` hashes run at once, at most `queue` wait,
//! and the rest get 429 at once. Health checks and other requests never wait behind it.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    OnceLock,
};

use tokio::sync::Semaphore;

use crate::error::AppError;

pub struct BcryptGate {
    cost: u32,
    running: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    dummy: OnceLock<String>,
}

impl BcryptGate {
    pub fn new(cost: u32, concurrency: usize, queue: usize) -> Self {
        BcryptGate {
            cost,
            running: Semaphore::new(concurrency),
            waiting: AtomicUsize::new(0),
            max_waiting: queue,
            dummy: OnceLock::new(),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel)
            >= self.max_waiting + self.running.available_permits()
        {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::TooMany {
                retry_after_secs: 1,
            });
        }
        let permit = self.running.acquire().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let _permit = permit.map_err(|e| AppError::Internal(e.into()))?;
        Ok(actix_web::web::block(job).await?)
    }

    /// Hashes a (normalised, base64) auth key.
    pub async fn hash(&self, secret: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(move || bcrypt::hash(secret.as_bytes(), cost))
            .await?
            .map_err(|e| AppError::Internal(e.into()))
    }

    /// Verifies against `hash`, or against a dummy hash of the same cost when there is no
    /// account, so an unknown name costs the same time as a wrong key.
    pub async fn verify(&self, secret: String, hash: Option<String>) -> Result<bool, AppError> {
        let hash = match hash {
            Some(h) => h,
            None => self.dummy_hash().await?,
        };
        let real = self
            .run(move || bcrypt::verify(secret.as_bytes(), &hash).unwrap_or(false))
            .await?;
        Ok(real)
    }

    async fn dummy_hash(&self) -> Result<String, AppError> {
        if let Some(h) = self.dummy.get() {
            return Ok(h.clone());
        }
        let hash = self.hash(uuid::Uuid::new_v4().to_string()).await?;
        Ok(self.dummy.get_or_init(|| hash).clone())
    }
}

impl BcryptGate {
    /// Computes the dummy hash ahead of the first unknown-user login, so that one is not slower.
    pub async fn warm(&self) {
        if let Err(e) = self.dummy_hash().await {
            tracing::warn!(error = %e, "could not precompute the dummy bcrypt hash");
        }
    }
}
