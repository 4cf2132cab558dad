//! Typed settings read once from the environment (and `.env`), validated at boot so a bad
//! deployment fails loudly at start instead of at the first request. Secrets are wrapped in
//! [`Secret`], whose `Debug` prints `***`, so a settings dump can never leak them.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

/// A string that must never reach a log line.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How instances wake each other's streams (docs/protocol.md §7; README "Cluster"). The database stays the source of truth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusKind {
    /// PostgreSQL LISTEN/NOTIFY on the main database: nothing extra to run.
    Postgres,
    /// Redis pub/sub at this URL.
    Redis(String),
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: Secret,
    pub listen_addr: SocketAddr,
    /// `None` serves plain HTTP: only for running behind a TLS-terminating proxy.
    pub tls: Option<TlsFiles>,
    pub jwt_secret: Secret,
    pub prelogin_secret: Secret,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub bcrypt_cost: u32,
    pub bcrypt_concurrency: usize,
    pub bcrypt_queue: usize,
    pub login_failures_per_account: i64,
    pub login_failures_per_ip: i64,
    pub login_failure_window: Duration,
    pub trust_proxy_headers: bool,
    pub static_dir: PathBuf,
    pub workers: usize,
    pub db_pool_size: u32,
    pub bus: BusKind,
    pub max_streams_per_user: usize,
    pub stream_queue: usize,
    pub heartbeat: Duration,
    /// A stream whose client has not read for this long is cut off.
    pub stream_stall_timeout: Duration,
    /// Bytes of events that may wait for one stream's client to read them; beyond, the stream
    /// waits (and is cut off after `stream_stall_timeout`).
    pub stream_buffer_bytes: usize,
    /// Concurrent event streams from one client address, across instances (429 beyond).
    pub max_streams_per_address: usize,
    /// Registrations (attempts) one client address may make per minute, across instances.
    pub registrations_per_address_per_minute: i64,
    /// How often every local stream is checked against its log (safety net for lost wake-ups).
    pub sweep_interval: Duration,
    pub instance_id: String,
    /// On SIGTERM: how long in-flight requests get to finish before the process exits anyway.
    pub drain_timeout: Duration,
    // --- auth hardening (issue 10: login reservations, cross-site refresh, refresh grace) ---
    /// Failed logins still allowed, per account and window, from an address that has signed in
    /// to that account before, once strangers have used up the account's own limit.
    pub login_known_allowance: i64,
    /// How long an address stays "known" after its last successful sign-in.
    pub login_known_ttl: Duration,
    /// How long a just-rotated refresh token still answers with its successor (two tabs
    /// refreshing at once) before presenting it again counts as theft.
    pub refresh_grace: Duration,
    /// The origins (`https://host[:port]`) the browser app is served from. Empty: the request's
    /// own `https://` + Host. Cookie-authenticated requests from any other origin are refused.
    pub public_origins: Vec<String>,
    /// Where `/metrics` is served (plain HTTP, never on the app's port); `None` = not at all.
    pub metrics_addr: Option<SocketAddr>,
    // --- attachments (issue 12) ---
    /// Where attachment ciphertext lives: `file:///abs/dir` or `s3://bucket[/prefix]`.
    pub attachments_url: AttachmentsUrl,
    /// Largest attachment file (plaintext bytes); an upload may declare its ciphertext size.
    pub attachment_max_bytes: u64,
    /// Total declared bytes of one user's attachments, uploads in progress included.
    pub attachment_quota_bytes: u64,
    /// How long an upload that no message references is kept.
    pub attachment_unreferenced_ttl: Duration,
}

/// `ATTACHMENTS_URL`, checked at boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachmentsUrl {
    /// A local directory (created at start). The default, `.data/attachments`.
    Local(PathBuf),
    /// An S3-compatible bucket; credentials, region and endpoint come from the usual `AWS_*`
    /// variables (`AWS_ENDPOINT`, `AWS_ALLOW_HTTP` for a local S3 server).
    S3 { bucket: String, prefix: String },
}

impl AttachmentsUrl {
    /// `file:///absolute/dir` or `s3://bucket[/prefix]`.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        if let Some(path) = value.strip_prefix("file://") {
            let path = PathBuf::from(path);
            if !path.is_absolute() {
                return Err(bad("ATTACHMENTS_URL file:// needs an absolute path (file:///srv/courier/attachments)"));
            }
            return Ok(AttachmentsUrl::Local(path));
        }
        if let Some(rest) = value.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() || bucket.contains(['?', '#', ' ']) || prefix.contains(['?', '#']) {
                return Err(bad("ATTACHMENTS_URL must look like s3://bucket[/prefix]"));
            }
            return Ok(AttachmentsUrl::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        Err(bad("ATTACHMENTS_URL must be file:///absolute/dir or s3://bucket[/prefix]"))
    }
}

#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

fn bad(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// Reads a variable; an unset or empty one is `None`.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| bad(format!("{name}={v:?} is not valid"))),
    }
}

