//! Test harness: the real app (built by `startup::build`) on a random port over real TLS,
//! against its own fresh PostgreSQL database cloned from a migrated template.

use std::{path::PathBuf, sync::OnceLock, time::Duration};

use courier::{
    config::{BusKind, Secret, Settings, TlsFiles},
    startup,
};
use courier_protocol::{
    crypto::{AccountKeys, PasswordKeys, RegistrationMaterial},
    limits::MIN_ITERATIONS,
};
use diesel::{pg::PgConnection, Connection, RunQueryDsl};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::OnceCell;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

/// URL of the server's maintenance database, from which test databases are created.
pub fn admin_url() -> String {
    if let Ok(url) = std::env::var("ADMIN_DATABASE_URL") {
        return url;
    }
    let url = std::env::var("DATABASE_URL")
        .expect("set DATABASE_URL or ADMIN_DATABASE_URL (scripts/test.sh does)");
    with_database(&url, "postgres")
}

pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let base = &base[..base.rfind('/').expect("database url has a path")];
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

fn execute(url: &str, sql: &str) -> diesel::QueryResult<usize> {
    let mut conn = PgConnection::establish(url).expect("connect to test PostgreSQL");
    diesel::sql_query(sql).execute(&mut conn)
}

/// Migrates a template database once per migration set: it is built under a temporary name and
/// renamed into place, so parallel test processes never see a half-migrated template.
async fn template() -> &'static str {
    static TEMPLATE: OnceCell<String> = OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| {
                let admin = admin_url();
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                std::hash::Hash::hash(
                    &format!(
                        "{:?}",
                        std::fs::read_dir("migrations").map(|d| d.count()).ok()
                    ),
                    &mut hasher,
                );
                for entry in walk("migrations") {
                    std::hash::Hash::hash(&std::fs::read(&entry).unwrap_or_default(), &mut hasher);
                }
                let name = format!("courier_tpl_{:x}", std::hash::Hasher::finish(&hasher));
                let exists = {
                    let mut conn =
                        PgConnection::establish(&admin).expect("connect to test PostgreSQL");
                    diesel::sql_query(format!(
                        "SELECT 1 FROM pg_database WHERE datname = '{name}'"
                    ))
                    .execute(&mut conn)
                    .unwrap()
                        == 1
                };
                if !exists {
                    let tmp = format!("courier_tpl_tmp_{}", Uuid::new_v4().simple());
                    execute(&admin, &format!("CREATE DATABASE {tmp}")).unwrap();
                    {
                        let mut conn =
                            PgConnection::establish(&with_database(&admin, &tmp)).unwrap();
                        courier::db::migrate(&mut conn).unwrap();
                    }
                    if execute(&admin, &format!("ALTER DATABASE {tmp} RENAME TO {name}")).is_err() {
                        let _ = execute(&admin, &format!("DROP DATABASE {tmp}"));
                    }
                }
                name
            })
            .await
            .unwrap()
        })
        .await
}

