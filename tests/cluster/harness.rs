//! Real processes for the cluster tests: the `courier` binary (plain HTTP) ×N behind a private
//! nginx (TLS + HTTP/2, the template in deploy/), on a fresh database of the shared test
//! PostgreSQL or on a private PostgreSQL cluster, with LISTEN/NOTIFY or a private Redis bus.
//! Every child is killed when its owner drops, so a failing test leaves nothing behind.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use uuid::Uuid;

pub const NGINX: &str = "/usr/sbin/nginx";
pub const REDIS: &str = "/usr/bin/redis-server";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn need(binary: &str, package: &str) {
    assert!(Path::new(binary).exists(), "{binary} is missing: `apt-get install -y {package}` (scripts/test.sh does)");
}

/// Polls `check` until it holds; panics with `what` after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("courier-cluster-{tag}-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (SIGKILL) on drop.
pub struct Proc(pub Option<Child>);

impl Proc {
    pub fn pid(&self) -> i32 {
        self.0.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }
    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill").args([&format!("-{sig}"), &self.pid().to_string()]).status();
    }
    /// Waits for exit; `None` if still running after `limit`.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.0.as_mut()?.try_wait().ok().flatten() {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A private Redis, no persistence.
pub struct Redis {
    pub port: u16,
    proc: Proc,
}

impl Redis {
    pub fn start() -> Self {
        need(REDIS, "redis-server");
        let port = free_port();
        let mut r = Redis { port, proc: Proc(None) };
        r.restart();
        r
    }
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
    pub fn stop(&mut self) {
        self.proc = Proc(None);
    }
    pub fn restart(&mut self) {
        let child = Command::new(REDIS)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.proc = Proc(Some(child));
    }
}

/// A private PostgreSQL cluster (trust auth on loopback), for tests that stop the database.
pub struct Postgres {
    pub port: u16,
    dir: TempDir,
    bin: PathBuf,
}

fn as_owner(cmd: &Path) -> Command {
    let root = unsafe_is_root();
    let mut c = if root { Command::new("runuser") } else { Command::new(cmd) };
    if root {
        c.args(["-u", "postgres", "--"]).arg(cmd);
    }
    c
}

fn unsafe_is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

