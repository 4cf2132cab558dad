//! Slice `transfers`: where attachments stand on this device. Uploads per (own, unsent) message,
//! one entry per file; downloads per verified-download key (attachment id and hash, see
//! `downloadKey`). Pure: the effects (../effects/attachments.ts) do the work and report here.

import { isInlineImage, type AttachmentView, type TransferView, type UploadError, type UploadPhase, downloadKey } from '@/features/attachments';
import type { AttachmentThumbnail } from '@/lib/crypto';
import type { MessengerEvent } from './events';
import type { ChatMessage } from './types';

export interface UploadItem {
  localId: string;
  name: string;
  mediaType: string;
  /** Plaintext bytes. */
  size: number;
  width?: number;
  height?: number;
  thumbnail: AttachmentThumbnail | null;
  phase: UploadPhase;
  /** Ciphertext bytes at the server (and on their way), of `total`. */
  sent: number;
  total: number;
  error: UploadError | null;
}

export interface DownloadItem {
  state: 'downloading' | 'verified' | 'damaged' | 'unavailable' | 'failed';
  received: number;
  total: number;
  /** Object URL of a verified inline image. */
  url: string | null;
  /** Why it failed. */
  message: string | null;
}

export interface TransfersState {
  /** message id → its files while they upload. */
  uploads: Record<string, UploadItem[]>;
  /** downloadKey → the download. */
  downloads: Record<string, DownloadItem>;
}

export const noTransfers: TransfersState = { uploads: {}, downloads: {} };

function without<T>(all: Record<string, T>, key: string): Record<string, T> {
  if (!(key in all)) return all;
  const { [key]: _gone, ...rest } = all;
  return rest;
}

function patchUpload(s: TransfersState, messageId: string, localId: string, patch: (u: UploadItem) => UploadItem | null): TransfersState {
  const list = s.uploads[messageId];
  if (!list?.some((u) => u.localId === localId)) return s;
  const next = list.flatMap((u) => (u.localId === localId ? (patch(u) ?? []) : [u]));
  if (next.length === list.length && next.every((u, i) => u === list[i])) return s;
  return { ...s, uploads: { ...s.uploads, [messageId]: next } };
}

export function applyTransfers(s: TransfersState, e: MessengerEvent): TransfersState {
  switch (e.type) {
    case 'uploads/added':
      return { ...s, uploads: { ...s.uploads, [e.messageId]: e.files } };
    case 'upload/prepared':
      return patchUpload(s, e.messageId, e.localId, (u) => ({ ...u, ...e.meta }));
    case 'upload/status':
      return patchUpload(s, e.messageId, e.localId, (u) =>
        u.phase === e.status.phase && u.sent === e.status.sent && u.error === e.status.error ? u : { ...u, ...e.status },
      );
    case 'upload/removed':
      return patchUpload(s, e.messageId, e.localId, () => null);
    case 'uploads/finished':
    case 'message/dropped':
      return { ...s, uploads: without(s.uploads, e.messageId) };
    case 'download/changed':
      return { ...s, downloads: e.item ? { ...s.downloads, [e.key]: e.item } : without(s.downloads, e.key) };
    default:
      return s;
  }
}

function downloadView(d: DownloadItem | undefined): TransferView {
  if (!d) return { kind: 'idle' };
  switch (d.state) {
    case 'downloading':
      return { kind: 'downloading', progress: d.total ? d.received / d.total : 0 };
    case 'verified':
      return { kind: 'verified', url: d.url };
    case 'damaged':
      return { kind: 'damaged', reason: d.message ?? 'a check failed' };
    case 'unavailable':
      return { kind: 'unavailable' };
    case 'failed':
      return { kind: 'failed', message: d.message ?? 'The download failed.' };
  }
}

/** What the message's attachments show: its uploads while they run, else its descriptors with their downloads. */
export function attachmentViews(m: ChatMessage, t: TransfersState): AttachmentView[] {
  if (m.content.kind !== 'attachments') return [];
  const uploads = t.uploads[m.id];
  if (uploads) {
    return uploads.map((u) => ({
      key: u.localId,
      name: u.name,
      mediaType: u.mediaType,
      size: u.size,
      ...(u.width !== undefined && u.height !== undefined ? { width: u.width, height: u.height } : {}),
      thumbnail: u.thumbnail,
      inline: isInlineImage(u.mediaType),
      transfer: { kind: 'upload', phase: u.phase, progress: u.total ? u.sent / u.total : 0, error: u.error?.message ?? null, retryable: !!u.error?.retryable },
    }));
  }
  return m.content.attachments.map((d) => ({
    key: d.attachmentId,
    name: d.name,
    mediaType: d.mediaType,
    size: d.size,
    ...(d.width !== undefined && d.height !== undefined ? { width: d.width, height: d.height } : {}),
    thumbnail: d.thumbnail ?? null,
    inline: isInlineImage(d.mediaType),
    transfer: downloadView(t.downloads[downloadKey(d)]),
  }));
}
