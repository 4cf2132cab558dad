//! The harness of the CLI tests: a person at a terminal (a config folder and a password)
//! running the real `courier-cli` binary, and a background `listen --json`.

use std::{path::PathBuf, process::Stdio, time::Duration};

use diesel::{pg::PgConnection, Connection, RunQueryDsl};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader, Lines},
    process::{Child, ChildStdout, Command},
};
use uuid::Uuid;

use crate::helpers::{fresh_database, spawn_stoppable, test_settings, TestApp, PASSWORD};

/// The `courier-cli` binary of this build. It belongs to another package of the workspace, so
/// cargo does not name it for these tests: it sits beside them in the target folder
/// (`target/<profile>/`, one level above `deps/`), built by `cargo build --workspace` first.
pub fn cli() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps");
    let cli = dir.join(format!("courier-cli{}", std::env::consts::EXE_SUFFIX));
    assert!(cli.exists(), "{} is missing: run `cargo build --workspace --bins` first (scripts/test.sh does)", cli.display());
    cli
}

/// One person at a terminal: a config folder and a password.
pub struct Person {
    pub dir: PathBuf,
    pub server: String,
    pub password: String,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

impl Person {
    pub fn new(app: &TestApp, name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("courier-cli-test-{name}-{}", Uuid::new_v4().simple()));
        Person { dir, server: app.address.clone(), password: format!("{PASSWORD} {name}") }
    }

    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(cli());
        cmd.args(["--server", &self.server, "--insecure", "--config-dir"])
            .arg(&self.dir)
            .args(args)
            .env("COURIER_PASSWORD", &self.password)
            .env_remove("COURIER_CA_CERT")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    pub async fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let out = tokio::time::timeout(Duration::from_secs(120), self.command(args, env).output())
            .await
            .unwrap_or_else(|_| panic!("courier-cli {args:?} timed out"))
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[]).await
    }

    /// Runs with `--json`, asserts success, returns the last JSON line.
    pub async fn ok(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.run(&all).await;
        assert_eq!(run.code, 0, "courier-cli {args:?} failed:\n{}\n{}", run.stdout, run.stderr);
        run.json().pop().unwrap_or(Value::Null)
    }

    pub async fn register(&self, name: &str) -> (Uuid, Value) {
        let out = self.ok(&["register", name]).await;
        (out["user_id"].as_str().unwrap().parse().unwrap(), out)
    }

    /// Messages (the `message` objects) of a `history --json`.
    pub async fn history(&self, conversation: &str) -> Vec<Value> {
        let run = self.run(&["--json", "history", conversation]).await;
        assert_eq!(run.code, 0, "history failed: {}", run.stderr);
        run.json().into_iter().map(|v| v["message"].clone()).collect()
    }

    /// `listen --json` in the background.
    pub fn listen(&self, extra: &[&str]) -> Listening {
        let mut args = vec!["--json", "listen"];
        args.extend_from_slice(extra);
        let mut child = self.command(&args, &[]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Listening { child, lines, last_id: 0 }
    }

    /// Waits until `listen` has saved event `id` as handled (its cursor file), e.g. before
    /// killing it: there is no event for that, so the file is polled.
    pub async fn cursor_reaches(&self, id: i64) {
        let path = self.dir.join("cursor.json");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let saved = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .and_then(|v| v["last_event_id"].as_i64())
                .unwrap_or(0);
            if saved >= id {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "cursor stuck at {saved}, waiting for {id}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Person {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Listening {
    pub child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// The event id of the last message returned by [`Listening::message`].
    pub last_id: i64,
}

impl Listening {
    async fn next(&mut self, what: &str) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{what} within 30 s"))
            .unwrap()
            .expect("listen ended early");
        serde_json::from_str(&line).unwrap()
    }

    /// Waits for the `ready` line: the replay is done and the stream is live.
    pub async fn ready(&mut self) {
        while self.next("ready").await["event"] != "ready" {}
    }

    /// The next `message` event's message object.
    pub async fn message(&mut self) -> Value {
        loop {
            let v = self.next("a message").await;
            if v["event"] == "message" {
                self.last_id = v["id"].as_i64().expect("message lines carry their event id");
                return v["message"].clone();
            }
        }
    }

    /// Every message until the process exits by itself (`--count`).
    pub async fn rest(mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(line) =
            tokio::time::timeout(Duration::from_secs(30), self.lines.next_line()).await.expect("listen exits").unwrap()
        {
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["event"] == "message" {
                out.push(v["message"].clone());
            }
        }
        let status = self.child.wait().await.unwrap();
        assert!(status.success(), "listen exited with {status}");
        out
    }
}

pub fn texts(messages: &[Value]) -> Vec<String> {
    messages.iter().map(|m| m["text"].as_str().unwrap_or("<none>").to_owned()).collect()
}

pub async fn sql(app: &TestApp, statement: String) {
    let url = app.db_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        diesel::sql_query(statement).execute(&mut conn).unwrap()
    })
    .await
    .unwrap();
}

/// A server that can be stopped and started again on the same address and database, as a
/// restart looks to a client.
pub struct Restartable {
    pub app: TestApp,
    handle: actix_web::dev::ServerHandle,
}

impl Restartable {
    pub async fn start() -> Self {
        let settings = test_settings(&fresh_database().await);
        let (app, handle) = spawn_stoppable(settings).await;
        Restartable { app, handle }
    }

    /// Stops at once: open connections are dropped and new ones refused.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }

    /// Starts again on the same port.
    pub async fn start_again(&mut self) {
        let mut settings = self.app.settings.clone();
        let port: u16 = self.app.address.rsplit(':').next().unwrap().parse().unwrap();
        settings.listen_addr = format!("127.0.0.1:{port}").parse().unwrap();
        let (app, handle) = spawn_stoppable(settings).await;
        *self = Restartable { app, handle };
    }
}

/// Mallory: a member of a direct conversation with bob who talks to the server through the API
/// directly, so a test can post envelopes no honest client would make.
pub struct Mallory {
    pub user: crate::helpers::TestUser,
    pub id: Uuid,
    pub session: crate::helpers::Session,
    pub conversation: Uuid,
    /// Bob's encryption key as the server hands it out.
    pub bob_enc: Vec<u8>,
}

impl Mallory {
    pub async fn with(app: &TestApp, bob_id: Uuid) -> Self {
        let mut user = crate::helpers::TestUser::real("mallory");
        let id = app.register(&mut user).await;
        let session = app.login(&user).await;
        let created: Value = app
            .post_auth("/api/conversations", &session.access_token, &serde_json::json!({"member_ids": [bob_id]}))
            .await
            .json()
            .await
            .unwrap();
        let conversation = created["id"].as_str().unwrap().parse().unwrap();
        let bob_keys: Value =
            app.get_auth(&format!("/api/users/{bob_id}"), &session.access_token).await.json().await.unwrap();
        let bob_enc =
            courier_protocol::crypto::b64::decode("enc", bob_keys["enc_public"].as_str().unwrap()).unwrap();
        Mallory { user, id, session, conversation, bob_enc }
    }
}
