//! What the client decides about files, pure: how many may go in one message, the name and media
//! type a picked file is sent with (the descriptor rules of docs/protocol.md §11.4), which
//! received types are drawn inline (§11.5: only raster types the browser decodes safely), how a
//! received name is made safe to save, sizes for people, and the layout box of an image from the
//! sender's claimed dimensions (clamped: they are claims).

import { isValidAttachmentName, isValidMediaType } from '@/lib/crypto';
import { MAX_ATTACHMENT_NAME_LEN, MAX_ATTACHMENTS_PER_MESSAGE } from '@/lib/protocol/constants';

/** Files in one message (the protocol's limit). */
export const MAX_FILES = MAX_ATTACHMENTS_PER_MESSAGE;

/** Decoded as images in the page; everything else is a card offered as a download. */
const INLINE_IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export function isInlineImage(mediaType: string): boolean {
  return INLINE_IMAGE_TYPES.has(mediaType);
}

const BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp',
  pdf: 'application/pdf', txt: 'text/plain', zip: 'application/zip', mp4: 'video/mp4', mp3: 'audio/mpeg',
};

/** The browser's type for a picked file, lowercased without parameters; by extension when it
 *  gives none; `application/octet-stream` when neither fits the writer rule. */
export function outgoingMediaType(type: string, name: string): string {
  const essence = type.split(';')[0].trim().toLowerCase();
  if (essence && isValidMediaType(essence)) return essence;
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
  const guess = ext ? BY_EXTENSION[ext] : undefined;
  return guess ?? 'application/octet-stream';
}

// Characters a descriptor name may not hold (§11.4): `/`, `\`, C0/C1 controls, DEL, bidi controls.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_IN_NAME = /[/\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const LONE_SURROGATE = /\p{Surrogate}/gu;

/** Cuts `name` to at most `max` code points, keeping a short extension. */
function clip(name: string, max: number): string {
  const points = [...name];
  if (points.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? [...name.slice(dot)] : [];
  if (ext.length > 1 && ext.length <= 16) return points.slice(0, max - ext.length).join('') + ext.join('');
  return points.slice(0, max).join('');
}

/** The name a picked file is sent with: what the descriptor rules allow, as close to the original as possible. */
export function outgoingName(name: string): string {
  let out = clip(name.trim().replace(LONE_SURROGATE, '\ufffd').replace(FORBIDDEN_IN_NAME, '_').trim(), MAX_ATTACHMENT_NAME_LEN);
  if (out === '' || out === '.' || out === '..') out = 'file';
  return isValidAttachmentName(out) ? out : 'file';
}

// Refused by common file systems (Windows is the strictest), besides the descriptor's own rules.
// eslint-disable-next-line no-control-regex
const UNSAFE_FOR_DISK = /[<>:"/\\|?*\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/**
 * A received name made safe to save (§11.5): no path separators or characters file systems
 * refuse, no reserved device names, no leading dots (hidden files) or trailing dots and spaces,
 * at most 200 code points. Never empty. The browser still picks the directory and resolves
 * clashes with existing files.
 */
export function saveName(name: string): string {
  let out = name.replace(LONE_SURROGATE, '_').replace(UNSAFE_FOR_DISK, '_').trim();
  out = out.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  out = clip(out, 200);
  if (RESERVED.test(out)) out = `_${out}`;
  return out || 'download';
}

/** Bytes for people: "812 B", "4.2 KB", "12 MB" (decimal units, as file managers show). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The name's extension for a card ("PDF"), or a short form of the media type. */
export function typeLabel(name: string, mediaType: string): string {
  const ext = /\.([A-Za-z0-9]{1,6})$/.exec(name)?.[1];
  if (ext) return ext.toUpperCase();
  const sub = mediaType.split('/')[1] ?? mediaType;
  return sub.length <= 12 ? sub.toUpperCase() : 'FILE';
}

/**
 * The box an inline image is laid out in, from the sender's claimed size: at most `maxW` × `maxH`,
 * aspect kept but clamped between 1:3 and 3:1 so a hostile claim cannot make a 1-pixel sliver or a
 * page-long strip; a square when nothing is claimed.
 */
export function layoutBox(width: number | undefined, height: number | undefined, maxW = 280, maxH = 280): { width: number; height: number } {
  const w = width && width > 0 ? width : 1;
  const h = height && height > 0 ? height : 1;
  const ratio = Math.min(3, Math.max(1 / 3, w / h));
  let bw = Math.min(maxW, Math.max(w, 96));
  let bh = bw / ratio;
  if (bh > maxH) {
    bh = maxH;
    bw = bh * ratio;
  }
  if (bw > maxW) {
    bw = maxW;
    bh = bw / ratio;
  }
  return { width: Math.round(bw), height: Math.round(bh) };
}

/** What can be added to the pending files: those within the per-message limit, and how many were left out. */
export function admitFiles<T>(pending: readonly T[], picked: readonly T[]): { files: T[]; refused: number } {
  const room = Math.max(0, MAX_FILES - pending.length);
  return { files: [...pending, ...picked.slice(0, room)], refused: Math.max(0, picked.length - room) };
}
