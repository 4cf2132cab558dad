//! Password and recovery-key derivations.
//!
//! Policy:
//! - The password is NFKC-normalised, then UTF-8 encoded, then fed to PBKDF2-HMAC-SHA256 with
//!   the account's 16-byte salt, giving the 32-byte master key. The client refuses fewer than
//!   [`MIN_ITERATIONS`] whatever the server says (a malicious server must not be able to make
//!   the password cheap to guess), and more than [`MAX_ITERATIONS`] (nor make the client hang).
//! - Everything else comes from HKDF-SHA256 (empty salt, 32 bytes) with a purpose string:
//!   `courier/v1/auth` (sent to the server, which keeps a bcrypt of it), `courier/v1/wrap`
//!   (the stretch key, never leaves the client), and for the recovery key
//!   `courier/v1/recovery-auth` and `courier/v1/recovery-wrap`.
//! - Usernames are ASCII, 3–32 of `a-z 0-9 _ . -`, compared lowercase; the lowercase form is the
//!   one bound into AADs.

use crate::limits::{
    INFO_AUTH, INFO_RECOVERY_AUTH, INFO_RECOVERY_WRAP, INFO_WRAP, KDF_NAME, KEY_LEN,
    MAX_ITERATIONS, MIN_ITERATIONS, SALT_LEN, USERNAME_MAX_LEN, USERNAME_MIN_LEN,
};
use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroize;

use super::b64;
use super::error::{CryptoError, Result};
use super::primitives::{hkdf_sha256, pbkdf2_sha256, random_array};

/// The KDF parameters as they travel in prelogin and register: `{name, iterations}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub name: String,
    pub iterations: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        Self {
            name: KDF_NAME.to_owned(),
            iterations: MIN_ITERATIONS,
        }
    }
}

impl KdfParams {
    /// PBKDF2-SHA256 with the given iteration count.
    pub fn pbkdf2(iterations: u32) -> Self {
        Self {
            name: KDF_NAME.to_owned(),
            iterations,
        }
    }

    /// Refuses unknown KDFs and iteration counts outside the client policy.
    pub fn check(&self) -> Result<NonZeroU32> {
        if self.name != KDF_NAME {
            return Err(CryptoError::WeakKdf(format!("unknown kdf {:?}", self.name)));
        }
        check_iterations(self.iterations)
    }
}

fn check_iterations(iterations: u32) -> Result<NonZeroU32> {
    if iterations < MIN_ITERATIONS {
        return Err(CryptoError::WeakKdf(format!(
            "{iterations} iterations; at least {MIN_ITERATIONS} required"
        )));
    }
    if iterations > MAX_ITERATIONS {
        return Err(CryptoError::WeakKdf(format!(
            "{iterations} iterations; at most {MAX_ITERATIONS} accepted"
        )));
    }
    NonZeroU32::new(iterations).ok_or_else(|| CryptoError::WeakKdf("zero iterations".into()))
}

/// Normalises and checks a username (docs/protocol.md §2.1): trims surrounding whitespace,
/// lowercases ASCII letters only, then requires 3–32 of `a-z 0-9 _ . -`. The result is what
/// AADs bind and what the server stores; the server uses this same function.
pub fn normalize_username(username: &str) -> Result<String> {
    let lower = username.trim().to_ascii_lowercase();
    let ok_len = (USERNAME_MIN_LEN..=USERNAME_MAX_LEN).contains(&lower.len());
    let ok_chars = lower
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    if ok_len && ok_chars {
        Ok(lower)
    } else {
        Err(CryptoError::InvalidUsername)
    }
}

/// The password as PBKDF2 sees it: NFKC, so that the same password typed on different systems
/// (composed or decomposed accents, ligatures, full-width forms) gives the same key.
pub fn normalize_password(password: &str) -> String {
    password.nfkc().collect()
}

/// A fresh random 16-byte salt, made by the client at registration and at a password change.
pub fn new_salt() -> Result<[u8; SALT_LEN]> {
    random_array()
}

/// PBKDF2-HMAC-SHA256(NFKC(password), salt, iterations) → the 32-byte master key.
/// Refuses iteration counts outside [`MIN_ITERATIONS`]..=[`MAX_ITERATIONS`] and salts that
/// are not 16 bytes. Costs about a quarter of a second at 600 000 iterations.
pub fn derive_master_key(password: &str, salt: &[u8], iterations: u32) -> Result<[u8; KEY_LEN]> {
    let iterations = check_iterations(iterations)?;
    if salt.len() != SALT_LEN {
        return Err(CryptoError::Length {
            field: "salt",
            expected: SALT_LEN,
            got: salt.len(),
        });
    }
    let mut normalized = normalize_password(password);
    let key = pbkdf2_sha256(normalized.as_bytes(), salt, iterations);
    normalized.zeroize();
    Ok(key)
}

/// HKDF(master, `courier/v1/auth`): the only password-derived value the server receives.
pub fn derive_auth_key(master: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    hkdf_sha256(master, INFO_AUTH.as_bytes())
}

