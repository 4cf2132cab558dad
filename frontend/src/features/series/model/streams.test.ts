import { describe, expect, it } from 'vitest';
import type { Point, SeriesBatch } from '@/lib/series/batch';
import { addInterval, intersect, subtractFrom } from './intervals';
import { gapThreshold, GAP_MIN_MS, SeriesModel, type BatchArrival } from './streams';
import { keepRanges, pan, selection, serverQuery, SKEW_MARGIN_MS, LATE_MARGIN_MS, viewRange, zoom } from './view';

const ALICE = '00000000-0000-4000-8000-00000000000a';
const MALLORY = '00000000-0000-4000-8000-00000000000b';
const series = [{ name: 'temp', unit: 'C' }, { name: 'load', unit: '%' }];

function batch(seq: number, points: Point[], stream = 'dev1', s = series): SeriesBatch {
  return { stream, seq, series: s, points };
}

function arrival(id: string, b: SeriesBatch | null, senderId = ALICE): BatchArrival {
  return { messageId: id, senderId, batch: b, ...(b ? {} : { reason: 'bad signature' }) };
}

/** Points of one line actually drawn (numbers only), as [t, v]. */
function drawn(m: SeriesModel, view: [number, number], lineIndex: number): [number, number][] {
  const d = m.chartData(view);
  return d.x.flatMap((t, i) => {
    const v = d.y[lineIndex][i];
    return typeof v === 'number' ? [[t, v] as [number, number]] : [];
  });
}

describe('stream assembly', () => {
  it('assembles batches into one line per (sender, stream, name), in time order, with units', () => {
    const m = new SeriesModel();
    expect(m.add(arrival('m1', batch(0, [[1000, 20, 5], [1100, 21, 6]])))).toBe('added');
    expect(m.add(arrival('m2', batch(1, [[1200, 22, 7]])))).toBe('added');
    expect(m.lines().map((l) => [l.name, l.unit])).toEqual([['load', '%'], ['temp', 'C']]);
    expect(drawn(m, [0, 5000], 1)).toEqual([[1000, 20], [1100, 21], [1200, 22]]);
    expect(drawn(m, [0, 5000], 0)).toEqual([[1000, 5], [1100, 6], [1200, 7]]);
  });

  it('keeps streams of different senders apart even with the same stream name', () => {
    const m = new SeriesModel();
    m.add(arrival('m1', batch(0, [[1000, 1, 1]])));
    m.add(arrival('m2', batch(0, [[1000, 99, 99]]), MALLORY));
    expect(m.lines()).toHaveLength(4);
    expect(m.duplicateCount).toBe(0);
    expect(new Set(m.lines().map((l) => l.senderId))).toEqual(new Set([ALICE, MALLORY]));
  });

  it('ignores a duplicate seq (the first is kept) and counts it once', () => {
    const m = new SeriesModel();
    m.add(arrival('m1', batch(0, [[1000, 1, 1]])));
    expect(m.add(arrival('m2', batch(0, [[1000, 666, 666]])))).toBe('duplicate');
    expect(m.add(arrival('m2', batch(0, [[1000, 666, 666]])))).toBe('duplicate');
    expect(m.duplicateCount).toBe(1);
    expect(drawn(m, [0, 2000], 1)).toEqual([[1000, 1]]);
  });

  it('the same message again (live and history) is not a duplicate', () => {
    const m = new SeriesModel();
    m.add(arrival('m1', batch(0, [[1000, 1, 1]])));
    expect(m.add(arrival('m1', batch(0, [[1000, 1, 1]])))).toBe('known');
    expect(m.duplicateCount).toBe(0);
    expect(m.pointCount).toBe(2);
  });

  it('reports missing seq between the lowest and highest seen, not before the first loaded', () => {
    const m = new SeriesModel();
    m.add(arrival('m5', batch(5, [[5000, 1, 1]])));
    m.add(arrival('m6', batch(6, [[6000, 1, 1]])));
    m.add(arrival('m9', batch(9, [[9000, 1, 1]])));
    expect(m.gaps()).toEqual([{ senderId: ALICE, stream: 'dev1', from: 7, to: 8 }]);
    m.add(arrival('m7', batch(7, [[7000, 1, 1]])));
    m.add(arrival('m8', batch(8, [[8000, 1, 1]])));
    expect(m.gaps()).toEqual([]);
  });

  it('counts refused batches once and never plots them', () => {
    const m = new SeriesModel();
    expect(m.add(arrival('bad', null))).toBe('refused');
    m.add(arrival('bad', null));
    expect(m.refusedCount).toBe(1);
    expect(m.refusedReasons()).toEqual(['bad signature']);
    expect(m.lines()).toEqual([]);
    expect(m.chartData([0, 1e13]).x).toEqual([]);
  });

  it('merges a batch that arrives out of order (history behind live)', () => {
    const m = new SeriesModel();
    m.add(arrival('m2', batch(2, [[3000, 3, 0], [3100, 4, 0]])));
    m.add(arrival('m0', batch(0, [[1000, 1, 0]])));
    m.add(arrival('m1', batch(1, [[2000, 2, 0]])));
    expect(drawn(m, [0, 5000], 1)).toEqual([[1000, 1], [2000, 2], [3000, 3], [3100, 4]]);
  });

  it('takes the latest unit and lines for series that appear later', () => {
    const m = new SeriesModel();
    m.add(arrival('m0', batch(0, [[1000, 1]], 'dev1', [{ name: 'temp', unit: 'C' }])));
    m.add(arrival('m1', batch(1, [[2000, 2, 9]], 'dev1', [{ name: 'temp', unit: 'K' }, { name: 'hum', unit: '%' }])));
    expect(m.lines().map((l) => `${l.name}:${l.unit}`)).toEqual(['hum:%', 'temp:K']);
  });
});

