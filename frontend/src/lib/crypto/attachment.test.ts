//! Attachments (docs/protocol.md §11): the known-answer file tests/vectors/courier-attachments.json
//! (written by the Rust protocol crate, so equal bytes here mean both implementations agree),
//! round trips, tampering, the incremental SHA-256, and descriptor validation.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  AttachmentDecryptor, AttachmentEncryptor, AttachmentError, attachmentCiphertextSize, attachmentHeader,
  attachmentPayloadKeyBytes, chunkIv, CIPHERTEXT_CHUNK_LEN, concat, decryptAttachment, encryptAttachment, fromBase64,
  isValidAttachmentName, isValidMediaType, parseAttachmentMessage, serializeAttachmentMessage, Sha256, toBase64, utf8,
  type AttachmentDescriptor, type Bytes,
} from '@/lib/crypto';
import { ATTACHMENT_CHUNK_SIZE as C, ATTACHMENT_HEADER_LEN as H, ATTACHMENT_CONTENT_TYPE } from '@/lib/protocol/constants';

const PATH = fileURLToPath(new URL('../../../../tests/vectors/courier-attachments.json', import.meta.url));
/* eslint-disable @typescript-eslint/no-explicit-any */
const V: any = JSON.parse(readFileSync(PATH, 'utf8'));
const b = fromBase64;

function pattern(len: number): Bytes {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = i % 251;
  return out;
}

async function sha256(bytes: Uint8Array): Promise<Bytes> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
}

/** Encrypts in uneven pieces under the vector key and nonce, as a streaming caller would. */
async function encryptFixed(plaintext: Uint8Array, piece = 40_000) {
  const enc = await AttachmentEncryptor.create(b(V.file_key), b(V.nonce));
  const parts: Uint8Array[] = [];
  for (let off = 0; off < plaintext.length; off += piece) parts.push(await enc.update(plaintext.subarray(off, off + piece)));
  const { bytes, summary } = await enc.finish();
  return { ciphertext: concat(...parts, bytes), summary };
}

async function refusal(fileKey: Uint8Array, bytes: Uint8Array): Promise<string> {
  try {
    await decryptAttachment(fileKey, bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(AttachmentError);
    return (e as AttachmentError).code;
  }
  throw new Error('accepted a tampered ciphertext');
}

describe('incremental SHA-256', () => {
  it('matches FIPS 180-2 and WebCrypto at every split', async () => {
    const h = new Sha256().update(utf8('abc')).digest();
    expect(toBase64(h)).toBe(toBase64(await sha256(utf8('abc'))));
    expect(Array.from(h.subarray(0, 4))).toEqual([0xba, 0x78, 0x16, 0xbf]);
    for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]) {
      const data = pattern(len);
      const want = toBase64(await sha256(data));
      for (const step of [1, 7, 64, 1000]) {
        if (len > 2000 && step < 64) continue;
        const s = new Sha256();
        for (let off = 0; off < len; off += step) s.update(data.subarray(off, off + step));
        expect(toBase64(s.digest()), `len ${len} step ${step}`).toBe(want);
      }
    }
  });
});

