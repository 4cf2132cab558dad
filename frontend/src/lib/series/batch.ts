//! Telemetry series batches (docs/protocol.md §12): the plaintext of a message of content type
//! `application/vnd.courier.series+json`, as the Rust crate's `courier_protocol::series` reads
//! and writes it; the known answers in `tests/vectors/courier-series.json` bind the two.
//! A batch that breaks any rule is refused whole: the message is flagged and nothing plotted.

import { canonicalJson, parseCanonicalContent, type CanonicalValue } from '@/lib/crypto/canonical';
import {
  MAX_PLAINTEXT_LEN,
  MAX_POINTS_PER_BATCH,
  MAX_SAFE_INTEGER,
  MAX_SERIES_NAME_LEN,
  MAX_SERIES_PER_BATCH,
  MAX_SERIES_UNIT_LEN,
  MAX_STREAM_ID_LEN,
} from '@/lib/protocol/constants';

export interface Series {
  name: string;
  unit: string;
}

/** `[t_ms, v1, v2, …]`: the emitter's time (ms since the epoch) and one value or null per series. */
export type Point = [number, ...(number | null)[]];

export interface SeriesBatch {
  stream: string;
  seq: number;
  series: Series[];
  points: Point[];
}

export class SeriesError extends Error {
  constructor(why: string) {
    super(`series batch refused: ${why}`);
    this.name = 'SeriesError';
  }
}

function invalid(why: string): never {
  throw new SeriesError(why);
}

const STREAM_RE = /^[A-Za-z0-9._:-]+$/;
const LONE_SURROGATE_RE = /\p{Surrogate}/u;

export function isValidStreamId(id: string): boolean {
  return id.length >= 1 && id.length <= MAX_STREAM_ID_LEN && STREAM_RE.test(id);
}

/** min..max scalar values, no C0/C1 or bidirectional controls (as §11.4 names). */
function isDisplayText(text: unknown, min: number, max: number): text is string {
  if (typeof text !== 'string' || LONE_SURROGATE_RE.test(text)) return false;
  const points = [...text].map((ch) => ch.codePointAt(0) as number);
  return points.length >= min && points.length <= max && !points.some((cp) =>
    cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || cp === 0x200e || cp === 0x200f
    || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSafeCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_SAFE_INTEGER;
}

function checkSeries(series: unknown): Series[] {
  if (!Array.isArray(series) || series.length < 1 || series.length > MAX_SERIES_PER_BATCH) invalid('series must hold 1-16 entries');
  const names = new Set<string>();
  return series.map((s) => {
    if (!isRecord(s) || Object.keys(s).length !== 2 || typeof s.name !== 'string' || typeof s.unit !== 'string') {
      invalid('a series must have exactly a string name and unit');
    }
    if (!isDisplayText(s.name, 1, MAX_SERIES_NAME_LEN)) invalid('series name must be 1-64 characters without control characters');
    if (!isDisplayText(s.unit, 0, MAX_SERIES_UNIT_LEN)) invalid('series unit must be 0-16 characters without control characters');
    if (names.has(s.name)) invalid('duplicate series name');
    names.add(s.name);
    return { name: s.name, unit: s.unit };
  });
}

function checkPoints(points: unknown, width: number): Point[] {
  if (!Array.isArray(points) || points.length < 1 || points.length > MAX_POINTS_PER_BATCH) invalid('points must hold 1-1000 points');
  let last = -1;
  for (const p of points) {
    if (!Array.isArray(p) || p.length === 0) invalid('a point must be a non-empty array');
    const [t, ...values] = p as unknown[];
    if (!isSafeCount(t)) invalid('point time must be an integer 0..2^53-1');
    if (t < last) invalid('points must be in non-decreasing time order');
    last = t;
    if (values.length !== width) invalid('a point needs one value (or null) per series');
    if (values.some((v) => v !== null && (typeof v !== 'number' || !Number.isFinite(v)))) invalid('values must be numbers or null');
  }
  return points as Point[];
}

/** Parses and checks a decrypted plaintext (§12.1); throws `SeriesError` for anything else. */
export function parseSeriesBatch(plaintext: Uint8Array): SeriesBatch {
  if (plaintext.length > MAX_PLAINTEXT_LEN) invalid('content longer than a message plaintext');
  const parsed = parseCanonicalContent(plaintext, { numbers: 'ecmascript' });
  if (!parsed.ok) invalid(parsed.reason);
  const value = parsed.value;
  if (!isRecord(value)) invalid('content is not an object');
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'points,seq,series,stream') invalid('content must have exactly points, seq, series and stream');
  if (typeof value.stream !== 'string' || !isValidStreamId(value.stream)) invalid('stream must be 1-64 of A-Z a-z 0-9 . _ : -');
  if (!isSafeCount(value.seq)) invalid('seq must be an integer 0..2^53-1');
  const series = checkSeries(value.series);
  const points = checkPoints(value.points, series.length);
  return { stream: value.stream, seq: value.seq, series, points };
}

/** The canonical plaintext of `batch`; throws for a batch a reader would refuse. */
export function serializeSeriesBatch(batch: SeriesBatch): Uint8Array {
  const text = canonicalJson(batch as unknown as CanonicalValue, { numbers: 'ecmascript' });
  const bytes = new TextEncoder().encode(text);
  parseSeriesBatch(bytes);
  return bytes;
}

/**
 * The `seq` numbers seen of one `(sender, stream)`: `insert` says whether a batch is new or a
 * duplicate (keep the first), `gaps` which batches between 0 and the highest are missing.
 */
export class SeqLog {
  private seen = new Set<number>();
  private highest = -1;

  insert(seq: number): 'new' | 'duplicate' {
    if (this.seen.has(seq)) return 'duplicate';
    this.seen.add(seq);
    this.highest = Math.max(this.highest, seq);
    return 'new';
  }

  /** Missing runs as inclusive `[first, last]` pairs, in order. */
  gaps(): [number, number][] {
    const sorted = [...this.seen].sort((a, b) => a - b);
    const out: [number, number][] = [];
    let next = 0;
    for (const s of sorted) {
      if (s > next) out.push([next, s - 1]);
      next = s + 1;
    }
    return out;
  }

  get last(): number | undefined {
    return this.highest < 0 ? undefined : this.highest;
  }
}