describe('gaps drawn as breaks', () => {
  it('a missing batch breaks the line with a null between its neighbours', () => {
    const m = new SeriesModel();
    m.add(arrival('m0', batch(0, [[1000, 1, 0], [1100, 2, 0]])));
    m.add(arrival('m2', batch(2, [[1200, 3, 0], [1300, 4, 0]])));
    const d = m.chartData([0, 5000]);
    const temp = d.y[1];
    expect(d.x).toEqual([1000, 1100, 1150, 1200, 1300]);
    expect(temp).toEqual([1, 2, null, 3, 4]);
  });

  it('consecutive batches are joined', () => {
    const m = new SeriesModel();
    m.add(arrival('m0', batch(0, [[1000, 1, 0], [1100, 2, 0]])));
    m.add(arrival('m1', batch(1, [[1200, 3, 0]])));
    expect(m.chartData([0, 5000]).y[1]).toEqual([1, 2, 3]);
  });

  it('a pause much longer than the usual spacing breaks the line', () => {
    const m = new SeriesModel();
    const pts: Point[] = [];
    for (let i = 0; i < 10; i++) pts.push([1000 + i * 100, i, 0]);
    pts.push([10_000, 10, 0]);
    m.add(arrival('m0', batch(0, pts)));
    const d = m.chartData([0, 20_000]);
    const i = d.x.indexOf(10_000);
    expect(d.y[1][i - 1]).toBeNull();
    expect(d.x[i - 1]).toBeGreaterThan(1900);
  });

  it('a reading of null stays a null (no reading)', () => {
    const m = new SeriesModel();
    m.add(arrival('m0', batch(0, [[1000, 1, 0], [1100, null, 0], [1200, 3, 0]])));
    expect(m.chartData([0, 5000]).y[1]).toEqual([1, null, 3]);
  });

  it('other lines\' times are alignment (undefined), not breaks', () => {
    const m = new SeriesModel();
    m.add(arrival('a', batch(0, [[1000, 1], [1200, 3]], 'a', [{ name: 'x', unit: '' }])));
    m.add(arrival('b', batch(0, [[1100, 2]], 'b', [{ name: 'y', unit: '' }])));
    const d = m.chartData([0, 5000]);
    expect(d.x).toEqual([1000, 1100, 1200]);
    expect(d.y[0]).toEqual([1, undefined, 3]);
    expect(d.y[1]).toEqual([undefined, 2, undefined]);
  });

  it('the threshold is a multiple of the median spacing, at least GAP_MIN_MS', () => {
    expect(gapThreshold([0, 100, 200, 300])).toBe(GAP_MIN_MS);
    expect(gapThreshold([0, 60_000, 120_000, 180_000])).toBe(300_000);
    expect(gapThreshold([5])).toBe(Infinity);
  });
});

