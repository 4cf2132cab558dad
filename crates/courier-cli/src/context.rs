//! What every command shares: where the server and the config folder are, how TLS is
//! checked, how secrets are asked for, and how results are printed (text or JSON lines).
//!
//! Policy: secrets come from `COURIER_PASSWORD` / `COURIER_NEW_PASSWORD` /
//! `COURIER_RECOVERY_KEY` (scripts, tests) or an echo-free terminal prompt, and are never
//! printed or logged. `--insecure` prints a warning on every run.

use std::io::{IsTerminal, Write};

use serde_json::Value;

use super::Cli;
use courier_client::{account, Api, ClientError, Me, Pins, Result, Session, Store, Tls};

pub struct Ctx {
    pub json: bool,
    pub store: Store,
    server: Option<String>,
    tls: Tls,
}

impl Ctx {
    pub fn new(cli: &Cli) -> Result<Self> {
        let tls = match (&cli.ca_cert, cli.insecure) {
            (Some(_), true) => {
                return Err(ClientError::Usage(
                    "--ca-cert and --insecure exclude each other".into(),
                ))
            }
            (Some(path), false) => {
                Tls::ExtraCa(std::fs::read(path).map_err(|e| ClientError::io(path, e))?)
            }
            (None, true) => {
                eprintln!(
                    "WARNING: --insecure: the server's TLS certificate is NOT checked. Anyone on the network path \
                     can impersonate the server and steal your session. Use only against a local test server."
                );
                Tls::Insecure
            }
            (None, false) => Tls::Verify,
        };
        Ok(Self {
            json: cli.json,
            store: Store::locate(cli.config_dir.clone())?,
            server: cli.server.clone(),
            tls,
        })
    }

    /// The API of `--server`, else of the server logged in to.
    pub fn api(&self) -> Result<Api> {
        let server = match &self.server {
            Some(s) => s.clone(),
            None => match self.store.session()? {
                Some(s) => s.server,
                None => {
                    return Err(ClientError::Usage(
                        "no server: pass --server https://HOST (or set COURIER_SERVER)".into(),
                    ))
                }
            },
        };
        Api::new(&server, &self.tls)
    }

    /// The stored session.
    pub fn session(&self) -> Result<Session> {
        if self.store.session()?.is_none() {
            return Err(ClientError::NotLoggedIn);
        }
        Session::resume(self.api()?, self.store.clone())
    }

    /// Unlocks the stored keys with the password (one PBKDF2).
    pub async fn me(&self, session: &Session) -> Result<Me> {
        let unlocked = account::unlock(&self.store, self.password(&session.username)?).await?;
        Ok(Me {
            id: session.user_id,
            account: unlocked.account,
        })
    }

    pub fn pins(&self, session: &Session) -> Result<Pins> {
        Pins::load(&self.store, session.user_id)
    }

    /// The password: `COURIER_PASSWORD`, else a prompt.
    pub fn password(&self, username: &str) -> Result<String> {
        secret("COURIER_PASSWORD", &format!("Password for {username}: "))
    }

    /// A new password: `COURIER_NEW_PASSWORD`, else asked twice.
    pub fn new_password(&self) -> Result<String> {
        if let Ok(p) = std::env::var("COURIER_NEW_PASSWORD") {
            return check_new(p);
        }
        let first = secret("", "New password: ")?;
        let again = secret("", "Repeat the new password: ")?;
        if first != again {
            return Err(ClientError::Usage("the two passwords differ".into()));
        }
        check_new(first)
    }

    /// The password of a new account: `COURIER_PASSWORD`, else asked twice.
    pub fn new_password_or_env(&self) -> Result<String> {
        match std::env::var("COURIER_PASSWORD") {
            Ok(p) => check_new(p),
            Err(_) => self.new_password(),
        }
    }

    pub fn recovery_key(&self) -> Result<String> {
        secret("COURIER_RECOVERY_KEY", "Recovery key: ")
    }

    /// Prints a result: `json` with `--json`, else `text`.
    pub fn emit(&self, json: Value, text: impl FnOnce() -> String) {
        let mut out = std::io::stdout().lock();
        let line = if self.json { json.to_string() } else { text() };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// Asks yes/no on the terminal; without a terminal the answer is no.
    pub fn confirm(&self, question: &str) -> bool {
        if !std::io::stdin().is_terminal() {
            return false;
        }
        eprint!("{question} [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer).is_ok()
            && matches!(answer.trim(), "y" | "Y" | "yes")
    }
}

fn check_new(p: String) -> Result<String> {
    if p.chars().count() < 8 {
        return Err(ClientError::Usage(
            "a password has at least 8 characters".into(),
        ));
    }
    Ok(p)
}

fn secret(env: &str, prompt: &str) -> Result<String> {
    if !env.is_empty() {
        if let Ok(v) = std::env::var(env) {
            return Ok(v);
        }
    }
    if !std::io::stdin().is_terminal() {
        let hint = if env.is_empty() {
            String::new()
        } else {
            format!(" (set {env} for scripts)")
        };
        return Err(ClientError::Usage(format!(
            "{} needed but no terminal to ask on{hint}",
            prompt.trim_end_matches([':', ' '])
        )));
    }
    rpassword::prompt_password(prompt)
        .map_err(|e| ClientError::Usage(format!("reading the secret: {e}")))
}
