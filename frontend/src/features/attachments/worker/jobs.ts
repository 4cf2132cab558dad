//! The crypto work on attachments, as the Web Worker runs it (./attachment.worker.ts), or the
//! page itself where there is no Worker (tests). Streaming only: a file is read slice by slice
//! (`Blob.slice`, 1 MiB at a time), never whole, and handed out as ciphertext pieces of the
//! upload's piece size; a download is decrypted as it arrives and released as a `Blob` only once
//! every chunk, the size and the SHA-256 of the descriptor checked (docs/protocol.md §11.3–11.5).

import {
  AttachmentDecryptor, AttachmentEncryptor, AttachmentError, concat, type AttachmentSummary, type Bytes,
} from '@/lib/crypto';
import { thumbnailAttempts } from '../model/thumbnail';

/** Bytes read from the file at a time. */
const READ_SIZE = 1 << 20;

export interface EncryptPiece {
  /** The next ciphertext bytes: exactly the piece size, fewer only for the last piece. */
  bytes: Bytes;
  /** No bytes follow. */
  last: boolean;
  /** With the last piece: the descriptor's sha256, size and ciphertext_size. */
  summary: AttachmentSummary | null;
}

/** Encrypts a file as a stream of ciphertext pieces (§11.3), hashing as it goes. */
export class EncryptJob {
  private pos = 0;
  private out: Uint8Array[] = [];
  private outLen = 0;
  private sealed = false;
  private summary: AttachmentSummary | null = null;

  private constructor(private readonly file: Blob, private readonly encryptor: AttachmentEncryptor, private readonly pieceSize: number) {}

  static async create(file: Blob, fileKey: Uint8Array, pieceSize: number, nonce?: Uint8Array): Promise<EncryptJob> {
    if (!Number.isSafeInteger(pieceSize) || pieceSize < 1) throw new Error('the piece size must be positive');
    return new EncryptJob(file, await AttachmentEncryptor.create(fileKey, nonce), pieceSize);
  }

  async next(): Promise<EncryptPiece> {
    while (this.outLen < this.pieceSize && !this.sealed) {
      if (this.pos < this.file.size) {
        const end = Math.min(this.file.size, this.pos + READ_SIZE);
        const plain = new Uint8Array(await this.file.slice(this.pos, end).arrayBuffer());
        if (plain.length !== end - this.pos) throw new Error('the file changed while it was being read');
        this.pos = end;
        this.keep(await this.encryptor.update(plain));
        plain.fill(0);
      } else {
        const { bytes, summary } = await this.encryptor.finish();
        this.keep(bytes);
        this.summary = summary;
        this.sealed = true;
      }
    }
    const all = this.out.length === 1 ? this.out[0] : concat(...this.out);
    const take = Math.min(this.pieceSize, all.length);
    const bytes = all.slice(0, take);
    const rest = all.subarray(take);
    this.out = rest.length ? [rest] : [];
    this.outLen = rest.length;
    const last = this.sealed && this.outLen === 0;
    return { bytes, last, summary: last ? this.summary : null };
  }

  private keep(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.out.push(bytes);
    this.outLen += bytes.length;
  }
}

/** What a download must be, from its descriptor. */
export interface ExpectedCiphertext {
  key: Bytes;
  sha256: Bytes;
  size: number;
  ciphertextSize: number;
}

/**
 * Decrypts a download for its descriptor. Released plaintext stays here until `finish` has
 * checked the end, the size and the hash; any failure discards all of it (§11.3 step 4).
 */
export class DecryptJob {
  private readonly decryptor: AttachmentDecryptor;
  private parts: Uint8Array[] = [];

  constructor(expected: ExpectedCiphertext, private readonly blobType: string) {
    this.decryptor = AttachmentDecryptor.forDescriptor({ ...expected, attachmentId: '', name: '', mediaType: '' });
  }

  async push(ciphertext: Uint8Array): Promise<void> {
    try {
      const plain = await this.decryptor.update(ciphertext);
      if (plain.length) this.parts.push(plain);
    } catch (e) {
      this.discard();
      throw e;
    }
  }

  /** The verified file, or an `AttachmentError` naming why it is damaged. */
  async finish(): Promise<Blob> {
    try {
      const { bytes } = await this.decryptor.finish();
      if (bytes.length) this.parts.push(bytes);
      const blob = new Blob(this.parts as BlobPart[], { type: this.blobType });
      this.parts = [];
      return blob;
    } catch (e) {
      this.discard();
      throw e;
    }
  }

  discard(): void {
    for (const p of this.parts) p.fill(0);
    this.parts = [];
  }
}

export interface ImageInfo {
  width: number;
  height: number;
  thumbnail: { mediaType: 'image/jpeg'; bytes: Bytes } | null;
}

/** Larger files are sent without dimensions or thumbnail: decoding them would take too much memory. */
const MAX_DECODE_BYTES = 40 << 20;

/**
 * An image's pixel size and a JPEG thumbnail of at most `budget` bytes (the largest of the
 * sizes and qualities tried that fits), or null where the image cannot be decoded here (no
 * `createImageBitmap`/`OffscreenCanvas`, not an image, too large). Callers pass only raster types.
 */
export async function imageInfo(file: Blob, budget: number): Promise<ImageInfo | null> {
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function' || file.size > MAX_DECODE_BYTES) return null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  try {
    const { width, height } = bitmap;
    let thumbnail: ImageInfo['thumbnail'] = null;
    if (budget > 0) {
      let canvas: OffscreenCanvas | null = null;
      for (const a of thumbnailAttempts(width, height)) {
        if (!canvas || canvas.width !== a.width || canvas.height !== a.height) {
          canvas = new OffscreenCanvas(a.width, a.height);
          const ctx = canvas.getContext('2d');
          if (!ctx) break;
          ctx.fillStyle = '#fff'; // JPEG has no transparency
          ctx.fillRect(0, 0, a.width, a.height);
          ctx.imageSmoothingQuality = 'high';
          ctx.drawImage(bitmap, 0, 0, a.width, a.height);
        }
        const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: a.quality });
        if (blob.size <= budget && blob.type === 'image/jpeg') {
          thumbnail = { mediaType: 'image/jpeg', bytes: new Uint8Array(await blob.arrayBuffer()) };
          break;
        }
      }
    }
    return { width, height, thumbnail };
  } finally {
    bitmap.close();
  }
}

/** An error as it crosses the worker boundary. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof AttachmentError) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

export function fromWireError(w: WireError): Error {
  if (w.name === 'AttachmentError' && w.code) {
    const e = new AttachmentError(w.code as AttachmentError['code']);
    e.message = w.message;
    return e;
  }
  const e = new Error(w.message);
  e.name = w.name;
  return e;
}