describe('windowing and statistics', () => {
  function filled(): SeriesModel {
    const m = new SeriesModel();
    for (let seq = 0; seq < 10; seq++) m.add(arrival(`m${seq}`, batch(seq, [[seq * 1000, seq, -seq], [seq * 1000 + 500, seq + 0.5, -seq - 0.5]])));
    return m;
  }

  it('draws only the view and one point either side', () => {
    const d = filled().chartData([3000, 4000]);
    expect(d.x).toEqual([2500, 3000, 3500, 4000, 4500]);
  });

  it('min, max and last of the visible range, nulls skipped', () => {
    const m = filled();
    m.add(arrival('m10', batch(10, [[10_000, null, 7]])));
    const s = m.stats([3000, 10_000]);
    const temp = m.lines().find((l) => l.name === 'temp')!.id;
    const load = m.lines().find((l) => l.name === 'load')!.id;
    expect(s.get(temp)).toEqual({ count: 14, min: 3, max: 9.5, last: 9.5, lastT: 9500 });
    expect(s.get(load)).toEqual({ count: 15, min: -9.5, max: 7, last: 7, lastT: 10_000 });
    expect(m.stats([20_000, 30_000]).get(temp)).toEqual({ count: 0, min: null, max: null, last: null, lastT: null });
  });

  it('evicts batches wholly outside what is kept, shrinks coverage, and reloads them later', () => {
    const m = filled();
    m.markCovered([0, Infinity]);
    expect(m.evict([[5000, Infinity]])).toBe(5);
    expect(m.pointCount).toBe(2 * 10);
    expect(m.coverage).toEqual([[5000, Infinity]]);
    expect(m.missing([2000, 6000])).toEqual([[2000, 5000]]);
    expect(m.add(arrival('m2', batch(2, [[2000, 2, -2], [2500, 2.5, -2.5]])))).toBe('reloaded');
    expect(m.duplicateCount).toBe(0);
    expect(m.gaps()).toEqual([]);
    expect(m.chartData([0, 10_000]).x[0]).toBe(2000);
  });

  it('the live view follows now; zoom, pan and selection stay sane', () => {
    expect(viewRange({ kind: 'live', span: 300_000 }, 1_000_000)).toEqual([700_000, 1_000_000]);
    expect(viewRange({ kind: 'fixed', from: 1, to: 2 }, 9)).toEqual([1, 2]);
    expect(zoom([0, 1000], 0.5)).toEqual([0, 1000]); // not under MIN_SPAN_MS
    expect(zoom([0, 10_000], 0.5)).toEqual([2500, 7500]);
    expect(zoom([0, 10_000], 2)).toEqual([-5000, 15_000]);
    expect(pan([0, 10_000], -0.5, 20_000)).toEqual([-5000, 5000]);
    expect(pan([0, 10_000], 0.5, 12_000)).toEqual([2000, 12_000]);
    expect(selection(900, 100)).toEqual([100, 1100]);
    expect(selection(5000, 1000)).toEqual([1000, 5000]);
  });

  it('keeps the last hour and the view with a width either side', () => {
    expect(keepRanges(10_000_000, [9_000_000, 9_500_000], 3_600_000)).toEqual([[6_400_000, Infinity]]);
    expect(keepRanges(10_000_000, [1_000_000, 1_500_000], 3_600_000)).toEqual([[500_000, 2_000_000], [6_400_000, Infinity]]);
  });

  it('fetches by server time with the skew margin before and the late margin after', () => {
    expect(serverQuery([10_000_000, 11_000_000])).toEqual({ since: 10_000_000 - SKEW_MARGIN_MS, until: 11_000_000 + LATE_MARGIN_MS });
    expect(serverQuery([10_000_000, Infinity])).toEqual({ since: 10_000_000 - SKEW_MARGIN_MS });
    expect(serverQuery([1000, 2000]).since).toBe(0);
  });
});

describe('intervals', () => {
  it('adds, merges, subtracts and intersects', () => {
    let l = addInterval([], [10, 20]);
    l = addInterval(l, [30, 40]);
    expect(l).toEqual([[10, 20], [30, 40]]);
    expect(addInterval(l, [15, 35])).toEqual([[10, 40]]);
    expect(addInterval(l, [0, 5])).toEqual([[0, 5], [10, 20], [30, 40]]);
    expect(addInterval(l, [50, Infinity])).toEqual([[10, 20], [30, 40], [50, Infinity]]);
    expect(subtractFrom([0, 50], l)).toEqual([[0, 10], [20, 30], [40, 50]]);
    expect(subtractFrom([12, 18], l)).toEqual([]);
    expect(subtractFrom([0, 100], [[0, Infinity]])).toEqual([]);
    expect(intersect(l, [[15, 35]])).toEqual([[15, 20], [30, 35]]);
  });
});
