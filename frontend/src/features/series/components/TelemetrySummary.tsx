//! The chat's one line for a conversation's telemetry: batches are not chat messages, so they are
//! collapsed into "Telemetry: N batches" (and the refused ones counted), with the chart toggle.

export interface TelemetrySummaryProps {
  batches: number;
  refused: number;
  chartOpen: boolean;
  onToggle: () => void;
}

export function TelemetrySummary({ batches, refused, chartOpen, onToggle }: TelemetrySummaryProps) {
  return (
    <div className="flex items-center gap-2 border-b border-slate-200 bg-slate-50 px-3 py-1.5 text-xs text-slate-600 sm:px-4" data-testid="telemetry-summary">
      <span>
        Telemetry: <span data-testid="telemetry-batches">{batches}</span> {batches === 1 ? 'batch' : 'batches'}
        {refused > 0 && (
          <span className="ml-1 font-medium text-rose-700" data-testid="telemetry-refused">
            · {refused} refused (could not be verified or read)
          </span>
        )}
      </span>
      <button
        type="button"
        onClick={onToggle}
        aria-expanded={chartOpen}
        aria-controls="telemetry-chart"
        className="ml-auto rounded-md px-2 py-1 font-semibold text-indigo-700 hover:bg-indigo-50 focus-visible:outline-2 focus-visible:outline-indigo-600"
        data-testid="chart-toggle"
      >
        {chartOpen ? 'Hide chart' : 'Chart'}
      </button>
    </div>
  );
}