fn walk(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// A fresh database for one test, cloned from the template.
pub async fn fresh_database() -> String {
    let template = template().await;
    let name = format!("courier_test_{}", Uuid::new_v4().simple());
    let admin = admin_url();
    let create = format!("CREATE DATABASE {name} TEMPLATE {template}");
    tokio::task::spawn_blocking(move || {
        // Cloning fails while another session is connected to the template: retry briefly.
        for attempt in 0..50 {
            match execute(&admin, &create) {
                Ok(_) => return,
                Err(e) if attempt < 49 => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("creating test database: {e}"),
            }
        }
    })
    .await
    .unwrap();
    with_database(&admin_url(), &name)
}

pub fn tls_files() -> TlsFiles {
    static FILES: OnceLock<TlsFiles> = OnceLock::new();
    FILES
        .get_or_init(|| {
            let dir =
                std::env::temp_dir().join(format!("courier-test-certs-{}", std::process::id()));
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            courier::tls::ensure_dev_certificate(&cert, &key).unwrap();
            TlsFiles { cert, key }
        })
        .clone()
}

pub fn test_settings(database_url: &str) -> Settings {
    Settings {
        database_url: Secret::new(database_url),
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        tls: Some(tls_files()),
        jwt_secret: Secret::new("test-jwt-secret-that-is-long-enough-0123456789"),
        prelogin_secret: Secret::new("test-prelogin-secret-that-is-long-enough-0123"),
        access_token_ttl: Duration::from_secs(900),
        refresh_token_ttl: Duration::from_secs(86_400),
        bcrypt_cost: 4,
        bcrypt_concurrency: 2,
        bcrypt_queue: 64,
        login_failures_per_account: 5,
        login_failures_per_ip: 20,
        login_failure_window: Duration::from_secs(900),
        trust_proxy_headers: false,
        static_dir: PathBuf::from("frontend/dist"),
        workers: 2,
        db_pool_size: 8,
        bus: BusKind::Postgres,
        max_streams_per_user: 5,
        stream_queue: 64,
        // Short, so streams whose client vanished are noticed (at the next write) quickly.
        heartbeat: Duration::from_secs(1),
        stream_stall_timeout: Duration::from_secs(2),
        stream_buffer_bytes: courier::config::MIN_STREAM_BUFFER_BYTES,
        max_streams_per_address: 1000,
        registrations_per_address_per_minute: 100_000,
        sweep_interval: Duration::from_secs(1),
        instance_id: "test".into(),
        drain_timeout: Duration::from_secs(5),
        login_known_allowance: 3,
        login_known_ttl: Duration::from_secs(30 * 86_400),
        refresh_grace: Duration::from_secs(10),
        public_origins: Vec::new(),
        metrics_addr: None,
        // Every test its own folder: nothing shared between tests.
        attachments_url: courier::config::AttachmentsUrl::Local(
            std::env::temp_dir().join(format!("courier-test-attachments-{}", Uuid::new_v4().simple())),
        ),
        attachment_max_bytes: 100 << 20,
        attachment_quota_bytes: 1 << 30,
        attachment_unreferenced_ttl: Duration::from_secs(86_400),
    }
}

pub struct TestApp {
    pub address: String,
    pub db_url: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub state: actix_web::web::Data<courier::state::AppState>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customise: impl FnOnce(&mut Settings)) -> TestApp {
    let db_url = fresh_database().await;
    let mut settings = test_settings(&db_url);
    customise(&mut settings);
    spawn_on(settings).await
}

/// Starts another instance on the same settings (same database), e.g. for multi-instance tests.
pub async fn spawn_on(settings: Settings) -> TestApp {
    spawn_stoppable(settings).await.0
}

/// [`spawn_on`], with the handle that stops the instance (to restart it, say).
pub async fn spawn_stoppable(settings: Settings) -> (TestApp, actix_web::dev::ServerHandle) {
    let app = startup::build(settings.clone()).await.expect("app builds");
    let port = app.port();
    let state = app.state.clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    // Ready means ready: the bus listener connects in the background, and until it has, the
    // instance answers /readyz with 503 and other instances' wake-ups would pass it by.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !state.bus_ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "the bus did not connect within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let app = TestApp {
        address: format!("https://127.0.0.1:{port}"),
        db_url: settings.database_url.expose().to_owned(),
        client: client(),
        settings,
        state,
    };
    (app, handle)
}

pub fn client() -> reqwest::Client {
    client_from(None)
}

/// A client whose connections come from `local` (e.g. 127.0.0.2: "another address").
pub fn client_from(local: Option<std::net::IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .local_address(local)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Key material shared by the many cheap test users (one PBKDF2 and one RSA keygen per process).
struct Shared {
    salt: [u8; 16],
    password: PasswordKeys,
    keys: AccountKeys,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let salt = [7u8; 16];
        Shared {
            salt,
            password: PasswordKeys::derive(PASSWORD, &salt, MIN_ITERATIONS).unwrap(),
            keys: AccountKeys::generate().unwrap(),
        }
    })
}

pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", &Uuid::new_v4().simple().to_string()[..12])
}

pub struct TestUser {
    pub username: String,
    pub material: RegistrationMaterial,
    pub id: Option<Uuid>,
}

impl TestUser {
    /// A user with shared keys and password: cheap, for tests not about key material.
    pub fn cheap(prefix: &str) -> Self {
        let s = shared();
        let username = unique_name(prefix);
        let material = RegistrationMaterial::from_parts(
            &username,
            &s.salt,
            MIN_ITERATIONS,
            s.password.clone(),
            s.keys.clone(),
            None,
        )
        .unwrap();
        TestUser {
            username,
            material,
            id: None,
        }
    }

    /// A user with their own keys, salt and a recovery key: the full client path.
    pub fn real(prefix: &str) -> Self {
        let username = unique_name(prefix);
        let material =
            RegistrationMaterial::new(&username, PASSWORD, MIN_ITERATIONS, true).unwrap();
        TestUser {
            username,
            material,
            id: None,
        }
    }

    pub fn register_body(&self) -> Value {
        serde_json::to_value(&self.material.request).unwrap()
    }

    pub fn auth_key(&self) -> String {
        self.material.password_keys.auth_key_b64()
    }
}

/// A signed-in user.
pub struct Session {
    pub user_id: Uuid,
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: Uuid,
    pub login: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete_auth(&self, path: &str, token: &str, body: Option<&Value>) -> Response {
        let req = self.client.delete(self.url(path)).bearer_auth(token);
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        req.send().await.unwrap()
    }

    pub async fn register(&self, user: &mut TestUser) -> Uuid {
        let res = self.post("/api/auth/register", &user.register_body()).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "register: {}",
            res.text().await.unwrap()
        );
        let body: Value = res.json().await.unwrap();
        let id: Uuid = body["user_id"].as_str().unwrap().parse().unwrap();
        user.id = Some(id);
        id
    }

    pub async fn login(&self, user: &TestUser) -> Session {
        let res = self
            .post(
                "/api/auth/login",
                &json!({"username": user.username, "auth_key": user.auth_key()}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "login: {}",
            res.text().await.unwrap()
        );
        let login: Value = res.json().await.unwrap();
        Session {
            user_id: login["user"]["id"].as_str().unwrap().parse().unwrap(),
            access_token: login["access_token"].as_str().unwrap().to_owned(),
            refresh_token: login["refresh_token"].as_str().unwrap().to_owned(),
            session_id: login["session_id"].as_str().unwrap().parse().unwrap(),
            login,
        }
    }

    /// Registers and logs in a cheap user.
    pub async fn signed_in(&self, prefix: &str) -> (TestUser, Session) {
        let mut user = TestUser::cheap(prefix);
        self.register(&mut user).await;
        let session = self.login(&user).await;
        (user, session)
    }

    /// Runs a query returning one bigint, on this app's database.
    pub async fn count(&self, sql: &str) -> i64 {
        let (url, sql) = (self.db_url.clone(), sql.to_owned());
        tokio::task::spawn_blocking(move || {
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut conn = PgConnection::establish(&url).unwrap();
            diesel::sql_query(sql).get_result::<N>(&mut conn).unwrap().n
        })
        .await
        .unwrap()
    }

    /// Row counts of every table that a rejected request must leave untouched.
    pub async fn snapshot(&self) -> Vec<i64> {
        let mut counts = Vec::new();
        for t in [
            "users",
            "sessions",
            "retired_refresh_tokens",
            "event_counters",
            "conversations",
            "members",
            "messages",
            "message_keys",
            "events",
        ] {
            counts.push(self.count(&format!("SELECT count(*) AS n FROM {t}")).await);
        }
        counts
    }
}

/// Asserts a `{code, message}` error with this status; returns the code.
pub async fn assert_error(res: Response, status: StatusCode) -> String {
    let got = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    assert!(
        ctype.starts_with("application/json"),
        "content-type {ctype:?} for {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    assert!(body["message"].is_string(), "no message in {text}");
    body["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}
