//! Thumbnail sizing, pure: the pixel sizes and encoder qualities to try, largest first, until an
//! encoding fits its byte budget; and the budget itself. A thumbnail is at most 16 384 bytes
//! (§11.4), but every descriptor of a message shares the message's 65 536-byte plaintext with the
//! caption, so with several images each one gets a share.

import { MAX_PLAINTEXT_LEN, MAX_THUMBNAIL_LEN } from '@/lib/protocol/constants';

/** Longest edges tried, in pixels. */
const EDGES = [320, 240, 176, 128, 96, 64, 48];
/** Encoder qualities tried at each edge. */
const QUALITIES = [0.8, 0.62, 0.45];
/** A descriptor without its thumbnail, as written, with a name of up to 255 characters of up to 4 UTF-8 bytes. */
const DESCRIPTOR_OVERHEAD = 1_400;
/** Thumbnails smaller than this are not worth sending. */
const MIN_BUDGET = 600;

export interface ThumbnailAttempt {
  width: number;
  height: number;
  quality: number;
}

/** `width` × `height` scaled so the longer edge is at most `edge` (never enlarged, at least 1 × 1). */
export function fitWithin(width: number, height: number, edge: number): { width: number; height: number } {
  const scale = Math.min(1, edge / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The encodings to try for an image of this size, best first; the first that fits wins. */
export function thumbnailAttempts(width: number, height: number): ThumbnailAttempt[] {
  if (!(width > 0 && height > 0)) return [];
  const out: ThumbnailAttempt[] = [];
  const seen = new Set<string>();
  for (const edge of EDGES) {
    const size = fitWithin(width, height, edge);
    const key = `${size.width}x${size.height}`;
    if (seen.has(key)) continue; // a small image: the same size again would not shrink it
    seen.add(key);
    for (const quality of QUALITIES) out.push({ ...size, quality });
  }
  return out;
}

/**
 * Bytes each image's thumbnail may take when `images` of `files` attachments share one message
 * with a caption whose JSON string takes `captionBytes` UTF-8 bytes (escapes included): base64 grows them by 4/3, and what is left after
 * the descriptors and the caption is shared out. 0 = send no thumbnail.
 */
export function thumbnailBudget(images: number, files: number, captionBytes: number): number {
  if (images <= 0) return 0;
  const free = MAX_PLAINTEXT_LEN - 64 - captionBytes - files * DESCRIPTOR_OVERHEAD;
  const share = Math.floor(free / images / 4) * 3; // whole base64 groups
  const budget = Math.min(MAX_THUMBNAIL_LEN, share);
  return budget >= MIN_BUDGET ? budget : 0;
}