fn flag(name: &str, default: bool) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(bad(format!("{name}={other:?} must be true or false"))),
    }
}

/// The smallest per-stream byte budget: room for one message event of the largest size.
pub const MIN_STREAM_BUFFER_BYTES: usize = 256 * 1024;

impl Settings {
    /// Loads `.env` (if present) and the environment, and validates everything.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);

        let database_url = var("DATABASE_URL")
            .ok_or_else(|| bad("DATABASE_URL is missing (postgres://user:pass@host/db)"))?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(bad(
                "DATABASE_URL must start with postgres:// or postgresql://",
            ));
        }

        let jwt_secret = var("JWT_SECRET").ok_or_else(|| {
            bad("JWT_SECRET is missing: set at least 32 random characters (scripts/run.sh makes one)")
        })?;
        if jwt_secret.len() < 32 {
            return Err(bad(
                "JWT_SECRET is too short: use at least 32 random characters",
            ));
        }
        // Kept apart from the JWT secret so rotating one does not change the fake salts
        // (a changed fake salt would tell an observer that the name is not registered).
        let prelogin_secret =
            var("PRELOGIN_SECRET").unwrap_or_else(|| format!("prelogin|{jwt_secret}"));
        if prelogin_secret.len() < 32 {
            return Err(bad(
                "PRELOGIN_SECRET is too short: use at least 32 random characters",
            ));
        }

        let listen_addr: SocketAddr =
            parsed("LISTEN_ADDR", "127.0.0.1:8443".parse().expect("literal"))?;
        let tls = if flag("PLAIN_HTTP", false)? {
            None
        } else {
            let cert =
                PathBuf::from(var("TLS_CERT").unwrap_or_else(|| "certs/localhost.crt".into()));
            let key =
                PathBuf::from(var("TLS_KEY").unwrap_or_else(|| "certs/localhost.key.pem".into()));
            for (what, path) in [("TLS_CERT", &cert), ("TLS_KEY", &key)] {
                std::fs::metadata(path).map_err(|e| {
                    bad(format!(
                        "{what} {} is unreadable ({e}); run `courier gen-cert` or scripts/run.sh",
                        path.display()
                    ))
                })?;
            }
            Some(TlsFiles { cert, key })
        };

        let access_ttl: u64 = parsed("ACCESS_TOKEN_TTL_SECS", 900)?;
        if !(10..=900).contains(&access_ttl) {
            return Err(bad(
                "ACCESS_TOKEN_TTL_SECS must be between 10 and 900 (15 minutes)",
            ));
        }
        let refresh_days: u64 = parsed("REFRESH_TOKEN_TTL_DAYS", 30)?;

        let bcrypt_cost: u32 = parsed("BCRYPT_COST", 12)?;
        if !(4..=31).contains(&bcrypt_cost) {
            return Err(bad("BCRYPT_COST must be between 4 and 31"));
        }
        if bcrypt_cost < 10 {
            tracing::warn!(
                bcrypt_cost,
                "!!! BCRYPT_COST below 10 makes stolen auth hashes cheap to attack: load tests only !!!"
            );
        }

        let bus = match var("BUS_URL") {
            None => BusKind::Postgres,
            Some(url) if url == "postgres" => BusKind::Postgres,
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                BusKind::Redis(url)
            }
            Some(_) => {
                return Err(bad(
                    "BUS_URL must be unset, `postgres`, or redis://host:port",
                ))
            }
        };

        Ok(Settings {
            database_url: Secret::new(database_url),
            listen_addr,
            tls,
            jwt_secret: Secret::new(jwt_secret),
            prelogin_secret: Secret::new(prelogin_secret),
            access_token_ttl: Duration::from_secs(access_ttl),
            refresh_token_ttl: Duration::from_secs(refresh_days * 86_400),
            bcrypt_cost,
            bcrypt_concurrency: parsed("BCRYPT_CONCURRENCY", cpus.max(1))?.max(1),
            bcrypt_queue: parsed("BCRYPT_QUEUE", 32)?,
            login_failures_per_account: parsed("LOGIN_FAILURES_PER_ACCOUNT", 10)?,
            login_failures_per_ip: parsed("LOGIN_FAILURES_PER_IP", 50)?,
            login_failure_window: Duration::from_secs(parsed("LOGIN_FAILURE_WINDOW_SECS", 900)?),
            trust_proxy_headers: flag("TRUST_PROXY_HEADERS", false)?,
            static_dir: PathBuf::from(var("STATIC_DIR").unwrap_or_else(|| "frontend/dist".into())),
            workers: parsed("WORKERS", cpus)?.max(1),
            db_pool_size: parsed("DB_POOL_SIZE", 24)?.max(2),
            bus,
            max_streams_per_user: parsed("MAX_STREAMS_PER_USER", 20)?.max(1),
            stream_queue: parsed("STREAM_QUEUE", 256)?.max(8),
            heartbeat: Duration::from_secs(parsed("HEARTBEAT_SECS", 15)?.max(1)),
            stream_stall_timeout: Duration::from_secs(parsed("STREAM_STALL_SECS", 10)?.max(1)),
            // Never below the largest single event (a message of MAX_PLAINTEXT, base64, plus
            // its header and keys), or one event could never be queued.
            stream_buffer_bytes: parsed("STREAM_BUFFER_BYTES", 512 * 1024)?
                .max(MIN_STREAM_BUFFER_BYTES),
            max_streams_per_address: parsed("MAX_STREAMS_PER_ADDRESS", 200)?.max(1),
            registrations_per_address_per_minute: parsed(
                "REGISTRATIONS_PER_ADDRESS_PER_MINUTE",
                20,
            )?
            .max(1),
            sweep_interval: Duration::from_secs(parsed("SWEEP_SECS", 5)?.max(1)),
            drain_timeout: Duration::from_secs(parsed("DRAIN_TIMEOUT_SECS", 10)?.clamp(1, 300)),
            login_known_allowance: bounded("LOGIN_KNOWN_ADDRESS_ALLOWANCE", 5, 0..=100)? as i64,
            login_known_ttl: Duration::from_secs(
                bounded("LOGIN_KNOWN_ADDRESS_DAYS", 30, 1..=365)? * 86_400,
            ),
            refresh_grace: Duration::from_secs(bounded("REFRESH_GRACE_SECS", 10, 0..=120)?),
            public_origins: public_origins()?,
            metrics_addr: metrics_addr()?,
            attachments_url: match var("ATTACHMENTS_URL") {
                Some(url) => AttachmentsUrl::parse(&url)?,
                None => AttachmentsUrl::Local(
                    std::env::current_dir()
                        .map_err(|e| bad(format!("no current directory for .data/attachments: {e}")))?
                        .join(".data/attachments"),
                ),
            },
            attachment_max_bytes: bounded("ATTACHMENT_MAX_BYTES", 100 << 20, 1..=(1 << 53) - 1)?,
            attachment_quota_bytes: bounded("ATTACHMENT_QUOTA_BYTES", 1 << 30, 1..=(1 << 62))?,
            attachment_unreferenced_ttl: Duration::from_secs(bounded(
                "ATTACHMENT_UNREFERENCED_TTL_SECS",
                86_400,
                60..=365 * 86_400,
            )?),
            instance_id: var("INSTANCE_ID")
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string()),
        })
    }
}