/// HKDF(master, `courier/v1/wrap`): the AES key that wraps the user key. Never leaves the client.
pub fn derive_stretch_key(master: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    hkdf_sha256(master, INFO_WRAP.as_bytes())
}

/// HKDF(recovery key, `courier/v1/recovery-auth`): proves knowledge of the recovery key.
pub fn derive_recovery_auth_key(recovery: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    hkdf_sha256(recovery, INFO_RECOVERY_AUTH.as_bytes())
}

/// HKDF(recovery key, `courier/v1/recovery-wrap`): wraps a second copy of the user key.
pub fn derive_recovery_wrap_key(recovery: &[u8; KEY_LEN]) -> [u8; KEY_LEN] {
    hkdf_sha256(recovery, INFO_RECOVERY_WRAP.as_bytes())
}

/// The two keys a password yields for one salt. Derive them once per login: the auth key goes
/// to the server, the stretch key then unwraps the user key, so PBKDF2 runs only once. Also the
/// cheap path for tests and benchmarks that register many accounts with one password.
#[derive(Clone)]
pub struct PasswordKeys {
    auth_key: [u8; KEY_LEN],
    stretch_key: [u8; KEY_LEN],
}

impl PasswordKeys {
    /// Runs PBKDF2 (the expensive step) and both HKDFs.
    pub fn derive(password: &str, salt: &[u8], iterations: u32) -> Result<Self> {
        let mut master = derive_master_key(password, salt, iterations)?;
        let keys = Self::from_master_key(&master);
        master.zeroize();
        Ok(keys)
    }

    /// The HKDF step alone, for a master key derived elsewhere.
    pub fn from_master_key(master: &[u8; KEY_LEN]) -> Self {
        Self {
            auth_key: derive_auth_key(master),
            stretch_key: derive_stretch_key(master),
        }
    }

    /// The auth key bytes.
    pub fn auth_key(&self) -> &[u8; KEY_LEN] {
        &self.auth_key
    }

    /// The auth key as base64, as login and register send it.
    pub fn auth_key_b64(&self) -> String {
        b64::encode(self.auth_key)
    }

    /// The stretch key (wraps the user key).
    pub fn stretch_key(&self) -> &[u8; KEY_LEN] {
        &self.stretch_key
    }
}

impl Drop for PasswordKeys {
    fn drop(&mut self) {
        self.auth_key.zeroize();
        self.stretch_key.zeroize();
    }
}

impl fmt::Debug for PasswordKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordKeys(***)")
    }
}

/// The optional recovery key: 32 random bytes shown to the user once.
///
/// Shown to a human as a *recovery code* (docs/protocol.md §2.3): Crockford base32, 52 symbols
/// in 13 groups of 4, with no letters that look like digits, so it can be written down by hand
/// and typed back. [`RecoveryKey::parse`] reads that back (any case, `-` and spaces anywhere,
/// `O` as `0`, `I`/`L` as `1`) and the earlier form, standard padded base64 (44 characters).
#[derive(Clone)]
pub struct RecoveryKey([u8; KEY_LEN]);

impl RecoveryKey {
    /// A fresh random recovery key.
    pub fn generate() -> Result<Self> {
        random_array().map(Self)
    }

    /// Wraps known bytes (for vectors and for a key read back from the user).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Reads a recovery code (or the earlier base64 form) back.
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.len() == 44 && text.ends_with('=') {
            return b64::decode_array("recovery_key", text).map(Self);
        }
        recovery_code::decode(text)
            .map(Self)
            .ok_or(CryptoError::Base64 {
                field: "recovery_key",
            })
    }

    /// The human form: the recovery code, e.g. `7ZQ4-…` (13 groups of 4).
    pub fn display(&self) -> String {
        recovery_code::encode(&self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// HKDF(recovery, `courier/v1/recovery-auth`).
    pub fn auth_key(&self) -> [u8; KEY_LEN] {
        derive_recovery_auth_key(&self.0)
    }

    /// HKDF(recovery, `courier/v1/recovery-wrap`).
    pub fn wrap_key(&self) -> [u8; KEY_LEN] {
        derive_recovery_wrap_key(&self.0)
    }
}

impl Drop for RecoveryKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(***)")
    }
}

/// The recovery code: Crockford base32 of the 32 key bytes, most significant bit first, the last
/// symbol padded with 4 zero bits (260 bits, 52 symbols), uppercase, in groups of 4 joined by `-`.
mod recovery_code {
    use super::KEY_LEN;

    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const SYMBOLS: usize = (KEY_LEN * 8).div_ceil(5);

    pub fn encode(key: &[u8; KEY_LEN]) -> String {
        let mut out = String::with_capacity(SYMBOLS + SYMBOLS / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        let symbol = |v: u32, out: &mut String| {
            if !out.is_empty() && out.len() % 5 == 4 {
                out.push('-');
            }
            out.push(ALPHABET[v as usize] as char);
        };
        for &b in key {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                symbol((acc >> bits) & 31, &mut out);
            }
        }
        if bits > 0 {
            symbol((acc << (5 - bits)) & 31, &mut out);
        }
        out
    }

