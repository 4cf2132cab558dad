//! What an attachment shows, pure: the view the components draw (name, size, type, the
//! thumbnail, and where its transfer stands), a short summary for previews and notifications,
//! and the key that identifies one verified download.

import { toBase64, type AttachmentDescriptor, type AttachmentThumbnail } from '@/lib/crypto';
import type { UploadPhase } from './upload';

export type TransferView =
  /** Our own file on its way to the server. */
  | { kind: 'upload'; phase: UploadPhase; progress: number; error: string | null; retryable: boolean }
  /** Not fetched (yet). */
  | { kind: 'idle' }
  | { kind: 'downloading'; progress: number }
  /** Fetched and checked; `url` is an object URL of the plaintext for an inline image. */
  | { kind: 'verified'; url: string | null }
  /** Fetched but a check failed (§11.5): nothing of it is shown or saved. */
  | { kind: 'damaged'; reason: string }
  /** 404: deleted, expired, or not shared with us. */
  | { kind: 'unavailable' }
  /** The network failed: try again. */
  | { kind: 'failed'; message: string };

export interface AttachmentView {
  /** The attachment id (or a local id while it uploads). */
  key: string;
  name: string;
  mediaType: string;
  size: number;
  width?: number;
  height?: number;
  thumbnail: AttachmentThumbnail | null;
  /** A raster image, drawn in the page once verified. */
  inline: boolean;
  transfer: TransferView;
}

/** One verified download: the attachment as this descriptor names it (id and hash). Two messages
 *  naming the same id with different hashes never share a result. */
export function downloadKey(d: Pick<AttachmentDescriptor, 'attachmentId' | 'sha256'>): string {
  return `${d.attachmentId}:${toBase64(d.sha256)}`;
}

/** For previews and notifications: "Photo", "report.pdf", "3 photos", "2 files", then " · caption". */
export function attachmentSummary(files: readonly { name: string; mediaType: string }[], caption?: string): string {
  const images = files.every((f) => f.mediaType.startsWith('image/'));
  const label =
    files.length === 0 ? 'Files' : files.length === 1 ? (images ? 'Photo' : files[0].name) : images ? `${files.length} photos` : `${files.length} files`;
  const text = caption?.replace(/\s+/g, ' ').trim();
  return text ? `${label} · ${text}` : label;
}