/// A whole number within `range`, else a boot error naming the variable.
fn bounded(
    name: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let value = parsed(name, default)?;
    if !range.contains(&value) {
        return Err(bad(format!(
            "{name} must be between {} and {}",
            range.start(),
            range.end()
        )));
    }
    Ok(value)
}

/// `PUBLIC_ORIGIN`: comma-separated `scheme://host[:port]`, no path; normalised to lower case.
fn public_origins() -> Result<Vec<String>, ConfigError> {
    let Some(list) = var("PUBLIC_ORIGIN") else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let origin = o.trim_end_matches('/').to_ascii_lowercase();
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', '@', ' ']) => {
                    Ok(origin)
                }
                _ => Err(bad(format!(
                    "PUBLIC_ORIGIN entry {o:?} must look like https://host[:port]"
                ))),
            }
        })
        .collect()
}

/// `METRICS_ADDR`: unset = loopback port 9100; empty or `off` = no metrics listener. The
/// metrics are operational detail (stream counts, pool use) for the scraper, not the world, so
/// they get their own address that a deployment keeps private.
fn metrics_addr() -> Result<Option<SocketAddr>, ConfigError> {
    parse_metrics_addr(std::env::var("METRICS_ADDR").ok().as_deref())
}

fn parse_metrics_addr(value: Option<&str>) -> Result<Option<SocketAddr>, ConfigError> {
    match value.map(str::trim) {
        None => Ok(Some(SocketAddr::from(([127, 0, 0, 1], 9100)))),
        Some(v) if v.is_empty() || v.eq_ignore_ascii_case("off") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            bad(format!(
                "METRICS_ADDR={v:?} must be HOST:PORT, empty or off"
            ))
        }),
    }
}

#[cfg(test)]
mod metrics_addr_tests {
    use super::parse_metrics_addr;

    #[test]
    fn metrics_listen_on_loopback_unless_told_otherwise_and_can_be_turned_off() {
        assert_eq!(
            parse_metrics_addr(None).unwrap(),
            Some("127.0.0.1:9100".parse().unwrap())
        );
        assert_eq!(
            parse_metrics_addr(Some("0.0.0.0:9200")).unwrap(),
            Some("0.0.0.0:9200".parse().unwrap())
        );
        for off in ["", " ", "off", "OFF"] {
            assert_eq!(parse_metrics_addr(Some(off)).unwrap(), None, "{off:?}");
        }
        for bad in ["9100", "localhost", "127.0.0.1:x"] {
            assert!(parse_metrics_addr(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
