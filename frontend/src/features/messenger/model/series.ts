//! Telemetry batches in a timeline (docs/protocol.md §12), pure: the counts the chat shows in its
//! one collapsed line, and how far a read receipt may cover batches. Batches are not drawn as
//! bubbles, so the list never reports them seen; instead the run of batches right after what was
//! seen (or read before) counts as seen while the summary line is on screen. A text after them
//! stops the run: a receipt never covers a message that was not shown.
import { isSeriesContent, type Timeline } from './types';

export interface SeriesSummary {
  batches: number;
  refused: number;
}

export function seriesSummary(t: Timeline | undefined): SeriesSummary {
  let batches = 0;
  let refused = 0;
  for (const m of t?.messages ?? []) {
    if (m.content.kind === 'series') batches++;
    else if (m.content.kind === 'series-refused') refused++;
  }
  return { batches, refused };
}

/** The highest position p ≥ `from` such that every stored message in (from, p] is a batch. */
export function seriesRunEnd(t: Timeline, from: number): number {
  let end = from;
  for (const m of t.messages) {
    if (m.position === null || m.position <= from) continue;
    if (!isSeriesContent(m.content)) break;
    end = m.position;
  }
  return end;
}
