use super::stream::finish_hash;
use super::*;

const C: usize = ATTACHMENT_CHUNK_SIZE;
const CT: usize = CIPHERTEXT_CHUNK_LEN;
const H: usize = ATTACHMENT_HEADER_LEN;

fn key() -> FileKey {
    FileKey::from_bytes([7; 32])
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn enc(len: usize) -> Vec<u8> {
    encrypt(&key(), &pattern(len)).unwrap().0
}

#[test]
fn round_trips_at_the_chunk_boundaries() {
    for len in [0, 1, C - 1, C, C + 1, 2 * C, 3 * C + 17] {
        let pt = pattern(len);
        let (ct, summary) = encrypt(&key(), &pt).unwrap();
        assert_eq!(
            ct.len() as u64,
            ciphertext_size(len as u64).unwrap(),
            "len {len}"
        );
        assert_eq!(summary.ciphertext_size, ct.len() as u64);
        assert_eq!(summary.size, len as u64);
        assert_eq!(summary.sha256, super::super::primitives::sha256(&ct));
        let (back, opened) = decrypt(&key(), &ct).unwrap();
        assert_eq!(back, pt, "len {len}");
        assert_eq!(opened, summary);
    }
}

#[test]
fn the_layout_is_header_then_chunks() {
    assert_eq!(
        enc(0).len(),
        H + TAG_LEN,
        "an empty file is one empty final chunk"
    );
    assert_eq!(
        enc(C).len(),
        H + CT,
        "exactly one chunk: one full final chunk"
    );
    assert_eq!(enc(C + 1).len(), H + CT + 1 + TAG_LEN);
    let ct = enc(5);
    assert_eq!(&ct[..6], b"CATT\x01\x10");
}

#[test]
fn pieces_of_any_size_give_the_same_bytes_both_ways() {
    let pt = pattern(3 * C + 100);
    let nonce = [9u8; 32];
    let mut one = AttachmentEncryptor::with_nonce(&key(), &nonce).unwrap();
    let mut whole = one.update(&pt).unwrap();
    whole.extend(one.finish().unwrap().0);
    for piece in [1usize, 13, 4096, C, C + 1] {
        let mut e = AttachmentEncryptor::with_nonce(&key(), &nonce).unwrap();
        let mut ct = Vec::new();
        for p in pt.chunks(piece.max(1000)) {
            ct.extend(e.update(p).unwrap());
        }
        ct.extend(e.finish().unwrap().0);
        assert_eq!(ct, whole);
        let mut d = AttachmentDecryptor::new(&key());
        let mut back = Vec::new();
        for p in ct.chunks(piece) {
            let out = d.update(p).unwrap();
            assert!(
                out.len().is_multiple_of(C),
                "only whole verified chunks come out early"
            );
            back.extend(out);
        }
        back.extend(d.finish().unwrap().0);
        assert_eq!(back, pt);
    }
}

#[test]
fn a_file_key_is_never_used_directly_and_nonces_differ() {
    let a = enc(10);
    let b = enc(10);
    assert_ne!(
        a, b,
        "a fresh nonce per file, so a reused file key gives another payload key"
    );
}

/// 100 MiB through an encryptor and a decryptor piece by piece: nothing is ever held whole,
/// and the decryptor's buffer stays within one chunk and one piece.
#[test]
fn a_100_mib_file_streams_through_without_being_held() {
    let piece: Vec<u8> = pattern(1 << 20);
    let mut enc = AttachmentEncryptor::new(&key()).unwrap();
    let mut dec = AttachmentDecryptor::new(&key());
    let (mut plain_hash, mut back_hash) = (
        digest::Context::new(&digest::SHA256),
        digest::Context::new(&digest::SHA256),
    );
    let mut back = 0u64;
    for _ in 0..100 {
        plain_hash.update(&piece);
        let ct = enc.update(&piece).unwrap();
        for p in ct.chunks(16 * 1024) {
            let out = dec.update(p).unwrap();
            back_hash.update(&out);
            back += out.len() as u64;
            assert!(
                dec.buf.capacity() <= 4 * CT,
                "the decryptor holds about one chunk"
            );
        }
    }
    let (tail, sent) = enc.finish().unwrap();
    let before_last = dec.update(&tail).unwrap();
    let (out, got) = dec.finish().unwrap();
    for part in [before_last, out] {
        back_hash.update(&part);
        back += part.len() as u64;
    }
    assert_eq!(back, 100 << 20);
    assert_eq!(sent, got);
    assert_eq!(sent.ciphertext_size, ciphertext_size(100 << 20).unwrap());
    assert_eq!(
        finish_hash(plain_hash),
        finish_hash(back_hash),
        "the plaintext came back"
    );
}

fn refused(ct: &[u8]) -> AttachmentError {
    decrypt(&key(), ct).expect_err("must be refused")
}

#[test]
fn tampering_is_refused() {
    let ct = enc(3 * C + 10);
    let chunk = |i: usize| H + i * CT..(H + (i + 1) * CT).min(ct.len());

    let mut flipped = ct.clone();
    flipped[H + CT + 5] ^= 1;
    assert_eq!(refused(&flipped), AttachmentError::ChunkFailed { index: 1 });

    let mut swapped = ct[..H].to_vec();
    swapped.extend(&ct[chunk(1)]);
    swapped.extend(&ct[chunk(0)]);
    swapped.extend(&ct[chunk(2).start..]);
    assert_eq!(refused(&swapped), AttachmentError::ChunkFailed { index: 0 });

    let dropped_last = &ct[..chunk(3).start];
    assert_eq!(
        refused(dropped_last),
        AttachmentError::ChunkFailed { index: 2 }
    );

    let mid = &ct[..chunk(2).start + 100];
    assert!(matches!(
        refused(mid),
        AttachmentError::ChunkFailed { index: 2 }
    ));
    assert_eq!(
        refused(&ct[..H + 10]),
        AttachmentError::Truncated,
        "shorter than a tag"
    );
    assert_eq!(
        refused(&ct[..H + 20]),
        AttachmentError::ChunkFailed { index: 0 }
    );
    assert_eq!(refused(&ct[..H + 3]), AttachmentError::Truncated);
    assert_eq!(refused(&ct[..H]), AttachmentError::Truncated);
    assert_eq!(refused(&ct[..20]), AttachmentError::Truncated);

    let mut appended = ct.clone();
    appended.extend(&ct[chunk(3)]);
    assert_eq!(
        refused(&appended),
        AttachmentError::ChunkFailed { index: 3 }
    );
    let mut trailing = ct.clone();
    trailing.push(0);
    assert!(decrypt(&key(), &trailing).is_err());

    let mut header = ct.clone();
    header[10] ^= 1;
    assert_eq!(refused(&header), AttachmentError::ChunkFailed { index: 0 });
    for at in [0, 4, 5] {
        let mut bad = ct.clone();
        bad[at] ^= 1;
        assert_eq!(refused(&bad), AttachmentError::BadHeader);
    }
    assert!(
        decrypt(&FileKey::from_bytes([8; 32]), &ct).is_err(),
        "wrong key"
    );
}

#[test]
fn a_final_flag_on_a_non_final_chunk_or_an_empty_tail_is_refused() {
    let nonce = [3u8; 32];
    let hdr = header(&nonce);
    let k = gcm(&payload_key(&key(), &hdr)).unwrap();
    let seal = |i: u64, last: bool, pt: &[u8]| {
        let mut c = pt.to_vec();
        k.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(chunk_iv(i, last)),
            Aad::empty(),
            &mut c,
        )
        .unwrap();
        c
    };
    let pt = pattern(2 * C);
    let honest = [
        hdr.to_vec(),
        seal(0, false, &pt[..C]),
        seal(1, true, &pt[C..]),
    ]
    .concat();
    assert_eq!(decrypt(&key(), &honest).unwrap().0, pt);

    let early_final = [
        hdr.to_vec(),
        seal(0, true, &pt[..C]),
        seal(1, true, &pt[C..]),
    ]
    .concat();
    assert_eq!(
        decrypt(&key(), &early_final).unwrap_err(),
        AttachmentError::ChunkFailed { index: 0 }
    );

    let short_nonfinal = [
        hdr.to_vec(),
        seal(0, false, &pt[..100]),
        seal(1, true, &pt[100..200]),
    ]
    .concat();
    assert!(
        decrypt(&key(), &short_nonfinal).is_err(),
        "a short chunk is the last one"
    );

    let empty_tail = [hdr.to_vec(), seal(0, false, &pt[..C]), seal(1, true, &[])].concat();
    assert_eq!(
        decrypt(&key(), &empty_tail).unwrap_err(),
        AttachmentError::EmptyFinalChunk
    );

    let no_final = [hdr.to_vec(), seal(0, false, &pt[..C])].concat();
    assert_eq!(
        decrypt(&key(), &no_final).unwrap_err(),
        AttachmentError::ChunkFailed { index: 0 }
    );
}

