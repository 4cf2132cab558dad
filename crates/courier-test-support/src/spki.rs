//! Hand-built public keys for the key-policy tests (crypto vectors and the attack suite): the
//! same RSA modulus under another exponent, as canonical DER, which no key generator produces.

/// DER: tag, definite length, content.
pub fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// `spki`'s RSA-3072 modulus with another public exponent, as a canonical rsaEncryption SPKI.
pub fn rsa_spki_with_exponent(spki: &[u8], exponent: &[u8]) -> Vec<u8> {
    // The 3072-bit modulus INTEGER (0x02 0x82 0x01 0x81 0x00 ...) comes right after the
    // 28-byte SPKI, algorithm, bit-string and key-sequence preamble.
    let start = 28;
    assert_eq!(&spki[start..start + 4], &[0x02, 0x82, 0x01, 0x81]);
    let modulus = &spki[start..start + 4 + 0x181];
    let rsa_key = der(0x30, &[modulus, &der(0x02, exponent)].concat());
    let alg = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    der(
        0x30,
        &[&alg[..], &der(0x03, &[&[0u8][..], &rsa_key].concat())].concat(),
    )
}
