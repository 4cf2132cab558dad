import { describe, expect, it } from 'vitest';
import { seriesRunEnd, seriesSummary } from './series';
import type { ChatMessage, MessageContent, Timeline } from './types';

const msg = (position: number, content: MessageContent): ChatMessage => ({
  id: `m${position}`, conversationId: 'c', senderId: 's', position, sentAt: position, local: 'stored', content,
});
const batch = (p: number) => msg(p, { kind: 'series', stream: 'dev', seq: p, points: 3 });
const text = (p: number) => msg(p, { kind: 'text', text: `t${p}` });
const timeline = (messages: ChatMessage[]): Timeline => ({ messages, loaded: true, hasOlder: false, loadingOlder: false, preview: null });

describe('telemetry in the timeline', () => {
  it('counts batches and refused batches', () => {
    const t = timeline([text(1), batch(2), msg(3, { kind: 'series-refused', reason: 'bad signature', verified: false }), batch(4)]);
    expect(seriesSummary(t)).toEqual({ batches: 2, refused: 1 });
    expect(seriesSummary(undefined)).toEqual({ batches: 0, refused: 0 });
  });

  it('a receipt covers the run of batches after what was seen, never a text after them', () => {
    const t = timeline([text(1), batch(2), batch(3), text(4), batch(5)]);
    expect(seriesRunEnd(t, 1)).toBe(3);
    expect(seriesRunEnd(t, 0)).toBe(0);
    expect(seriesRunEnd(t, 4)).toBe(5);
    expect(seriesRunEnd(t, 5)).toBe(5);
  });
});
