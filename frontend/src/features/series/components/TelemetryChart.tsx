//! The telemetry chart of one conversation: uPlot (canvas, fast for streaming data) drawing what
//! the feed holds for the current view, redrawn at most once per animation frame; controls that
//! work with the keyboard (live/pause, span, earlier/later, zoom, reset) and drag-select zoom
//! with the mouse; the legend table (min/max/last of the visible range) is the chart's text
//! alternative. Flags: refused batches (never plotted), missing batches, duplicates.
//!
//! For tests, the container exposes what is drawn: `element.courierChart()` returns uPlot's own
//! data arrays (x in ms, one array per line) and the line labels, so an end-to-end test compares
//! the points drawn with the points sent.

import { useEffect, useRef, useState, type KeyboardEvent, type WheelEvent } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Button } from '@/components/ui/Button';
import { SeriesFeed, type SeriesSource } from '../effects/feed';
import type { Interval } from '../model/intervals';
import type { Gap, LineInfo, LineStats } from '../model/streams';
import { DEFAULT_SPAN_MS, pan, selection, SPANS, zoom, type ViewMode } from '../model/view';

const COLORS = ['#4f46e5', '#059669', '#dc2626', '#d97706', '#0891b2', '#7c3aed', '#db2777', '#65a30d'];
/** The lines, axes and grid on a dark background (the canvas does not see the CSS palette). */
const DARK_COLORS = ['#818cf8', '#34d399', '#f87171', '#fbbf24', '#22d3ee', '#a78bfa', '#f472b6', '#a3e635'];
const AXES = { light: { stroke: '#475569', grid: '#e2e8f0' }, dark: { stroke: '#cbd5e1', grid: '#334155' } };
const prefersDark = () => typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
/** The same colours as classes (no inline styles under the CSP). */
const SWATCHES = [
  'bg-[#4f46e5] dark:bg-[#818cf8]', 'bg-[#059669] dark:bg-[#34d399]', 'bg-[#dc2626] dark:bg-[#f87171]', 'bg-[#d97706] dark:bg-[#fbbf24]',
  'bg-[#0891b2] dark:bg-[#22d3ee]', 'bg-[#7c3aed] dark:bg-[#a78bfa]', 'bg-[#db2777] dark:bg-[#f472b6]', 'bg-[#65a30d] dark:bg-[#a3e635]',
];
const HEIGHT = 240;

export interface TelemetryChartProps {
  source: SeriesSource;
  senderName: (id: string) => string;
}

interface Snapshot {
  lines: LineInfo[];
  stats: Map<string, LineStats>;
  range: Interval;
  mode: ViewMode;
  refused: number;
  reasons: string[];
  duplicates: number;
  gaps: Gap[];
  loading: boolean;
  truncated: boolean;
  error: string | null;
}

export interface ChartProbe {
  labels: string[];
  x: number[];
  y: (number | null | undefined)[][];
  range: Interval;
}

function fmt(v: number | null): string {
  if (v === null) return '–';
  return Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : String(Number(v.toPrecision(6)));
}

