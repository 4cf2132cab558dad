//! `Username`: 3–32 of `a-z 0-9 _ . -`, compared lowercase, immutable once registered. The rule
//! is the protocol's ([`normalize_username`], docs/protocol.md §2.1): the name a client binds
//! into its AADs is exactly the one stored here.

use courier_protocol::crypto::normalize_username;
use serde::Serialize;

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        normalize_username(raw).map(Username).map_err(|_| {
            AppError::bad(
                "invalid_username",
                "username must be 3 to 32 characters of a-z, 0-9, '_', '.', '-'",
            )
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(Username::parse("Alice_1").unwrap().as_str(), "alice_1");
        assert_eq!(Username::parse(" bob ").unwrap().as_str(), "bob");
        for bad in ["ab", "a b c", "älice", &"x".repeat(33), "semi;colon", ""] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
