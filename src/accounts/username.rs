//! `Username`: 3–32 of `a-z 0-9 _ . -`, compared lowercase, immutable once registered.

use serde::Serialize;

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let lower = raw.trim().to_ascii_lowercase();
        let ok_len = (3..=32).contains(&lower.len());
        let ok_chars = lower
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-'));
        if !ok_len || !ok_chars {
            return Err(AppError::bad(
                "invalid_username",
                "username must be 3 to 32 characters of a-z, 0-9, '_', '.', '-'",
            ));
        }
        Ok(Username(lower))
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
        for bad in ["ab", "a b c", "älice", &"x".repeat(33), "semi;colon", ""] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
