//! Effect: one conversation's telemetry for the chart. Takes live batches from a source (the
//! messenger opens and verifies them), fetches history by time range when the view needs it
//! (docs/protocol.md §12.3: by server time with margins, then filtered by point time), drops
//! what lies outside the kept window, and tells the chart to redraw at most once per animation
//! frame. The policy lives in ../model; network, timers and frames here.

import { SeriesModel, type BatchArrival } from '../model/streams';
import type { Interval } from '../model/intervals';
import { DEFAULT_SPAN_MS, keepRanges, serverQuery, viewRange, type ViewMode } from '../model/view';

/** One page of history, as the source fetched and opened it. */
export interface HistoryPage {
  /** The telemetry batches of the page (others are skipped). */
  arrivals: BatchArrival[];
  /** Messages in the page (all kinds), to know whether it was full. */
  count: number;
  /** The lowest position in the page, for the next (older) page. */
  firstPosition: number | null;
}

export interface SeriesSource {
  /** Live batches of this conversation; returns the unsubscribe function. */
  subscribe(listener: (arrivals: BatchArrival[]) => void): () => void;
  fetchPage(q: { since: number; until?: number; before?: number; limit: number }): Promise<HistoryPage>;
}

export interface FeedOptions {
  now?: () => number;
  frame?: (cb: () => void) => unknown;
  /** Most pages fetched for one range (200 messages each), to bound time and memory. */
  maxPages?: number;
}

const PAGE = 200;

export class SeriesFeed {
  readonly model = new SeriesModel();
  private mode: ViewMode = { kind: 'live', span: DEFAULT_SPAN_MS };
  private listeners = new Set<() => void>();
  private framePending = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  private loads = 0;
  private loadTimer: ReturnType<typeof setTimeout> | null = null;
  /** A range was cut short at `maxPages` (older batches in it not shown). */
  truncated = false;
  error: string | null = null;
  private readonly now: () => number;
  private readonly frame: (cb: () => void) => unknown;
  private readonly maxPages: number;

  constructor(private readonly source: SeriesSource, opts: FeedOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    this.frame = opts.frame ?? ((cb) => requestAnimationFrame(cb));
    this.maxPages = opts.maxPages ?? 50;
  }

  start(): void {
    // Live first, so that nothing stored while the first page loads is missed.
    this.unsubscribe = this.source.subscribe((arrivals) => this.take(arrivals));
    this.model.markCovered([this.now(), Infinity]);
    this.ensureLoaded();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.loadTimer) clearTimeout(this.loadTimer);
  }

  get view(): ViewMode {
    return this.mode;
  }

  get loading(): boolean {
    return this.loads > 0;
  }

  range(): Interval {
    return viewRange(this.mode, this.now());
  }

  setView(mode: ViewMode): void {
    this.mode = mode;
    this.schedule();
    // Zooming or panning fires many changes: fetch once it settles.
    if (this.loadTimer) clearTimeout(this.loadTimer);
    this.loadTimer = setTimeout(() => {
      this.loadTimer = null;
      this.ensureLoaded();
    }, 150);
  }

  /** Redraw subscription (called at most once per animation frame). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks for a redraw on the next animation frame (several asks in one frame draw once). */
  schedule(): void {
    if (this.framePending || this.stopped) return;
    this.framePending = true;
    this.frame(() => {
      this.framePending = false;
      if (this.stopped) return;
      this.model.evict(keepRanges(this.now(), this.range()));
      for (const l of this.listeners) l();
    });
  }

  private take(arrivals: BatchArrival[]): void {
    let changed = false;
    for (const a of arrivals) {
      const r = this.model.add(a);
      changed ||= r !== 'known';
    }
    if (changed) this.schedule();
  }

  /** Fetches the parts of the view (and a little around it) that are not loaded yet. */
  ensureLoaded(): void {
    if (this.stopped) return;
    const [from, to] = this.range();
    const want: Interval = [from, this.mode.kind === 'live' ? Infinity : to];
    for (const gap of this.model.missing(want)) void this.load(gap);
  }

  private async load(iv: Interval): Promise<void> {
    this.loads++;
    this.schedule();
    try {
      const q = serverQuery(iv);
      let before: number | undefined;
      for (let page = 0; ; page++) {
        if (page >= this.maxPages) {
          this.truncated = true;
          break;
        }
        const res = await this.source.fetchPage({ ...q, ...(before !== undefined ? { before } : {}), limit: PAGE });
        if (this.stopped) return;
        this.take(res.arrivals);
        if (res.count < PAGE || res.firstPosition === null) break;
        before = res.firstPosition;
      }
      this.model.markCovered(iv);
      this.error = null;
    } catch (e) {
      this.error = e instanceof Error ? e.message : 'history could not be loaded';
    } finally {
      this.loads--;
      this.schedule();
    }
  }
}
