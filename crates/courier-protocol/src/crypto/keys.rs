//! Account key material: the user key, the two keypairs, and an unlocked account.
//!
//! Policy: the user key (32 random bytes) wraps both private keys; the password's stretch key
//! (and optionally the recovery wrap key) wraps the user key, so a password change re-wraps 32
//! bytes and nothing else. Unlocking checks everything the server handed over: the wraps must
//! authenticate under AADs naming this user, the private keys must match the public keys, and
//! the key signature must verify, so a server cannot slip in keys of its own.

use crate::limits::KEY_LEN;
use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::b64;
use super::error::{KeyError, Result};
use super::kdf::{normalize_username, PasswordKeys, RecoveryKey};
use super::primitives::{random_array, EcdsaPrivate, RsaPrivate};
use super::validate::validate_public_keys;
use super::wrap::{unwrap, unwrap_key, wrap, WrapPurpose};

/// The 32-byte AES-256-GCM key that wraps the private keys.
#[derive(Clone)]
pub struct UserKey([u8; KEY_LEN]);

impl UserKey {
    /// A fresh random user key.
    pub fn generate() -> Result<Self> {
        random_array().map(Self)
    }

    /// Wraps known bytes (vectors, tests).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The raw key.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The user key wrapped under a password's stretch key (`courier/v1/user-key|<username>`).
    pub fn wrap_for_password(&self, username: &str, password: &PasswordKeys) -> Result<Vec<u8>> {
        let aad = WrapPurpose::UserKey.aad(&normalize_username(username)?);
        wrap(password.stretch_key(), aad.as_bytes(), &self.0)
    }

    /// The user key wrapped under the recovery wrap key
    /// (`courier/v1/user-key-recovery|<username>`).
    pub fn wrap_for_recovery(&self, username: &str, recovery: &RecoveryKey) -> Result<Vec<u8>> {
        let aad = WrapPurpose::UserKeyRecovery.aad(&normalize_username(username)?);
        wrap(&recovery.wrap_key(), aad.as_bytes(), &self.0)
    }

    /// Unwraps the user key with a password; a wrong password gives
    /// [`crate::crypto::CryptoError::UnwrapFailed`].
    pub fn unwrap_with_password(
        username: &str,
        password: &PasswordKeys,
        wrapped: &[u8],
    ) -> Result<Self> {
        let aad = WrapPurpose::UserKey.aad(&normalize_username(username)?);
        unwrap_key(password.stretch_key(), aad.as_bytes(), wrapped).map(Self)
    }

    /// Unwraps the recovery copy of the user key (step 1 of `/api/account/recover` answers it).
    pub fn unwrap_with_recovery(
        username: &str,
        recovery: &RecoveryKey,
        wrapped: &[u8],
    ) -> Result<Self> {
        let aad = WrapPurpose::UserKeyRecovery.aad(&normalize_username(username)?);
        unwrap_key(&recovery.wrap_key(), aad.as_bytes(), wrapped).map(Self)
    }
}

impl Drop for UserKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for UserKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserKey(***)")
    }
}

/// The `keys` object of register and login, all standard base64: the public keys, the key
/// signature and the three wraps (docs/protocol.md §2.4–2.6). The same shape travels both ways
/// (the client registers it, the server hands it back at login), so one type serves both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct KeyBundle {
    /// RSA-OAEP public key: exactly 3072 bits, exponent 65537, canonical SPKI DER.
    pub enc_public: String,
    /// ECDSA P-256 public key, uncompressed SPKI DER.
    pub sig_public: String,
    /// ECDSA P-256 (raw r‖s) by the signing key over `enc_public`'s DER.
    pub key_signature: String,
    /// The user key, AES-256-GCM-wrapped under the stretch key (60 bytes).
    pub wrapped_user_key: String,
    /// The RSA private key (PKCS#8), wrapped under the user key.
    pub wrapped_enc_private: String,
    /// The P-256 private key (PKCS#8), wrapped under the user key.
    pub wrapped_sig_private: String,
}

/// A fresh account's secrets: user key, RSA-3072 encryption keypair, P-256 signing keypair,
/// and the signing key's signature over the encryption SPKI. Cloning is cheap.
#[derive(Clone)]
pub struct AccountKeys {
    user_key: UserKey,
    enc: RsaPrivate,
    sig: EcdsaPrivate,
    key_signature: Vec<u8>,
}