#[test]
fn a_decryptor_is_poisoned_after_an_error() {
    let mut ct = enc(2 * C + 1);
    ct[H + 1] ^= 1;
    let mut d = AttachmentDecryptor::new(&key());
    assert!(d.update(&ct[..H + CT + 1]).is_err());
    assert_eq!(d.update(&ct[H + CT + 1..]), Err(AttachmentError::Poisoned));
    assert_eq!(d.finish().unwrap_err(), AttachmentError::Poisoned);
}

fn descriptor(summary: &AttachmentSummary) -> AttachmentDescriptor {
    AttachmentDescriptor {
        attachment_id: Uuid::from_u128(0x1234),
        key: key(),
        sha256: summary.sha256,
        name: "photo.jpg".into(),
        media_type: "image/jpeg".into(),
        size: summary.size,
        ciphertext_size: summary.ciphertext_size,
        dimensions: Some(Dimensions {
            width: 640,
            height: 480,
        }),
        thumbnail: Some(Thumbnail {
            media_type: "image/jpeg".into(),
            bytes: vec![0xff, 0xd8, 0xff, 0xe0, 1, 2],
        }),
    }
}

#[test]
fn a_descriptor_decryptor_checks_hash_and_sizes() {
    let (ct, summary) = encrypt(&key(), &pattern(C + 5)).unwrap();
    let d = descriptor(&summary);
    let mut dec = AttachmentDecryptor::for_descriptor(&d);
    let mut out = dec.update(&ct).unwrap();
    out.extend(dec.finish().unwrap().0);
    assert_eq!(out, pattern(C + 5));

    let mut wrong = d.clone();
    wrong.sha256[0] ^= 1;
    let mut dec = AttachmentDecryptor::for_descriptor(&wrong);
    dec.update(&ct).unwrap();
    assert_eq!(dec.finish().unwrap_err(), AttachmentError::HashMismatch);

    let mut longer = ct.clone();
    longer.push(1);
    let mut dec = AttachmentDecryptor::for_descriptor(&d);
    assert_eq!(dec.update(&longer), Err(AttachmentError::TrailingData));
}

