//! Local state in the config folder (`--config-dir`, `COURIER_CONFIG_DIR`,
//! `$XDG_CONFIG_HOME/courier` or `~/.config/courier`):
//!
//! | file | what | secret? |
//! | --- | --- | --- |
//! | `session.json` | server, user, refresh token, current access token and its expiry | yes: a bearer credential |
//! | `account.json` | KDF salt and iterations, public keys and the *wrapped* private keys from login | wrapped only: useless without the password |
//! | `pins.json` | contacts' pinned keys (trust on first use) and which ones were verified | integrity matters |
//! | `cursor.json` | the last event id `listen` handled, to resume without loss or duplicates | no |
//! | `outbox/…/*.json` | `emit`'s sealed, not yet acknowledged batches and its next `seq` (see [`crate::outbox`]) | ciphertext only |
//!
//! Policy: the folder is created 0700 and every file is written 0600, atomically (temp file,
//! fsync, rename), so a crash never leaves half a refresh token. The password and unwrapped
//! keys are never written. Files carry the owner's user id so that logging in as someone else
//! in the same folder never mixes two people's pins or cursors.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
};

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ClientError, Result};
use courier_protocol::crypto::KeyBundle;

/// The config folder and the files in it.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// `session.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedSession {
    pub server: String,
    pub user_id: Uuid,
    pub username: String,
    pub session_id: Uuid,
    pub refresh_token: String,
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: u64,
    /// Lifetime of access tokens in seconds, as the server last said (`expires_in`).
    #[serde(default = "default_ttl")]
    pub access_ttl: u64,
}

fn default_ttl() -> u64 {
    900
}

/// `account.json`: what a command needs, with the password, to unlock the keys offline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedAccount {
    pub user_id: Uuid,
    pub username: String,
    pub kdf_iterations: u32,
    /// Base64, 16 bytes.
    pub salt: String,
    pub keys: KeyBundle,
}

/// `cursor.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cursor {
    pub owner: Option<Uuid>,
    pub last_event_id: i64,
}

impl Store {
    /// The folder from the option/env var, else the XDG default.
    pub fn locate(explicit: Option<PathBuf>) -> Result<Self> {
        let dir = match explicit {
            Some(d) => d,
            None => match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
                Some(x) => PathBuf::from(x).join("courier"),
                None => {
                    let home = std::env::var_os("HOME")
                        .ok_or_else(|| ClientError::Usage("no HOME: pass --config-dir".into()))?;
                    PathBuf::from(home).join(".config").join("courier")
                }
            },
        };
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn ensure_dir(&self) -> Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| ClientError::io(&self.dir, e))
    }

    fn read<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let path = self.path(name);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|source| {
                ClientError::CorruptState {
                    path: path.display().to_string(),
                    source,
                }
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ClientError::io(&path, e)),
        }
    }

    /// Atomic 0600 write: temp file in the same folder, fsync, rename over.
    fn write<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        self.write_at(Path::new(name), value)
    }

    /// [`Store::write`] for a file in a subfolder (made 0700 as needed), e.g. the outbox.
    pub(crate) fn write_at<T: Serialize>(&self, relative: &Path, value: &T) -> Result<()> {
        let path = self.dir.join(relative);
        let parent = path.parent().unwrap_or(&self.dir).to_path_buf();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&parent)
            .map_err(|e| ClientError::io(&parent, e))?;
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = parent.join(format!(".{file_name}.{}.tmp", Uuid::new_v4().simple()));
        let bytes =
            serde_json::to_vec_pretty(value).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map_err(|e| ClientError::io(&path, e))
    }

    /// [`Store::read`] for a file in a subfolder.
    pub(crate) fn read_at<T: DeserializeOwned>(&self, relative: &Path) -> Result<Option<T>> {
        self.read(&relative.to_string_lossy())
    }

    /// The names of the files in a subfolder (none if it does not exist), temp files excluded.
    pub(crate) fn list_at(&self, relative: &Path) -> Result<Vec<String>> {
        let dir = self.dir.join(relative);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ClientError::io(&dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let name = entry.map_err(|e| ClientError::io(&dir, e))?.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with('.') {
                names.push(name.into_owned());
            }
        }
        Ok(names)
    }

    /// [`Store::remove`] for a file in a subfolder.
    pub(crate) fn remove_at(&self, relative: &Path) -> Result<()> {
        self.remove(&relative.to_string_lossy())
    }

    fn remove(&self, name: &str) -> Result<()> {
        let path = self.path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ClientError::io(&path, e)),
        }
    }

    pub fn session(&self) -> Result<Option<SavedSession>> {
        self.read("session.json")
    }

    pub fn save_session(&self, s: &SavedSession) -> Result<()> {
        self.write("session.json", s)
    }

    pub fn clear_session(&self) -> Result<()> {
        self.remove("session.json")
    }

    pub fn account(&self) -> Result<Option<SavedAccount>> {
        self.read("account.json")
    }

    pub fn save_account(&self, a: &SavedAccount) -> Result<()> {
        self.write("account.json", a)
    }

    /// Forgets everything about the account (after `delete-account`).
    pub fn clear_all(&self) -> Result<()> {
        for f in ["session.json", "account.json", "pins.json", "cursor.json"] {
            self.remove(f)?;
        }
        Ok(())
    }

    pub(crate) fn read_pins<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        self.read("pins.json")
    }

    pub(crate) fn write_pins<T: Serialize>(&self, pins: &T) -> Result<()> {
        self.write("pins.json", pins)
    }

    /// The last handled event id of `owner` (0 if none or if the file is someone else's).
    pub fn cursor(&self, owner: Uuid) -> Result<i64> {
        let c: Cursor = self.read("cursor.json")?.unwrap_or_default();
        Ok(if c.owner == Some(owner) {
            c.last_event_id
        } else {
            0
        })
    }

    pub fn save_cursor(&self, owner: Uuid, last_event_id: i64) -> Result<()> {
        self.write(
            "cursor.json",
            &Cursor {
                owner: Some(owner),
                last_event_id,
            },
        )
    }

    /// An exclusive lock held while refreshing tokens, so two commands running at once (say
    /// `listen` and `send`) never both spend the same refresh token: the server would see
    /// that as token theft and revoke the session. Released when the file is dropped.
    // `File::lock` is std since 1.89; the toolchain here is 1.95 (Cargo.toml's rust-version
    // field lags behind it).
    #[allow(clippy::incompatible_msrv)]
    pub fn lock_session(&self) -> Result<File> {
        self.ensure_dir()?;
        let path = self.path("session.lock");
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| ClientError::io(&path, e))?;
        f.lock().map_err(|e| ClientError::io(&path, e))?;
        Ok(f)
    }
}
