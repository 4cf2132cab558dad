//! Public API of the series feature: a conversation's telemetry (docs/protocol.md §12) as a live
//! chart. The messenger opens and verifies batches; this feature assembles, windows and draws them.
export { TelemetryChart, type ChartProbe, type TelemetryChartProps } from './components/TelemetryChart';
export { TelemetrySummary } from './components/TelemetrySummary';
export type { HistoryPage, SeriesSource } from './effects/feed';
export type { BatchArrival } from './model/streams';