#[test]
fn the_message_content_round_trips_canonically() {
    let (_, summary) = encrypt(&key(), b"hi").unwrap();
    let msg = AttachmentMessage {
        text: Some("look \u{1f600}\n".into()),
        attachments: vec![descriptor(&summary)],
    };
    let plain = msg.to_plaintext().unwrap();
    let text = std::str::from_utf8(&plain).unwrap();
    assert!(text.starts_with("{\"attachments\":[{\"attachment_id\":\"00000000-0000-0000-0000-000000001234\",\"ciphertext_size\":"));
    assert!(text.ends_with("\"text\":\"look \u{1f600}\\n\"}"));
    assert_eq!(AttachmentMessage::parse(&plain).unwrap(), msg);
    let spaced = text.replacen(':', ": ", 1);
    assert!(AttachmentMessage::parse(spaced.as_bytes()).is_err());
}

#[test]
fn names_and_media_types_follow_the_rules() {
    for good in ["a", "photo.jpg", "ünïcødé 📷.png", &"x".repeat(255), "..."] {
        assert!(is_valid_attachment_name(good), "{good}");
    }
    for bad in [
        "",
        ".",
        "..",
        "a/b",
        "a\\b",
        "a\nb",
        "a\u{7f}",
        "a\u{85}",
        "evil\u{202e}gpj.exe",
        &"x".repeat(256),
    ] {
        assert!(!is_valid_attachment_name(bad), "{bad:?}");
    }
    assert!(is_valid_media_type("image/svg+xml"));
    assert!(!is_valid_media_type("Image/PNG"));
    assert!(!is_valid_media_type("text/plain; charset=utf-8"));
    assert!(!is_valid_media_type(""));
}

#[test]
fn hostile_descriptors_are_refused() {
    let (_, summary) = encrypt(&key(), b"hi").unwrap();
    let good = AttachmentMessage {
        text: None,
        attachments: vec![descriptor(&summary)],
    };
    let plain = String::from_utf8(good.to_plaintext().unwrap()).unwrap();
    let edits: Vec<(&str, String)> = vec![
        (
            "uppercase id",
            plain.replace(
                "00000000-0000-0000-0000-000000001234",
                "00000000-0000-0000-0000-00000000ABCD",
            ),
        ),
        (
            "name with slash",
            plain.replace("photo.jpg", "../photo.jpg"),
        ),
        (
            "wrong ciphertext size",
            plain.replace(
                &format!("\"ciphertext_size\":{}", summary.ciphertext_size),
                "\"ciphertext_size\":1",
            ),
        ),
        (
            "unknown field",
            plain.replace("{\"attachment_id\"", "{\"a\":1,\"attachment_id\""),
        ),
        (
            "duplicate key",
            plain.replace(
                "\"name\":\"photo.jpg\"",
                "\"name\":\"photo.jpg\",\"name\":\"x.exe\"",
            ),
        ),
        ("float", plain.replace("\"width\":640", "\"width\":640.0")),
        ("zero width", plain.replace("\"width\":640", "\"width\":0")),
        (
            "png bytes said jpeg",
            plain.replace(
                "\"thumbnail_media_type\":\"image/jpeg\"",
                "\"thumbnail_media_type\":\"image/png\"",
            ),
        ),
        ("no attachments", "{\"attachments\":[]}".into()),
        (
            "blank caption",
            format!("{},\"text\":\" \"}}", &plain[..plain.len() - 1]),
        ),
    ];
    for (what, text) in edits {
        assert_ne!(text, plain, "{what}: the edit applied");
        assert!(AttachmentMessage::parse(text.as_bytes()).is_err(), "{what}");
    }
    let two = AttachmentMessage {
        text: None,
        attachments: vec![descriptor(&summary); 2],
    };
    assert!(two.to_plaintext().is_err(), "duplicate ids");
}
