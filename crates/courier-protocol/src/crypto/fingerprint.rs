//! Fingerprints and safety numbers: what two people compare to know they hold each other's
//! real keys (docs/protocol.md §4).
//!
//! Policy: `d = SHA-256(user_id ‖ 0x00 ‖ enc SPKI ‖ sig SPKI)`, the user id being the
//! 36-character lowercase hyphenated UUID in UTF-8 (fixed length, so the 0x00 separator makes
//! the split unambiguous and binds the keys to their owner). Six groups of five digits, group
//! i = big-endian `d[5i..5i+5]` mod 100 000 (about 100 bits in all). A pair's safety number is
//! both fingerprints ordered by user id string, so both sides see the same 60 digits.

use uuid::Uuid;

use super::primitives::sha256;

/// `SHA-256(user_id ‖ 0x00 ‖ enc_spki ‖ sig_spki)`.
pub fn fingerprint_digest(user_id: Uuid, enc_spki: &[u8], sig_spki: &[u8]) -> [u8; 32] {
    let id = user_id.hyphenated().to_string();
    let mut input = Vec::with_capacity(id.len() + 1 + enc_spki.len() + sig_spki.len());
    input.extend_from_slice(id.as_bytes());
    input.push(0);
    input.extend_from_slice(enc_spki);
    input.extend_from_slice(sig_spki);
    sha256(&input)
}

/// The fingerprint as shown: six 5-digit groups joined by single spaces.
pub fn fingerprint(user_id: Uuid, enc_spki: &[u8], sig_spki: &[u8]) -> String {
    fingerprint_from_digest(&fingerprint_digest(user_id, enc_spki, sig_spki))
}

/// The digit groups of a fingerprint digest.
pub fn fingerprint_from_digest(digest: &[u8; 32]) -> String {
    let groups: Vec<String> = digest[..30]
        .chunks_exact(5)
        .map(|chunk| {
            let n = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
            format!("{:05}", n % 100_000)
        })
        .collect();
    groups.join(" ")
}

/// The safety number of a pair: the two fingerprints ordered by user id (lowercase UUID
/// string, ascending), joined by a single space: twelve groups.
pub fn safety_number(a_id: Uuid, a_fingerprint: &str, b_id: Uuid, b_fingerprint: &str) -> String {
    let (a_key, b_key) = (a_id.hyphenated().to_string(), b_id.hyphenated().to_string());
    if a_key <= b_key {
        format!("{a_fingerprint} {b_fingerprint}")
    } else {
        format!("{b_fingerprint} {a_fingerprint}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_six_groups_of_five_digits() {
        let fp = fingerprint(Uuid::nil(), b"enc", b"sig");
        let groups: Vec<&str> = fp.split(' ').collect();
        assert_eq!(groups.len(), 6);
        assert!(groups
            .iter()
            .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn group_values_are_big_endian_forty_bit_integers_mod_100000() {
        let mut d = [0u8; 32];
        d[..5].copy_from_slice(&[0xff; 5]); // 2^40 - 1 = 1099511627775
        d[9] = 7;
        assert_eq!(
            fingerprint_from_digest(&d),
            "27775 00007 00000 00000 00000 00000"
        );
    }

    #[test]
    fn the_safety_number_is_the_same_from_both_sides() {
        let a = Uuid::from_u128(2);
        let b = Uuid::from_u128(1);
        let s1 = safety_number(a, "11111", b, "22222");
        let s2 = safety_number(b, "22222", a, "11111");
        assert_eq!(s1, "22222 11111");
        assert_eq!(s1, s2);
    }

    #[test]
    fn the_user_id_is_bound_into_the_fingerprint() {
        // (enc and sig need no separator between them: DER SPKIs are self-delimiting.)
        assert_ne!(
            fingerprint(Uuid::from_u128(5), b"k", b"k"),
            fingerprint(Uuid::from_u128(6), b"k", b"k")
        );
    }
}
