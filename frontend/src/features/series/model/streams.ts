//! The telemetry of one conversation as the chart sees it (docs/protocol.md §12.3), pure: no I/O,
//! no timers, no crypto. Batches come in opened and checked (or refused) by the messenger; here
//! they are assembled into lines.
//!
//! Policy:
//! - A stream is the pair (verified sender id, `stream`): nobody adds to another member's stream.
//! - Per stream a `SeqLog`: the first batch with a `seq` is kept, a later one with the same `seq`
//!   and another message id is a duplicate, ignored and counted; the same message seen again
//!   (live and in a history page) is neither. Missing `seq` numbers between the lowest and the
//!   highest seen are gaps, reported and drawn as breaks.
//! - A line is (sender, stream, series name); its unit is the latest batch's.
//! - A refused batch (failed to verify or to parse) is only counted, never plotted.
//! - Memory is bounded by `evict(keep)`: batches wholly outside the kept time ranges drop their
//!   points (their `seq` stays known, so a later reload is recognised, not counted twice) and
//!   the coverage shrinks so that the range is fetched again when viewed.

import { SeqLog, type SeriesBatch } from '@/lib/series/batch';
import { addInterval, intersect, overlaps, subtractFrom, type Interval } from './intervals';

/** A batch as the messenger hands it over: opened and parsed, or refused (`batch` null). */
export interface BatchArrival {
  messageId: string;
  senderId: string;
  batch: SeriesBatch | null;
  /** Why it was refused. */
  reason?: string;
}

export type AddOutcome = 'added' | 'reloaded' | 'known' | 'duplicate' | 'refused';

export interface LineInfo {
  /** sender id, stream and name, joined by newlines (none of them can hold one). */
  id: string;
  senderId: string;
  stream: string;
  name: string;
  unit: string;
}

export interface Gap {
  senderId: string;
  stream: string;
  /** Missing `seq` numbers, inclusive. */
  from: number;
  to: number;
}

export interface LineStats {
  /** Non-null values in the range. */
  count: number;
  min: number | null;
  max: number | null;
  /** The value of the latest point in the range that has one. */
  last: number | null;
  lastT: number | null;
}

/**
 * What uPlot draws: one shared, ascending x array (ms) and per line its values. `undefined`
 * marks "this line has no point at this x" (uPlot draws across it); `null` is a break: a point
 * without a reading, a missing batch, or a pause in time (see `GAP_FACTOR`).
 */
export interface ChartData {
  lines: LineInfo[];
  x: number[];
  y: (number | null | undefined)[][];
}

/** A pause longer than this many typical point spacings of a line breaks it… */
export const GAP_FACTOR = 5;
/** …and never a pause shorter than this. */
export const GAP_MIN_MS = 1_000;

interface StoredBatch {
  messageId: string;
  tMin: number;
  tMax: number;
  /** Its points are in the lines (false once evicted). */
  loaded: boolean;
}

interface StreamState {
  senderId: string;
  stream: string;
  log: SeqLog;
  lowest: number;
  batches: Map<number, StoredBatch>;
  duplicates: Set<string>;
}

interface Line extends LineInfo {
  t: number[];
  v: (number | null)[];
  /** The `seq` of the batch each point came from. */
  s: number[];
}

const key = (...parts: string[]) => parts.join('\n');