describe('known-answer vectors (courier-attachments.json)', () => {
  it('header, payload key, chunk IVs and ciphertext sizes', async () => {
    expect(V.version).toBe(1);
    expect(V.chunk_size).toBe(C);
    const header = attachmentHeader(b(V.nonce));
    expect(toBase64(header)).toBe(V.header);
    expect(toBase64(await attachmentPayloadKeyBytes(b(V.file_key), header))).toBe(V.payload_key);
    for (const iv of V.chunk_ivs) expect(toBase64(chunkIv(iv.index, iv.last))).toBe(iv.iv);
    for (const c of V.ciphertext_sizes) expect(attachmentCiphertextSize(c.size), String(c.size)).toBe(c.ciphertext_size);
  });

  it('every file encrypts to the same bytes as Rust and decrypts back, checked against its descriptor', async () => {
    for (const f of V.files) {
      const { ciphertext, summary } = await encryptFixed(pattern(f.size));
      expect(ciphertext.length, f.name).toBe(f.ciphertext_size);
      expect(toBase64(summary.sha256), f.name).toBe(f.sha256);
      expect(toBase64(await sha256(ciphertext)), f.name).toBe(f.sha256);
      if (f.ciphertext) expect(toBase64(ciphertext), f.name).toBe(f.ciphertext);
      const d: AttachmentDescriptor = {
        attachmentId: '00000000-0000-0000-0000-000000000000', key: b(V.file_key), sha256: b(f.sha256), name: 'f',
        mediaType: 'application/octet-stream', size: f.size, ciphertextSize: f.ciphertext_size,
      };
      const dec = AttachmentDecryptor.forDescriptor(d);
      const parts: Uint8Array[] = [];
      for (let off = 0; off < ciphertext.length; off += 7_777) parts.push(await dec.update(ciphertext.subarray(off, off + 7_777)));
      parts.push((await dec.finish()).bytes);
      expect(toBase64(concat(...parts)), f.name).toBe(toBase64(pattern(f.size)));
    }
  });

  it('every tampered ciphertext is refused with the same error class as in Rust', async () => {
    const cts = new Map<string, Bytes>();
    for (const f of V.files) cts.set(f.name, (await encryptFixed(pattern(f.size))).ciphertext);
    expect(V.tampered.length).toBeGreaterThanOrEqual(15);
    for (const t of V.tampered) {
      const parts = t.segments.map((s: any) => (s.base64 !== undefined ? b(s.base64) : cts.get(s.file)!.subarray(s.start, s.end)));
      const bytes = concat(...parts);
      for (const at of t.flip) bytes[at] ^= 1;
      expect(await refusal(b(V.file_key), bytes), t.name).toBe(t.error);
    }
  });

  it('valid message contents parse and re-serialise identically; invalid ones are refused', () => {
    expect(V.content.content_type).toBe(ATTACHMENT_CONTENT_TYPE);
    for (const ok of V.content.valid) {
      const msg = parseAttachmentMessage(utf8(ok.plaintext));
      expect(new TextDecoder().decode(serializeAttachmentMessage(msg))).toBe(ok.plaintext);
    }
    const first = parseAttachmentMessage(utf8(V.content.valid[0].plaintext)).attachments[0];
    expect(first.size).toBe(1);
    expect(toBase64(first.sha256)).toBe(V.files[1].sha256);
    expect(first.thumbnail?.mediaType).toBe('image/jpeg');
    for (const bad of V.content.invalid) {
      expect(() => parseAttachmentMessage(utf8(bad.plaintext)), bad.why).toThrow(AttachmentError);
    }
  });
});

