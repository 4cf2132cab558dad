//! The chart's time window, pure: the live view (the last N minutes), zoom and pan, what stays
//! in memory, and which server-time query fetches a range of point times (docs/protocol.md §12.3).

import { addInterval, type Interval } from './intervals';

/** How far an emitter's clock may run ahead of the server's and its points still be found. */
export const SKEW_MARGIN_MS = 5 * 60_000;
/** How long after its points a batch may be stored (flush delay, an outbox after a restart). */
export const LATE_MARGIN_MS = 2 * 60_000;
/** Live data kept in memory behind "now" (older points are dropped, and fetched again on demand). */
export const LIVE_KEEP_MS = 60 * 60_000;
export const DEFAULT_SPAN_MS = 5 * 60_000;
export const MIN_SPAN_MS = 1_000;
export const SPANS: readonly { label: string; ms: number }[] = [
  { label: '1 min', ms: 60_000 },
  { label: '5 min', ms: 5 * 60_000 },
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 60 * 60_000 },
];

/** `live`: the window ends now and moves; `fixed`: paused, zoomed or panned. */
export type ViewMode = { kind: 'live'; span: number } | { kind: 'fixed'; from: number; to: number };

export function viewRange(mode: ViewMode, now: number): Interval {
  return mode.kind === 'live' ? [now - mode.span, now] : [mode.from, mode.to];
}

/** Zoom by `factor` (< 1 in, > 1 out) around the middle; never narrower than `MIN_SPAN_MS`. */
export function zoom([from, to]: Interval, factor: number): Interval {
  const mid = (from + to) / 2;
  const half = Math.max(MIN_SPAN_MS, (to - from) * factor) / 2;
  return [Math.round(mid - half), Math.round(mid + half)];
}

/** Move by `fraction` of the width (negative: earlier); never past `now` on the right. */
export function pan([from, to]: Interval, fraction: number, now: number): Interval {
  const width = to - from;
  const shift = Math.min(Math.round(width * fraction), now - to);
  return [from + shift, to + shift];
}

/** A dragged selection as a view: ordered, at least `MIN_SPAN_MS` wide. */
export function selection(a: number, b: number): Interval {
  const from = Math.round(Math.min(a, b));
  const to = Math.round(Math.max(a, b));
  return to - from >= MIN_SPAN_MS ? [from, to] : [from, from + MIN_SPAN_MS];
}

/** What stays in memory: the last `LIVE_KEEP_MS` (live data), and the view with one width either side. */
export function keepRanges(now: number, view: Interval, liveKeep = LIVE_KEEP_MS): Interval[] {
  const width = view[1] - view[0];
  return addInterval([[now - liveKeep, Infinity]], [view[0] - width, view[1] + width]);
}

/**
 * The history query (server time) that holds every batch with points in `[from, to]`: stored
 * from `from` minus the skew margin (points are stored after they are taken, unless the
 * emitter's clock is ahead) to `to` plus the late margin; no upper bound for an open range.
 */
export function serverQuery([from, to]: Interval): { since: number; until?: number } {
  const since = Math.max(0, Math.floor(from - SKEW_MARGIN_MS));
  return to === Infinity ? { since } : { since, until: Math.ceil(to + LATE_MARGIN_MS) };
}