impl Postgres {
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server is missing: apt-get install -y postgresql")
            .flatten()
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .expect("initdb not found under /usr/lib/postgresql/*/bin");
        let dir = TempDir::new("pg");
        if unsafe_is_root() {
            Command::new("chown").args(["-R", "postgres", dir.0.to_str().unwrap()]).status().unwrap();
        }
        let data = dir.0.join("data");
        let ok = as_owner(&bin.join("initdb"))
            .args(["-D", data.to_str().unwrap(), "-U", "courier", "--auth=trust", "-E", "UTF8"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "initdb failed");
        let pg = Postgres { port: free_port(), dir, bin };
        pg.up();
        let admin = format!("postgres://courier@127.0.0.1:{}/postgres", pg.port);
        let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&admin).unwrap();
        diesel::RunQueryDsl::execute(diesel::sql_query("CREATE DATABASE courier"), &mut conn).unwrap();
        pg
    }
    pub fn url(&self) -> String {
        format!("postgres://courier@127.0.0.1:{}/courier", self.port)
    }
    fn ctl(&self, args: &[&str]) -> bool {
        let data = self.dir.0.join("data");
        let log = self.dir.0.join("pg.log");
        as_owner(&self.bin.join("pg_ctl"))
            .args(["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
    pub fn up(&self) {
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.0.display());
        assert!(self.ctl(&["-w", "-t", "60", "start", "-o", &opts]), "PostgreSQL did not start");
    }
    pub fn down(&self) {
        assert!(self.ctl(&["-w", "-m", "immediate", "stop"]), "PostgreSQL did not stop");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.ctl(&["-m", "immediate", "stop"]);
    }
}

/// A fresh database on the shared test server (DATABASE_URL / ADMIN_DATABASE_URL).
pub fn fresh_shared_database() -> String {
    let admin = std::env::var("ADMIN_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .expect("set DATABASE_URL or ADMIN_DATABASE_URL (scripts/test.sh does)");
    let name = format!("courier_cluster_{}", Uuid::new_v4().simple());
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&admin).expect("connect to test PostgreSQL");
    diesel::RunQueryDsl::execute(diesel::sql_query(format!("CREATE DATABASE {name}")), &mut conn).unwrap();
    let (base, query) = admin.split_once('?').map(|(b, q)| (b, Some(q))).unwrap_or((&admin, None));
    let base = &base[..base.rfind('/').unwrap()];
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// One `courier serve` process.
pub struct Instance {
    pub port: u16,
    /// Where this instance serves /metrics (plain HTTP, not the app's port).
    pub metrics_port: u16,
    pub id: String,
    pub proc: Proc,
    env: Vec<(String, String)>,
    dir: PathBuf,
}

impl Instance {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn spawn(&mut self) {
        let log = std::fs::File::create(self.dir.join(format!("{}.log", self.id))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_courier"))
            .arg("serve")
            // Not the repository: its .env must not leak into the test's settings.
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start courier");
        self.proc = Proc(Some(child));
    }
}

/// N instances behind nginx.
pub struct Cluster {
    pub url: String,
    pub instances: Vec<Instance>,
    pub database_url: String,
    _nginx: Nginx,
    /// Logs of the instances and nginx; removed with the cluster.
    _dir: TempDir,
}

impl Cluster {
    pub async fn start(n: usize, database_url: String, bus: Option<String>) -> Self {
        Self::start_with(n, database_url, bus, &[]).await
    }

    /// The same, with `extra` settings for every instance (they win over the defaults).
    pub async fn start_with(n: usize, database_url: String, bus: Option<String>, extra: &[(String, String)]) -> Self {
        need(NGINX, "nginx");
        let dir = TempDir::new("nodes");
        let mut instances = Vec::new();
        for i in 1..=n {
            let port = free_port();
            let mut env: Vec<(String, String)> = [
                ("DATABASE_URL", database_url.as_str()),
                ("PLAIN_HTTP", "true"),
                ("TRUST_PROXY_HEADERS", "true"),
                ("JWT_SECRET", "cluster-test-jwt-secret-long-enough-0123456789"),
                ("BCRYPT_COST", "4"),
                ("WORKERS", "1"),
                ("DB_POOL_SIZE", "6"),
                ("SWEEP_SECS", "1"),
                ("DRAIN_TIMEOUT_SECS", "5"),
                ("LOGIN_FAILURES_PER_IP", "10000"),
                ("REGISTRATIONS_PER_ADDRESS_PER_MINUTE", "100000"),
                ("MAX_STREAMS_PER_ADDRESS", "100000"),
                ("RUST_LOG", "warn"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            env.push(("LISTEN_ADDR".into(), format!("127.0.0.1:{port}")));
            let metrics_port = free_port();
            env.push(("METRICS_ADDR".into(), format!("127.0.0.1:{metrics_port}")));
            env.push(("INSTANCE_ID".into(), format!("node{i}")));
            if let Some(url) = &bus {
                env.push(("BUS_URL".into(), url.clone()));
            }
            env.extend(extra.iter().cloned());
            let mut inst = Instance { port, metrics_port, id: format!("node{i}"), proc: Proc(None), env, dir: dir.0.clone() };
            inst.spawn();
            instances.push(inst);
        }
        let client = reqwest::Client::new();
        for inst in &instances {
            let url = format!("{}/readyz", inst.url());
            eventually(&format!("{} ready", inst.id), Duration::from_secs(60), || {
                let (c, u) = (client.clone(), url.clone());
                async move { c.get(&u).send().await.is_ok_and(|r| r.status().is_success()) }
            })
            .await;
        }
        let (nginx, port) = start_nginx(&dir.0, &instances);
        let url = format!("https://127.0.0.1:{port}");
        let c = crate::client();
        eventually("nginx ready", Duration::from_secs(20), || {
            let (c, u) = (c.clone(), format!("{url}/readyz"));
            async move { c.get(&u).send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        Cluster { url, instances, database_url, _nginx: nginx, _dir: dir }
    }

    /// Streams open on each instance, from its /metrics.
    pub async fn streams_per_instance(&self) -> Vec<i64> {
        let client = reqwest::Client::new();
        let mut out = Vec::new();
        for inst in &self.instances {
            let text = match client.get(format!("http://127.0.0.1:{}/metrics", inst.metrics_port)).send().await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            let n = text
                .lines()
                .find_map(|l| l.strip_prefix("courier_open_streams "))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0);
            out.push(n as i64);
        }
        out
    }

    /// Starts instance `i` again after a kill or drain.
    pub fn restart(&mut self, i: usize) {
        self.instances[i].spawn();
    }
}

/// nginx's master must be stopped with a signal it handles, or its workers outlive it.
struct Nginx(Proc);

impl Drop for Nginx {
    fn drop(&mut self) {
        self.0.signal("TERM");
        let _ = self.0 .0.as_mut().map(|c| c.wait());
    }
}

fn start_nginx(dir: &Path, instances: &[Instance]) -> (Nginx, u16) {
    let prefix = dir.join("nginx");
    for t in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(prefix.join("tmp").join(t)).unwrap();
    }
    // nginx workers run as `nobody` when started by root: let them write their temp files.
    let _ = Command::new("chmod").args(["-R", "1777", prefix.join("tmp").to_str().unwrap()]).status();
    let (cert, key) = (prefix.join("cert.pem"), prefix.join("key.pem"));
    courier::tls::ensure_dev_certificate(&cert, &key).unwrap();
    let upstreams: String = instances
        .iter()
        .map(|i| format!("        server 127.0.0.1:{} max_fails=2 fail_timeout=5s;\n", i.port))
        .collect();
    let port = free_port();
    let template = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx.conf.template")).unwrap();
    let conf = template
        .replace("@UPSTREAMS@", upstreams.trim_end())
        .replace("@PREFIX@", prefix.to_str().unwrap())
        .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
        .replace("@CERT@", cert.to_str().unwrap())
        .replace("@KEY@", key.to_str().unwrap())
        .replace("@DAEMON@", "off")
        // The test machine runs many of these at once: fewer descriptors than production.
        .replace("worker_rlimit_nofile 65536;", "worker_rlimit_nofile 4096;")
        .replace("worker_connections 45000;", "worker_connections 2000;");
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new(NGINX)
        .args(["-p", prefix.to_str().unwrap(), "-c", conf_path.to_str().unwrap(), "-e", prefix.join("stderr.log").to_str().unwrap()])
        .stdout(Stdio::null())
        .spawn()
        .expect("start nginx");
    (Nginx(Proc(Some(child))), port)
}

/// Where scripts/test.sh installs moto's S3 server (PyPI, pinned, in a venv under .data/);
/// `COURIER_MOTO_SERVER` names another.
fn moto_server() -> PathBuf {
    std::env::var_os("COURIER_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".data/moto-venv/bin/moto_server"))
}

/// A private S3-compatible server (moto's) on a free port, with one bucket; killed on drop.
/// It answers any credentials, and keeps objects in memory (spilling large ones to temp files).
pub struct S3 {
    pub port: u16,
    pub bucket: String,
    _proc: Proc,
    _dir: TempDir,
}

impl S3 {
    /// Starts it and makes the bucket. `None` (with a message on stderr) only where
    /// scripts/test.sh reported that moto could not be installed on this machine
    /// (`COURIER_S3_UNAVAILABLE`), and never under CI: anywhere else a missing server fails the
    /// test, so the S3 path cannot go untested by accident.
    pub async fn start() -> Option<Self> {
        let binary = moto_server();
        if !binary.exists() {
            if let (Ok(why), None) = (std::env::var("COURIER_S3_UNAVAILABLE"), std::env::var_os("CI")) {
                eprintln!("SKIPPED (no S3 server here: {why}): the attachment tests against S3");
                return None;
            }
            panic!(
                "{} is missing: `bash scripts/moto.sh` installs moto's S3 server (scripts/test.sh does), \
                 or set COURIER_MOTO_SERVER",
                binary.display()
            );
        }
        let dir = TempDir::new("s3");
        let port = free_port();
        let log = std::fs::File::create(dir.0.join("moto.log")).unwrap();
        let child = Command::new(&binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(&dir.0)
            // Large objects spill to temp files here, not wherever TMPDIR points.
            .env("TMPDIR", &dir.0)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start moto_server");
        let s3 = S3 { port, bucket: "courier-test".into(), _proc: Proc(Some(child)), _dir: dir };
        let client = reqwest::Client::new();
        let bucket_url = format!("{}/{}", s3.endpoint(), s3.bucket);
        eventually("moto's S3 server up, with the bucket made", Duration::from_secs(60), || {
            let (c, u) = (client.clone(), bucket_url.clone());
            async move { c.put(&u).send().await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        Some(s3)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The settings that put an instance's attachments under `prefix` of the bucket: the
    /// variables `object_store`'s `AmazonS3Builder::from_env` reads, as an operator sets them.
    pub fn settings(&self, prefix: &str) -> Vec<(String, String)> {
        [
            ("ATTACHMENTS_URL", format!("s3://{}/{prefix}", self.bucket)),
            ("AWS_ENDPOINT", self.endpoint()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "courier-test".into()),
            ("AWS_SECRET_ACCESS_KEY", "courier-test-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// The bucket as the test sees it, to check what the instances left there.
    pub fn store(&self) -> object_store::aws::AmazonS3 {
        object_store::aws::AmazonS3Builder::new()
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_bucket_name(&self.bucket)
            .with_region("us-east-1")
            .with_access_key_id("courier-test")
            .with_secret_access_key("courier-test-secret")
            .build()
            .unwrap()
    }

    /// Keys of the objects under `prefix`, sorted.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        use futures_util::TryStreamExt;
        use object_store::ObjectStore;
        let store = self.store();
        let prefix = object_store::path::Path::from(prefix);
        let mut keys: Vec<String> =
            store.list(Some(&prefix)).map_ok(|m| m.location.to_string()).try_collect().await.unwrap();
        keys.sort();
        keys
    }

    /// Keys of the multipart uploads begun and neither completed nor aborted (a body being
    /// streamed, or one left behind).
    pub async fn uploads_in_progress(&self) -> Vec<String> {
        // ListMultipartUploads; moto answers it unsigned.
        let xml = reqwest::get(format!("{}/{}?uploads", self.endpoint(), self.bucket))
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .text()
            .await
            .unwrap();
        xml.split("<Key>").skip(1).filter_map(|s| s.split_once("</Key>")).map(|(k, _)| k.to_owned()).collect()
    }
}
