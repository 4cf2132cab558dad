import { describe, expect, it } from 'vitest';
import type { SeriesBatch } from '@/lib/series/batch';
import type { BatchArrival } from '../model/streams';
import { SKEW_MARGIN_MS } from '../model/view';
import { SeriesFeed, type HistoryPage, type SeriesSource } from './feed';

const SENDER = '00000000-0000-4000-8000-00000000000a';
const NOW = 10_000_000;

function arrival(seq: number, t: number): BatchArrival {
  const batch: SeriesBatch = { stream: 's', seq, series: [{ name: 'v', unit: '' }], points: [[t, seq]] };
  return { messageId: `m${seq}`, senderId: SENDER, batch };
}

/** A fake history of `n` batches (one per message, position = seq + 1), paged like the server. */
function fakeSource(n: number) {
  const all = Array.from({ length: n }, (_, i) => arrival(i, NOW - (n - i) * 1000));
  const queries: { since: number; until?: number; before?: number; limit: number }[] = [];
  let live: ((a: BatchArrival[]) => void) | null = null;
  const source: SeriesSource = {
    subscribe: (l) => {
      live = l;
      return () => (live = null);
    },
    fetchPage: async (q): Promise<HistoryPage> => {
      queries.push(q);
      const hits = all.map((a, i) => ({ a, position: i + 1 })).filter(({ position }) => q.before === undefined || position < q.before);
      const page = hits.slice(-q.limit);
      return { arrivals: page.map((h) => h.a), count: page.length, firstPosition: page[0]?.position ?? null };
    },
  };
  return { source, queries, push: (a: BatchArrival[]) => live?.(a) };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the series feed', () => {
  it('loads the live window by server time with the skew margin, paging back until a short page', async () => {
    const f = fakeSource(450);
    const frames: (() => void)[] = [];
    const feed = new SeriesFeed(f.source, { now: () => NOW, frame: (cb) => frames.push(cb) });
    feed.start();
    for (let i = 0; i < 5; i++) await flush();
    expect(f.queries.map((q) => q.before)).toEqual([undefined, 251, 51]);
    expect(f.queries[0].since).toBe(NOW - 5 * 60_000 - SKEW_MARGIN_MS);
    expect(f.queries[0].until).toBeGreaterThan(NOW);
    expect(feed.model.pointCount).toBe(450);
    expect(feed.loading).toBe(false);
    // Many changes, one frame.
    expect(frames.length).toBe(1);
    feed.stop();
  });

  it('takes live batches and redraws once per frame', async () => {
    const f = fakeSource(0);
    const frames: (() => void)[] = [];
    const feed = new SeriesFeed(f.source, { now: () => NOW, frame: (cb) => frames.push(cb) });
    let draws = 0;
    feed.subscribe(() => draws++);
    feed.start();
    await flush();
    frames.splice(0).forEach((cb) => cb());
    f.push([arrival(0, NOW)]);
    f.push([arrival(1, NOW + 100)]);
    expect(frames.length).toBe(1);
    frames.splice(0).forEach((cb) => cb());
    expect(draws).toBe(2);
    expect(feed.model.pointCount).toBe(2);
    f.push([arrival(1, NOW + 100)]); // the same message again: nothing to draw
    expect(frames.length).toBe(0);
    feed.stop();
  });

  it('caps the pages of one range and says so', async () => {
    const f = fakeSource(1000);
    const feed = new SeriesFeed(f.source, { now: () => NOW, frame: () => {}, maxPages: 2 });
    feed.start();
    for (let i = 0; i < 5; i++) await flush();
    expect(f.queries).toHaveLength(2);
    expect(feed.truncated).toBe(true);
    feed.stop();
  });
});