function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function TelemetryChart({ source, senderName }: TelemetryChartProps) {
  /** Made in the effect (not during render), so a StrictMode remount gets a fresh one. */
  const feedRef = useRef<SeriesFeed | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const plotLines = useRef('');
  const [snap, setSnap] = useState<Snapshot | null>(null);

  const nameOf = useRef(senderName);
  nameOf.current = senderName;
  const streams = snap ? new Set(snap.lines.map((l) => `${l.senderId}\n${l.stream}`)).size : 0;
  const labelOf = (l: LineInfo, many: boolean) => (many ? `${nameOf.current(l.senderId)}/${l.stream} · ${l.name}` : l.name);

  useEffect(() => {
    const feed = new SeriesFeed(source);
    feedRef.current = feed;
    feed.start();
    const draw = () => {
      const el = box.current;
      if (!el) return;
      const range = feed.range();
      const data = feed.model.chartData(range);
      const many = new Set(data.lines.map((l) => `${l.senderId}\n${l.stream}`)).size > 1;
      const dark = prefersDark();
      const colors = dark ? DARK_COLORS : COLORS;
      const ax = dark ? AXES.dark : AXES.light;
      const sig = data.lines.map((l) => `${l.id}\t${l.unit}`).join('\n') + String(many) + String(dark);
      if (!plot.current || plotLines.current !== sig) {
        plot.current?.destroy();
        plotLines.current = sig;
        plot.current = new uPlot(
          {
            width: Math.max(200, el.clientWidth),
            height: HEIGHT,
            ms: 1,
            legend: { show: false },
            scales: { x: { time: true } },
            cursor: { drag: { x: true, y: false, setScale: false } },
            series: [
              {},
              ...data.lines.map((l, i) => ({
                label: `${labelOf(l, many)}${l.unit ? ` (${l.unit})` : ''}`,
                stroke: colors[i % colors.length],
                width: 1.5,
                spanGaps: false,
                points: { show: false },
              })),
            ],
            axes: [{ stroke: ax.stroke, grid: { stroke: ax.grid } }, { stroke: ax.stroke, grid: { stroke: ax.grid }, size: 56 }],
            hooks: {
              setSelect: [
                (u) => {
                  if (u.select.width < 3) return;
                  const [from, to] = selection(u.posToVal(u.select.left, 'x'), u.posToVal(u.select.left + u.select.width, 'x'));
                  u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
                  feed.setView({ kind: 'fixed', from, to });
                },
              ],
            },
          },
          [data.x, ...data.y] as uPlot.AlignedData,
          el,
        );
      }
      const u = plot.current;
      u.batch(() => {
        u.setData([data.x, ...data.y] as uPlot.AlignedData, false);
        u.setScale('x', { min: range[0], max: range[1] });
      });
      setSnap({
        lines: data.lines,
        stats: feed.model.stats(range),
        range,
        mode: feed.view,
        refused: feed.model.refusedCount,
        reasons: feed.model.refusedReasons(),
        duplicates: feed.model.duplicateCount,
        gaps: feed.model.gaps(),
        loading: feed.loading,
        truncated: feed.truncated,
        error: feed.error,
      });
    };
    const off = feed.subscribe(draw);
    feed.schedule();
    // The live window moves with time even when nothing arrives.
    const tick = setInterval(() => {
      if (feed.view.kind === 'live') feed.schedule();
    }, 1_000);
    const el = box.current;
    const resize = new ResizeObserver(() => {
      if (el && plot.current) plot.current.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT });
    });
    if (el) {
      resize.observe(el);
      Object.defineProperty(el, 'courierChart', {
        configurable: true,
        value: (): ChartProbe | null => {
          const u = plot.current;
          if (!u) return null;
          return {
            labels: u.series.slice(1).map((s) => String(s.label)),
            x: Array.from(u.data[0]),
            y: u.data.slice(1).map((col) => Array.from(col as ArrayLike<number | null | undefined>)),
            range: feed.range(),
          };
        },
      });
    }
    return () => {
      off();
      clearInterval(tick);
      resize.disconnect();
      feed.stop();
      feedRef.current = null;
      plot.current?.destroy();
      plot.current = null;
      plotLines.current = '';
    };
    // labelOf reads the names through a ref, so the chart is not rebuilt for them.
  }, [source]);

  const mode: ViewMode = snap?.mode ?? { kind: 'live', span: DEFAULT_SPAN_MS };
  const range: Interval = snap?.range ?? [Date.now() - DEFAULT_SPAN_MS, Date.now()];
  const live = mode.kind === 'live';
  const span = range[1] - range[0];
  const setView = (m: ViewMode) => feedRef.current?.setView(m);
  const fixed = ([from, to]: Interval) => setView({ kind: 'fixed', from, to });
  const now = () => Date.now();
  const actions = {
    toggleLive: () => (live ? fixed(range) : setView({ kind: 'live', span: Math.min(span, 60 * 60_000) })),
    earlier: () => fixed(pan(range, -0.5, now())),
    later: () => fixed(pan(range, 0.5, now())),
    zoomIn: () => fixed(zoom(range, 0.5)),
    zoomOut: () => fixed(zoom(range, 2)),
    reset: () => setView({ kind: 'live', span: DEFAULT_SPAN_MS }),
  };
  const onKey = (e: KeyboardEvent) => {
    const map: Record<string, () => void> = {
      ArrowLeft: actions.earlier,
      ArrowRight: actions.later,
      '+': actions.zoomIn,
      '=': actions.zoomIn,
      '-': actions.zoomOut,
      ' ': actions.toggleLive,
      Escape: actions.reset,
      Home: actions.reset,
    };
    const fn = map[e.key];
    if (fn) {
      e.preventDefault();
      fn();
    }
  };
  /** Horizontal scrolling (or Shift + wheel) pans, like a timeline. */
  const onWheel = (e: WheelEvent) => {
    const delta = Math.abs(e.deltaX) > Math.abs(e.deltaY) ? e.deltaX : e.shiftKey ? e.deltaY : 0;
    const width = box.current?.clientWidth ?? 0;
    if (!delta || !width) return;
    fixed(pan(range, delta / width, Date.now()));
  };
  const many = streams > 1;
  const lines = snap?.lines ?? [];
  const spanValue = live ? String(mode.span) : '';

  return (
    <section id="telemetry-chart" className="border-b border-slate-200 bg-white px-3 py-2 sm:px-4" aria-label="Telemetry chart" data-testid="telemetry-chart" data-live={live ? 'true' : 'false'}>
      <div className="flex flex-wrap items-center gap-1.5" role="toolbar" aria-label="Chart controls">
        <Button variant="secondary" size="sm" onClick={actions.toggleLive} aria-pressed={!live} data-testid="chart-pause">
          {live ? 'Pause' : 'Resume live'}
        </Button>
        <label className="flex items-center gap-1 text-xs text-slate-600">
          <span>Last</span>
          <select
            className="rounded-md border border-slate-300 bg-white px-1.5 py-1 text-xs"
            value={spanValue}
            onChange={(e) => setView({ kind: 'live', span: Number(e.target.value) })}
            aria-label="Time span (live)"
          >
            {!live && <option value="">custom</option>}
            {SPANS.map((s) => (
              <option key={s.ms} value={String(s.ms)}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <Button variant="secondary" size="sm" onClick={actions.earlier} aria-label="Earlier (pan left)">
          ←
        </Button>
        <Button variant="secondary" size="sm" onClick={actions.later} aria-label="Later (pan right)">
          →
        </Button>
        <Button variant="secondary" size="sm" onClick={actions.zoomIn} aria-label="Zoom in">
          +
        </Button>
        <Button variant="secondary" size="sm" onClick={actions.zoomOut} aria-label="Zoom out">
          −
        </Button>
        <Button variant="secondary" size="sm" onClick={actions.reset} data-testid="chart-reset">
          Reset
        </Button>
        <span className="ml-auto text-xs text-slate-500" aria-live="polite" data-testid="chart-status">
          {live ? 'Live' : 'Paused'} · {clock(range[0])}–{clock(range[1])}
          {snap?.loading ? ' · loading history…' : ''}
        </span>
      </div>
      <div role="status" aria-live="polite" className="mt-1 space-y-0.5 text-xs">
        {!!snap?.refused && (
          <p className="font-medium text-rose-700" data-testid="refused-flag" data-count={snap.refused} title={snap.reasons.slice(0, 5).join('\n')}>
            ⚠ {snap.refused} {snap.refused === 1 ? 'batch' : 'batches'} refused: telemetry batch could not be verified, not plotted
          </p>
        )}
        {!!snap?.gaps.length && (
          <p className="text-amber-700" data-testid="gap-flag">
            Missing batches:{' '}
            {snap.gaps
              .slice(0, 5)
              .map((g) => `${many ? `${senderName(g.senderId)}/` : ''}${g.stream} #${g.from}${g.to > g.from ? `–${g.to}` : ''}`)
              .join(', ')}
            {snap.gaps.length > 5 ? ` and ${snap.gaps.length - 5} more` : ''} (drawn as breaks)
          </p>
        )}
        {!!snap?.duplicates && <p className="text-slate-500">{snap.duplicates} duplicate {snap.duplicates === 1 ? 'batch' : 'batches'} ignored (first kept)</p>}
        {snap?.truncated && <p className="text-slate-500">Only the newest history of this range is shown (too many batches).</p>}
        {snap?.error && <p className="text-rose-700">History could not be loaded: {snap.error}</p>}
      </div>
      <div
        ref={box}
        tabIndex={0}
        role="img"
        aria-label={`Chart of ${lines.length} series from ${clock(range[0])} to ${clock(range[1])}; the table below lists them. Drag to zoom; arrow keys or Shift + wheel pan, plus and minus zoom, space pauses, Escape resets.`}
        aria-describedby="telemetry-legend"
        onKeyDown={onKey}
        onWheel={onWheel}
        className="mt-1 min-h-[240px] w-full rounded-md outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
        data-testid="chart-canvas"
      />
      <table id="telemetry-legend" className="mt-1 w-full text-left text-xs tabular-nums" data-testid="series-legend">
        <caption className="sr-only">
          Series from {clock(range[0])} to {clock(range[1])}: minimum, maximum and last value in view
        </caption>
        <thead className="text-slate-500">
          <tr>
            <th scope="col" className="py-0.5 font-medium">Series</th>
            <th scope="col" className="font-medium">Unit</th>
            <th scope="col" className="text-right font-medium">Min</th>
            <th scope="col" className="text-right font-medium">Max</th>
            <th scope="col" className="text-right font-medium">Last</th>
            <th scope="col" className="text-right font-medium">Points</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => {
            const s = snap?.stats.get(l.id);
            return (
              <tr key={l.id} className="border-t border-slate-100" data-testid="legend-row" data-name={l.name}>
                <th scope="row" className="py-0.5 font-normal">
                  <span className={`mr-1.5 inline-block h-2 w-3 rounded-sm align-middle ${SWATCHES[i % SWATCHES.length]}`} aria-hidden="true" />
                  {labelOf(l, many)}
                </th>
                <td>{l.unit || '–'}</td>
                <td className="text-right" data-stat="min">{fmt(s?.min ?? null)}</td>
                <td className="text-right" data-stat="max">{fmt(s?.max ?? null)}</td>
                <td className="text-right" data-stat="last">{fmt(s?.last ?? null)}</td>
                <td className="text-right" data-stat="count">{s?.count ?? 0}</td>
              </tr>
            );
          })}
          {lines.length === 0 && (
            <tr>
              <td colSpan={6} className="py-1 text-slate-500">
                {snap?.loading ? 'Loading…' : 'No verified points in this range.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