/** First index with `t[i] >= x`. */
function lowerBound(t: readonly number[], x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with `t[i] > x`. */
function upperBound(t: readonly number[], x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The pause that breaks a line: `GAP_FACTOR` × the median spacing of its points (sampled). */
export function gapThreshold(t: readonly number[], from = 0, to = t.length): number {
  const n = to - from - 1;
  if (n < 1) return Infinity;
  const step = Math.max(1, Math.floor(n / 255));
  const dts: number[] = [];
  for (let i = from + 1; i < to; i += step) dts.push(t[i] - t[i - 1]);
  dts.sort((a, b) => a - b);
  return Math.max(GAP_MIN_MS, GAP_FACTOR * dts[dts.length >> 1]);
}

export class SeriesModel {
  private streams = new Map<string, StreamState>();
  private lineMap = new Map<string, Line>();
  private refusedIds = new Map<string, string>();
  private covered: Interval[] = [];
  /** Bumped on every change that can alter what is drawn. */
  version = 0;

  /** Takes one arrival; says what became of it. */
  add(a: BatchArrival): AddOutcome {
    if (!a.batch) {
      if (!this.refusedIds.has(a.messageId)) {
        this.refusedIds.set(a.messageId, a.reason ?? 'telemetry batch could not be verified');
        this.version++;
      }
      return 'refused';
    }
    const b = a.batch;
    const sk = key(a.senderId, b.stream);
    let st = this.streams.get(sk);
    if (!st) {
      st = { senderId: a.senderId, stream: b.stream, log: new SeqLog(), lowest: b.seq, batches: new Map(), duplicates: new Set() };
      this.streams.set(sk, st);
    }
    const kept = st.batches.get(b.seq);
    if (kept && kept.messageId !== a.messageId) {
      if (!st.duplicates.has(a.messageId)) {
        st.duplicates.add(a.messageId);
        this.version++;
      }
      return 'duplicate';
    }
    if (kept?.loaded) return 'known';
    const tMin = b.points[0][0];
    const tMax = b.points[b.points.length - 1][0];
    if (!kept) {
      st.log.insert(b.seq);
      st.lowest = Math.min(st.lowest, b.seq);
      st.batches.set(b.seq, { messageId: a.messageId, tMin, tMax, loaded: true });
    } else {
      kept.loaded = true;
    }
    b.series.forEach((s, i) => {
      const id = key(a.senderId, b.stream, s.name);
      let line = this.lineMap.get(id);
      if (!line) {
        line = { id, senderId: a.senderId, stream: b.stream, name: s.name, unit: s.unit, t: [], v: [], s: [] };
        this.lineMap.set(id, line);
      }
      if (!kept) line.unit = s.unit;
      insertPoints(line, b.points.map((p) => p[0]), b.points.map((p) => p[i + 1] ?? null), b.seq);
    });
    this.version++;
    return kept ? 'reloaded' : 'added';
  }

  /** The time range `[from, to]` is loaded (its history fetched, or followed live). */
  markCovered(iv: Interval): void {
    this.covered = addInterval(this.covered, iv);
  }

  /** The parts of `iv` not loaded yet. */
  missing(iv: Interval): Interval[] {
    return subtractFrom(iv, this.covered);
  }

  get coverage(): readonly Interval[] {
    return this.covered;
  }

  /**
   * Keeps only batches that reach into `keep` (sorted disjoint intervals): the others' points
   * are dropped, and what is covered shrinks to `keep`. Returns the number of batches dropped.
   */
  evict(keep: readonly Interval[]): number {
    let dropped = 0;
    for (const [sk, st] of this.streams) {
      const gone = new Set<number>();
      for (const [seq, b] of st.batches) {
        if (b.loaded && !overlaps(keep, b.tMin, b.tMax)) {
          b.loaded = false;
          gone.add(seq);
        }
      }
      if (!gone.size) continue;
      dropped += gone.size;
      for (const line of this.lineMap.values()) {
        if (key(line.senderId, line.stream) !== sk) continue;
        let w = 0;
        for (let r = 0; r < line.t.length; r++) {
          if (gone.has(line.s[r])) continue;
          line.t[w] = line.t[r];
          line.v[w] = line.v[r];
          line.s[w] = line.s[r];
          w++;
        }
        line.t.length = line.v.length = line.s.length = w;
      }
    }
    this.covered = intersect(this.covered, keep);
    if (dropped) this.version++;
    return dropped;
  }

  /** Lines in a stable order (sender, stream, name). */
  lines(): LineInfo[] {
    return [...this.lineMap.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(({ id, senderId, stream, name, unit }) => ({ id, senderId, stream, name, unit }));
  }

  get refusedCount(): number {
    return this.refusedIds.size;
  }

  refusedReasons(): string[] {
    return [...this.refusedIds.values()];
  }

  get duplicateCount(): number {
    let n = 0;
    for (const st of this.streams.values()) n += st.duplicates.size;
    return n;
  }

  /** Points held in memory, over all lines. */
  get pointCount(): number {
    let n = 0;
    for (const l of this.lineMap.values()) n += l.t.length;
    return n;
  }

  /** Missing batches per stream, between the lowest and the highest `seq` seen. */
  gaps(): Gap[] {
    const out: Gap[] = [];
    for (const st of [...this.streams.values()].sort((a, b) => (key(a.senderId, a.stream) < key(b.senderId, b.stream) ? -1 : 1))) {
      for (const [from, to] of st.log.gaps()) if (to >= st.lowest) out.push({ senderId: st.senderId, stream: st.stream, from, to });
    }
    return out;
  }

  /** Per line: count, min, max and last value of the points with time in `[from, to]`. */
  stats([from, to]: Interval): Map<string, LineStats> {
    const out = new Map<string, LineStats>();
    for (const line of this.lineMap.values()) {
      const s: LineStats = { count: 0, min: null, max: null, last: null, lastT: null };
      const end = upperBound(line.t, to);
      for (let i = lowerBound(line.t, from); i < end; i++) {
        const v = line.v[i];
        if (v === null) continue;
        s.count++;
        s.min = s.min === null ? v : Math.min(s.min, v);
        s.max = s.max === null ? v : Math.max(s.max, v);
        s.last = v;
        s.lastT = line.t[i];
      }
      out.set(line.id, s);
    }
    return out;
  }

  /**
   * What to draw for the view `[from, to]`: the points inside it plus one on each side (so a line
   * reaches the edges), with a `null` break wherever a line's batches are not consecutive in `seq`
   * or its points pause longer than `gapThreshold`.
   */
  chartData([from, to]: Interval): ChartData {
    const lines = this.lines();
    const perLine = lines.map((info) => {
      const line = this.lineMap.get(info.id) as Line;
      const lo = Math.max(0, lowerBound(line.t, from) - 1);
      const hi = Math.min(line.t.length, upperBound(line.t, to) + 1);
      const limit = gapThreshold(line.t, lo, hi);
      const xs: number[] = [];
      const vs: (number | null)[] = [];
      for (let i = lo; i < hi; i++) {
        if (i > lo) {
          const dt = line.t[i] - line.t[i - 1];
          const seqJump = line.s[i] !== line.s[i - 1] && line.s[i] !== line.s[i - 1] + 1;
          if ((seqJump || dt > limit) && dt >= 2) {
            xs.push(line.t[i - 1] + Math.floor(dt / 2));
            vs.push(null);
          }
        }
        xs.push(line.t[i]);
        vs.push(line.v[i]);
      }
      return { xs, vs };
    });
    const all = perLine.flatMap((p) => p.xs).sort((a, b) => a - b);
    const x: number[] = [];
    for (const t of all) if (x.length === 0 || x[x.length - 1] !== t) x.push(t);
    const index = new Map(x.map((t, i) => [t, i]));
    const y = perLine.map(({ xs, vs }) => {
      const col = new Array<number | null | undefined>(x.length).fill(undefined);
      // With equal times in one line the first point is drawn (§12.1 allows equal times).
      for (let i = xs.length - 1; i >= 0; i--) col[index.get(xs[i]) as number] = vs[i];
      return col;
    });
    return { lines, x, y };
  }
}

/** Adds one batch's points to a line, keeping it ordered by time (then `seq`). */
function insertPoints(line: Line, ts: number[], vs: (number | null)[], seq: number): void {
  const n = line.t.length;
  if (n === 0 || ts[0] > line.t[n - 1] || (ts[0] === line.t[n - 1] && seq > line.s[n - 1])) {
    for (let i = 0; i < ts.length; i++) {
      line.t.push(ts[i]);
      line.v.push(vs[i]);
      line.s.push(seq);
    }
    return;
  }
  // Out of order (a history page behind live data): merge.
  const t: number[] = [];
  const v: (number | null)[] = [];
  const s: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < ts.length) {
    const takeOld = j >= ts.length || (i < n && (line.t[i] < ts[j] || (line.t[i] === ts[j] && line.s[i] < seq)));
    if (takeOld) {
      t.push(line.t[i]);
      v.push(line.v[i]);
      s.push(line.s[i]);
      i++;
    } else {
      t.push(ts[j]);
      v.push(vs[j]);
      s.push(seq);
      j++;
    }
  }
  line.t = t;
  line.v = v;
  line.s = s;
}
