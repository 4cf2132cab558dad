//! The messages between the page and the attachment worker. One request, one answer, matched
//! by `id`; a job's calls are made one after the other (each awaited), jobs may interleave.
import type { AttachmentSummary, Bytes } from '@/lib/crypto';
import type { ExpectedCiphertext, ImageInfo, WireError } from './jobs';

export type WorkerRequest =
  | { id: number; op: 'image-info'; file: Blob; budget: number }
  | { id: number; op: 'encrypt-start'; job: number; file: Blob; key: Bytes; pieceSize: number }
  | { id: number; op: 'encrypt-next'; job: number }
  | { id: number; op: 'decrypt-start'; job: number; expected: ExpectedCiphertext; blobType: string }
  | { id: number; op: 'decrypt-push'; job: number; bytes: Bytes }
  | { id: number; op: 'decrypt-finish'; job: number }
  | { id: number; op: 'close'; job: number };

export type WorkerResult =
  | { kind: 'image-info'; info: ImageInfo | null }
  | { kind: 'piece'; bytes: Bytes; last: boolean; summary: AttachmentSummary | null }
  | { kind: 'blob'; blob: Blob }
  | { kind: 'ok' };

export type WorkerResponse = { id: number; ok: true; result: WorkerResult } | { id: number; ok: false; error: WireError };
