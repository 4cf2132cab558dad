// Test files for the attachment scenarios: a real PNG (made here, no image library), random
// bytes, and the SHA-256 to compare what arrived with what was sent.
import { createHash, randomBytes } from 'node:crypto';
import { deflateSync, crc32 } from 'node:zlib';

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A `width` × `height` RGB PNG: a colour gradient with some noise (so it does not compress to nothing). */
export function makePng(width, height, seed = 1) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const noise = randomBytes(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const n = noise[y * width + x] & 0x1f;
      const o = row + 1 + x * 3;
      raw[o] = (x * 255) / width + n;
      raw[o + 1] = (y * 255) / height + n;
      raw[o + 2] = (seed * 67 + n * 3) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/** `n` random bytes (incompressible, so the ciphertext size is what it says). */
export function randomFile(n) {
  return randomBytes(n);
}