describe('round trips and tampering', () => {
  const key = new Uint8Array(32).fill(7);
  const enc = async (len: number) => (await encryptAttachment(key, pattern(len))).ciphertext;

  it('round trips at the chunk boundaries, with fresh nonces', async () => {
    for (const len of [0, 1, C - 1, C, C + 1, 3 * C + 17]) {
      const { ciphertext, summary } = await encryptAttachment(key, pattern(len));
      expect(ciphertext.length).toBe(attachmentCiphertextSize(len));
      expect(summary.size).toBe(len);
      const { plaintext } = await decryptAttachment(key, ciphertext);
      expect(toBase64(plaintext)).toBe(toBase64(pattern(len)));
    }
    expect(toBase64(await enc(10))).not.toBe(toBase64(await enc(10)));
    expect((await enc(0)).length).toBe(H + 16);
    expect((await enc(C)).length).toBe(H + CIPHERTEXT_CHUNK_LEN);
  });

  it('refuses flips, swaps, drops, truncation and appended data', async () => {
    const ct = await enc(3 * C + 10);
    const chunk = (i: number) => ct.subarray(H + i * CIPHERTEXT_CHUNK_LEN, Math.min(H + (i + 1) * CIPHERTEXT_CHUNK_LEN, ct.length));
    const flipped = ct.slice();
    flipped[H + CIPHERTEXT_CHUNK_LEN + 5] ^= 1;
    expect(await refusal(key, flipped)).toBe('chunk_failed');
    expect(await refusal(key, concat(ct.subarray(0, H), chunk(1), chunk(0), chunk(2), chunk(3)))).toBe('chunk_failed');
    expect(await refusal(key, ct.subarray(0, H + 3 * CIPHERTEXT_CHUNK_LEN))).toBe('chunk_failed');
    expect(await refusal(key, ct.subarray(0, H + CIPHERTEXT_CHUNK_LEN + 100))).toBe('chunk_failed');
    expect(await refusal(key, ct.subarray(0, H))).toBe('truncated');
    expect(await refusal(key, concat(ct, chunk(3)))).toBe('chunk_failed');
    expect(await refusal(new Uint8Array(32).fill(8), ct)).toBe('chunk_failed');
  });

  it('returns only whole verified chunks early, and is dead after an error', async () => {
    const ct = await enc(2 * C + 1);
    const dec = AttachmentDecryptor.create(key);
    expect((await dec.update(ct.subarray(0, H + CIPHERTEXT_CHUNK_LEN))).length).toBe(0);
    expect((await dec.update(ct.subarray(H + CIPHERTEXT_CHUNK_LEN, H + CIPHERTEXT_CHUNK_LEN + 1))).length).toBe(C);
    const bad = ct.slice();
    bad[bad.length - 1] ^= 1;
    await dec.update(bad.subarray(H + CIPHERTEXT_CHUNK_LEN + 1));
    await expect(dec.finish()).rejects.toMatchObject({ code: 'chunk_failed' });
    await expect(dec.finish()).rejects.toMatchObject({ code: 'poisoned' });
  });

  it('streams a multi-MiB file in network-sized pieces, one chunk buffered at a time', async () => {
    const piece = pattern(1 << 20);
    const enc = await AttachmentEncryptor.create(key);
    const dec = AttachmentDecryptor.create(key);
    const sent = new Sha256();
    const got = new Sha256();
    let back = 0;
    const take = (bytes: Uint8Array) => {
      got.update(bytes);
      back += bytes.length;
    };
    for (let i = 0; i < 4; i++) {
      sent.update(piece);
      const ct = await enc.update(piece);
      for (let off = 0; off < ct.length; off += 16_384) take(await dec.update(ct.subarray(off, off + 16_384)));
    }
    const last = await enc.finish();
    take(await dec.update(last.bytes));
    const end = await dec.finish();
    take(end.bytes);
    expect(back).toBe(4 << 20);
    expect(toBase64(got.digest())).toBe(toBase64(sent.digest()));
    expect(end.summary.ciphertextSize).toBe(last.summary.ciphertextSize);
    expect(toBase64(end.summary.sha256)).toBe(toBase64(last.summary.sha256));
  });

  it('a descriptor decryptor refuses a wrong hash and stops at trailing data', async () => {
    const { ciphertext, summary } = await encryptAttachment(key, pattern(100));
    const d: AttachmentDescriptor = {
      attachmentId: '00000000-0000-0000-0000-000000000001', key, sha256: summary.sha256, name: 'a.bin',
      mediaType: 'application/octet-stream', size: 100, ciphertextSize: summary.ciphertextSize,
    };
    const wrong = AttachmentDecryptor.forDescriptor({ ...d, sha256: new Uint8Array(32) });
    await wrong.update(ciphertext);
    await expect(wrong.finish()).rejects.toMatchObject({ code: 'hash_mismatch' });
    const longer = AttachmentDecryptor.forDescriptor(d);
    await expect(longer.update(concat(ciphertext, new Uint8Array(1)))).rejects.toMatchObject({ code: 'trailing_data' });
  });
});

describe('descriptor rules', () => {
  it('names and media types', () => {
    for (const good of ['a', 'photo.jpg', 'ünïcødé 📷.png', 'x'.repeat(255), '...', '📷'.repeat(255)]) {
      expect(isValidAttachmentName(good), good).toBe(true);
    }
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\nb', 'a\u007f', 'a\u0085', 'evil\u202egpj.exe', 'x'.repeat(256), 'a\ud800']) {
      expect(isValidAttachmentName(bad), JSON.stringify(bad)).toBe(false);
    }
    expect(isValidMediaType('image/svg+xml')).toBe(true);
    expect(isValidMediaType('Image/PNG')).toBe(false);
    expect(isValidMediaType('text/plain; charset=utf-8')).toBe(false);
  });
});