    fn value(c: char) -> Option<u32> {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        ALPHABET
            .iter()
            .position(|&a| a as char == c)
            .map(|p| p as u32)
    }

    pub fn decode(text: &str) -> Option<[u8; KEY_LEN]> {
        let symbols: Vec<u32> = text
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(value)
            .collect::<Option<_>>()?;
        if symbols.len() != SYMBOLS {
            return None;
        }
        let mut out = [0u8; KEY_LEN];
        let (mut acc, mut bits, mut n) = (0u32, 0u32, 0usize);
        for v in symbols {
            acc = (acc << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                *out.get_mut(n)? = (acc >> bits) as u8;
                n += 1;
            }
            acc &= (1 << bits) - 1;
        }
        // The padding bits of the last symbol must be zero: one key, one code.
        (n == KEY_LEN && acc == 0).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_than_600000_iterations_are_refused() {
        let err = derive_master_key("pw", &[0; 16], 599_999).unwrap_err();
        assert!(matches!(err, CryptoError::WeakKdf(_)));
        assert!(KdfParams::pbkdf2(1000).check().is_err());
        assert!(KdfParams {
            name: "argon2".into(),
            iterations: 600_000
        }
        .check()
        .is_err());
        assert!(KdfParams::pbkdf2(MAX_ITERATIONS + 1).check().is_err());
        assert!(KdfParams::default().check().is_ok());
    }

    #[test]
    fn a_salt_that_is_not_16_bytes_is_refused() {
        let err = derive_master_key("pw", &[0; 32], 600_000).unwrap_err();
        assert_eq!(
            err,
            CryptoError::Length {
                field: "salt",
                expected: 16,
                got: 32
            }
        );
    }

    #[test]
    fn passwords_are_nfkc_normalised() {
        assert_eq!(normalize_password("ﬁ"), "fi");
        assert_eq!(normalize_password("e\u{301}"), "\u{e9}");
        assert_eq!(normalize_password("ＡＢＣ"), "ABC");
    }

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(normalize_username("Alice_1.x-y").unwrap(), "alice_1.x-y");
        for bad in ["ab", "a b c", "ålice", "alice!", &"a".repeat(33), ""] {
            assert_eq!(
                normalize_username(bad),
                Err(CryptoError::InvalidUsername),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hkdf_purposes_give_different_keys() {
        let master = [7u8; 32];
        let keys = [
            derive_auth_key(&master),
            derive_stretch_key(&master),
            derive_recovery_auth_key(&master),
            derive_recovery_wrap_key(&master),
        ];
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(keys[i], keys[j]);
            }
        }
    }

    #[test]
    fn a_recovery_key_survives_its_human_form() {
        let key = RecoveryKey::generate().unwrap();
        let shown = key.display();
        assert_eq!(shown.len(), 64, "{shown}");
        assert_eq!(shown.split('-').count(), 13);
        let back = RecoveryKey::parse(&format!("  {shown}\n")).unwrap();
        assert_eq!(back.as_bytes(), key.as_bytes());
        // Typed by hand: lowercase, other spacing, look-alike letters.
        let typed = shown
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(
            RecoveryKey::parse(&typed).unwrap().as_bytes(),
            key.as_bytes()
        );
        // The earlier form still opens.
        let b64_form = b64::encode(key.as_bytes());
        assert_eq!(
            RecoveryKey::parse(&b64_form).unwrap().as_bytes(),
            key.as_bytes()
        );
        assert!(RecoveryKey::parse("not base64").is_err());
        assert!(
            RecoveryKey::parse(&shown[..shown.len() - 1]).is_err(),
            "a symbol short"
        );
        assert!(
            RecoveryKey::parse(&format!("{shown}0")).is_err(),
            "a symbol more"
        );
        assert!(
            RecoveryKey::parse(&shown.replace('-', "U")).is_err(),
            "U is not a symbol"
        );
        assert!(format!("{key:?}").contains("***"));
    }

    #[test]
    fn the_recovery_code_has_a_known_answer_and_zero_padding() {
        // The same answer is checked by the browser's tests (frontend/src/lib/crypto/crypto.test.ts), and by
        // Python: RFC 4648 base32 of bytes 0..31 mapped to the Crockford alphabet.
        let key = RecoveryKey::from_bytes(std::array::from_fn(|i| i as u8));
        assert_eq!(
            key.display(),
            "000G-40R4-0M30-E209-185G-R38E-1W81-24GK-2GAH-C5RR-34D1-P70X-3RFG"
        );
        // The last symbol carries one bit and four zero bits: a nonzero padding is refused.
        let shown = key.display();
        let bad = format!("{}1", &shown[..shown.len() - 1]);
        assert!(RecoveryKey::parse(&bad).is_err());
    }
}
