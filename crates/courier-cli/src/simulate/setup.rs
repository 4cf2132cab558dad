//! Simulator set-up: many accounts cheaply, paired into direct conversations.
//!
//! Policy: one RSA key generation and one PBKDF2 for the whole run; every simulated user gets
//! a clone of those keys wrapped under their own name ([`RegistrationMaterial::from_parts`]).
//! The server only checks that keys are well formed, so this exercises exactly the server
//! paths real users do. Registration and login still cost a bcrypt each on the server: run
//! the server with `BCRYPT_COST=4` for load tests. 429s (bcrypt queue full) are retried.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{stream, StreamExt, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use courier_client::{Api, ClientError, Me, Result, Session};
use courier_protocol::crypto::{new_salt, AccountKeys, PasswordKeys, RegistrationMaterial};
use courier_protocol::limits::MIN_ITERATIONS;

/// One simulated user, signed in (tokens in memory only).
pub struct SimUser {
    pub session: Session,
    pub me: Me,
}

/// A direct conversation between users `a` and `b` (indexes into the user list).
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub conversation: Uuid,
    pub a: usize,
    pub b: usize,
}

/// Retries a call the server refused with 429 (bcrypt queue full), up to a minute.
pub async fn retrying<T, Fut: std::future::Future<Output = Result<T>>>(
    f: impl Fn() -> Fut,
) -> Result<T> {
    let mut waited = Duration::ZERO;
    loop {
        match f().await {
            Err(ClientError::RateLimited { retry_after }) if waited < Duration::from_secs(60) => {
                let wait = Duration::from_millis(retry_after.unwrap_or(1).max(1) * 250);
                tokio::time::sleep(wait).await;
                waited += wait;
            }
            other => return other,
        }
    }
}

fn spinner(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// Registers and logs in `n` users named `<prefix>_<run>_<i>`.
pub async fn users(api: &Api, prefix: &str, n: usize, hidden: bool) -> Result<Vec<Arc<SimUser>>> {
    let run = &Uuid::new_v4().simple().to_string()[..8];
    let (keys, salt, password) = tokio::task::spawn_blocking(|| -> Result<_> {
        let salt = new_salt()?;
        let password = Uuid::new_v4().to_string();
        let pk = PasswordKeys::derive(&password, &salt, MIN_ITERATIONS)?;
        Ok((AccountKeys::generate()?, salt, pk))
    })
    .await
    .expect("key generation task")?;
    let pb = spinner(n as u64, "registering");
    if hidden {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let users: Vec<Arc<SimUser>> = stream::iter(0..n)
        .map(|i| {
            let name = format!("{prefix}_{run}_{i}");
            let (keys, password, pb) = (keys.clone(), password.clone(), pb.clone());
            async move {
                let material = RegistrationMaterial::from_parts(
                    &name,
                    &salt,
                    MIN_ITERATIONS,
                    password,
                    keys,
                    None,
                )?;
                retrying(|| api.register(&material.request)).await?;
                let auth = material.password_keys.auth_key_b64();
                let login = retrying(|| api.login(&name, &auth)).await?;
                let session = Session::from_login(api.clone(), &login, None)?;
                pb.inc(1);
                Ok::<_, ClientError>(Arc::new(SimUser {
                    me: Me {
                        id: login.user.id,
                        account: material.account,
                    },
                    session,
                }))
            }
        })
        .buffered(8)
        .try_collect()
        .await?;
    pb.finish_and_clear();
    Ok(users)
}

/// Pairs users 0–1, 2–3, …; with an odd count the last one also talks to user 0.
pub async fn pairs(users: &[Arc<SimUser>]) -> Result<Vec<Pair>> {
    let mut plan = Vec::new();
    for a in (0..users.len()).step_by(2) {
        let b = if a + 1 < users.len() { a + 1 } else { 0 };
        if a != b {
            plan.push((a, b));
        }
    }
    stream::iter(plan)
        .map(|(a, b)| async move {
            let other = users[b].me.id;
            let s = &users[a].session;
            let c = s
                .call(|api, t| async move { api.create_conversation(&t, &[other], None).await })
                .await?;
            Ok::<_, ClientError>(Pair {
                conversation: c.id,
                a,
                b,
            })
        })
        .buffered(8)
        .try_collect()
        .await
}
