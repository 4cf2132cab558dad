//! The real `courier` binary as its own process, for attacks whose effect is measured on the
//! server process itself (its RSS, its open connections), apart from the test's own memory.

use std::{
    net::{IpAddr, TcpListener},
    process::{Child, Command, Stdio},
    time::Duration,
};

use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{client_from, fresh_database, tls_files, TestUser};

pub struct ServerProcess {
    child: Child,
    pub port: u16,
    pub client: reqwest::Client,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl ServerProcess {
    /// Starts `courier serve` on a fresh database with the given extra environment, and waits
    /// until it is ready.
    pub async fn start(env: &[(&str, &str)]) -> ServerProcess {
        let db = fresh_database().await;
        let tls = tls_files();
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_courier"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("TLS_CERT", &tls.cert)
            .env("TLS_KEY", &tls.key)
            .env("JWT_SECRET", "attack-test-jwt-secret-that-is-long-enough-0123456789")
            .env("BCRYPT_COST", "4")
            .env("WORKERS", "2")
            .env("RUST_LOG", "warn")
            .env("METRICS_ADDR", format!("127.0.0.1:{}", free_port()))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("courier starts");
        let server = ServerProcess { child, port, client: client_from(None) };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = server.client.get(server.url("/readyz")).send().await {
                if res.status() == StatusCode::OK {
                    break;
                }
            }
            assert!(tokio::time::Instant::now() < deadline, "the server did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory, in bytes.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
    }

    /// Established TCP connections to the server from `peer`.
    pub fn connections_from(&self, peer: IpAddr) -> usize {
        established(self.port, peer)
    }

    /// Registers and logs in a cheap user; returns (user id, access token).
    pub async fn signed_in(&self, prefix: &str) -> (Uuid, String) {
        let user = TestUser::cheap(prefix);
        let res = self.client.post(self.url("/api/auth/register")).json(&user.register_body()).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let res = self
            .client
            .post(self.url("/api/auth/login"))
            .json(&json!({"username": user.username, "auth_key": user.auth_key()}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let login: Value = res.json().await.unwrap();
        (login["user"]["id"].as_str().unwrap().parse().unwrap(), login["access_token"].as_str().unwrap().to_owned())
    }
}

/// Established TCP connections to local `port` from `peer`, as the kernel sees them on the
/// server's side (the client's side may still think it is connected).
pub fn established(port: u16, peer: IpAddr) -> usize {
    let IpAddr::V4(peer) = peer else { panic!("IPv4 only") };
    let peer_hex = format!("{:08X}", u32::from_le_bytes(peer.octets()));
    let local_suffix = format!(":{port:04X}");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .skip(1)
        .filter(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local address, remote address, state (01 = ESTABLISHED)
            f.len() > 3 && f[1].ends_with(&local_suffix) && f[2].starts_with(&peer_hex) && f[3] == "01"
        })
        .count()
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