impl AccountKeys {
    /// Generates new keys. RSA-3072 key generation dominates: roughly 0.1–1 s of one core,
    /// varying a lot from run to run. Tests and benchmarks that need many accounts should
    /// generate one `AccountKeys` and build each registration from a clone of it with
    /// [`crate::crypto::RegistrationMaterial::from_parts`]; the server only checks that the
    /// keys are well formed, not that they are unique.
    pub fn generate() -> Result<Self> {
        Self::assemble(
            UserKey::generate()?,
            RsaPrivate::generate()?,
            EcdsaPrivate::generate()?,
        )
    }

    /// Rebuilds keys from known parts (PKCS#8 DER). Used by the vector generator; the key
    /// signature is made afresh (ECDSA is randomised).
    pub fn from_parts(user_key: [u8; KEY_LEN], enc_pkcs8: &[u8], sig_pkcs8: &[u8]) -> Result<Self> {
        Self::assemble(
            UserKey::from_bytes(user_key),
            RsaPrivate::from_pkcs8(enc_pkcs8)?,
            EcdsaPrivate::from_pkcs8(sig_pkcs8)?,
        )
    }

    fn assemble(user_key: UserKey, enc: RsaPrivate, sig: EcdsaPrivate) -> Result<Self> {
        let key_signature = sig.sign(enc.spki())?;
        Ok(Self {
            user_key,
            enc,
            sig,
            key_signature,
        })
    }

    /// The user key.
    pub fn user_key(&self) -> &UserKey {
        &self.user_key
    }

    /// The encryption public key, SPKI DER.
    pub fn enc_public_spki(&self) -> &[u8] {
        self.enc.spki()
    }

    /// The signing public key, SPKI DER.
    pub fn sig_public_spki(&self) -> &[u8] {
        self.sig.spki()
    }

    /// ECDSA signature (raw `r ‖ s`) by the signing key over the encryption SPKI.
    pub fn key_signature(&self) -> &[u8] {
        &self.key_signature
    }

    /// The encryption private key, PKCS#8 DER.
    pub fn enc_private_pkcs8(&self) -> &[u8] {
        self.enc.pkcs8()
    }

    /// The signing private key, PKCS#8 DER.
    pub fn sig_private_pkcs8(&self) -> &[u8] {
        self.sig.pkcs8()
    }

    /// The `keys` object for register: public keys plus everything wrapped for `username`.
    pub fn login_keys(&self, username: &str, password: &PasswordKeys) -> Result<KeyBundle> {
        let user = normalize_username(username)?;
        let uk = self.user_key.as_bytes();
        Ok(KeyBundle {
            enc_public: b64::encode(self.enc.spki()),
            sig_public: b64::encode(self.sig.spki()),
            key_signature: b64::encode(&self.key_signature),
            wrapped_user_key: b64::encode(self.user_key.wrap_for_password(&user, password)?),
            wrapped_enc_private: b64::encode(wrap(
                uk,
                WrapPurpose::EncKey.aad(&user).as_bytes(),
                self.enc.pkcs8(),
            )?),
            wrapped_sig_private: b64::encode(wrap(
                uk,
                WrapPurpose::SigKey.aad(&user).as_bytes(),
                self.sig.pkcs8(),
            )?),
        })
    }

    /// Opens the private keys of `keys` with a user key and checks them against the public
    /// keys and key signature delivered alongside.
    fn unwrap_checked(username: &str, user_key: UserKey, keys: &KeyBundle) -> Result<Self> {
        let user = normalize_username(username)?;
        let enc_public = b64::decode("enc_public", &keys.enc_public)?;
        let sig_public = b64::decode("sig_public", &keys.sig_public)?;
        let key_signature = b64::decode("key_signature", &keys.key_signature)?;
        validate_public_keys(&enc_public, &sig_public, &key_signature)?;

        let uk = user_key.as_bytes();
        let wrapped_enc = b64::decode("wrapped_enc_private", &keys.wrapped_enc_private)?;
        let wrapped_sig = b64::decode("wrapped_sig_private", &keys.wrapped_sig_private)?;
        let mut enc_pkcs8 = unwrap(uk, WrapPurpose::EncKey.aad(&user).as_bytes(), &wrapped_enc)?;
        let mut sig_pkcs8 = unwrap(uk, WrapPurpose::SigKey.aad(&user).as_bytes(), &wrapped_sig)?;
        let enc = RsaPrivate::from_pkcs8(&enc_pkcs8);
        let sig = EcdsaPrivate::from_pkcs8(&sig_pkcs8);
        enc_pkcs8.zeroize();
        sig_pkcs8.zeroize();
        let (enc, sig) = (enc?, sig?);
        if enc.spki() != enc_public.as_slice() {
            return Err(KeyError::KeyMismatch { kind: "encryption" }.into());
        }
        if sig.spki() != sig_public.as_slice() {
            return Err(KeyError::KeyMismatch { kind: "signing" }.into());
        }
        Ok(Self {
            user_key,
            enc,
            sig,
            key_signature,
        })
    }
}

impl fmt::Debug for AccountKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKeys").finish_non_exhaustive()
    }
}

/// A logged-in user's keys, ready to seal and open messages.
#[derive(Clone)]
pub struct UnlockedAccount {
    username: String,
    keys: AccountKeys,
}

impl UnlockedAccount {
    /// Password login in one call: PBKDF2, unwrap, check. When the auth key is needed first
    /// (to log in and receive `keys`), use [`PasswordKeys::derive`] then [`Self::unlock`] so
    /// PBKDF2 runs once.
    pub fn open(
        username: &str,
        password: &str,
        salt: &[u8],
        iterations: u32,
        keys: &KeyBundle,
    ) -> Result<Self> {
        let password = PasswordKeys::derive(password, salt, iterations)?;
        Self::unlock(username, &password, keys)
    }

    /// Unlocks with already derived password keys. A wrong password gives
    /// [`crate::crypto::CryptoError::UnwrapFailed`].
    pub fn unlock(username: &str, password: &PasswordKeys, keys: &KeyBundle) -> Result<Self> {
        let wrapped = b64::decode("wrapped_user_key", &keys.wrapped_user_key)?;
        let user_key = UserKey::unwrap_with_password(username, password, &wrapped)?;
        Self::with_user_key(username, user_key, keys)
    }

    /// Unlocks with the recovery key and the recovery-wrapped user key.
    pub fn open_with_recovery(
        username: &str,
        recovery: &RecoveryKey,
        wrapped_user_key_recovery: &[u8],
        keys: &KeyBundle,
    ) -> Result<Self> {
        let user_key =
            UserKey::unwrap_with_recovery(username, recovery, wrapped_user_key_recovery)?;
        Self::with_user_key(username, user_key, keys)
    }

    /// Unlocks with a user key obtained some other way.
    pub fn with_user_key(username: &str, user_key: UserKey, keys: &KeyBundle) -> Result<Self> {
        let keys = AccountKeys::unwrap_checked(username, user_key, keys)?;
        Ok(Self {
            username: normalize_username(username)?,
            keys,
        })
    }

    /// Wraps up freshly generated keys without a round trip through the server.
    pub fn from_keys(username: &str, keys: AccountKeys) -> Result<Self> {
        Ok(Self {
            username: normalize_username(username)?,
            keys,
        })
    }

    /// The normalised username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The account's keys.
    pub fn keys(&self) -> &AccountKeys {
        &self.keys
    }

    /// The encryption public key, SPKI DER.
    pub fn enc_public_spki(&self) -> &[u8] {
        self.keys.enc_public_spki()
    }

    /// The signing public key, SPKI DER.
    pub fn sig_public_spki(&self) -> &[u8] {
        self.keys.sig_public_spki()
    }

    /// Re-wraps the user key for a new password (`POST /api/account/password`): a fresh salt
    /// is chosen here, so the caller cannot reuse an old one by mistake.
    pub fn rewrap_for_password(
        &self,
        new_password: &str,
        iterations: u32,
    ) -> Result<super::registration::PasswordChange> {
        super::registration::PasswordChange::new(
            &self.username,
            self.keys.user_key(),
            new_password,
            iterations,
        )
    }

    pub(crate) fn signer(&self) -> &EcdsaPrivate {
        &self.keys.sig
    }

    pub(crate) fn decrypter(&self) -> &RsaPrivate {
        &self.keys.enc
    }
}

impl fmt::Debug for UnlockedAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnlockedAccount")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_key_debug_output_hides_the_key() {
        let key = UserKey::from_bytes([0xab; 32]);
        assert_eq!(format!("{key:?}"), "UserKey(***)");
    }

    #[test]
    fn a_recovery_wrap_does_not_open_as_a_password_wrap() {
        let user_key = UserKey::from_bytes([1; 32]);
        let recovery = RecoveryKey::from_bytes([2; 32]);
        let blob = user_key.wrap_for_recovery("alice", &recovery).unwrap();
        let back = UserKey::unwrap_with_recovery("ALICE", &recovery, &blob).unwrap();
        assert_eq!(back.as_bytes(), &[1; 32]);
        assert!(UserKey::unwrap_with_recovery("bob", &recovery, &blob).is_err());
        // Same key material used as if it were a stretch key: the AAD differs, so it fails.
        let as_password = PasswordKeys::from_master_key(&[3; 32]);
        assert!(UserKey::unwrap_with_password("alice", &as_password, &blob).is_err());
    }
}
