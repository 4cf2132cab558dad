import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from './sse-parser';

function parse(chunks: string[]): { msgs: SseMessage[]; parser: SseParser } {
  const msgs: SseMessage[] = [];
  const parser = new SseParser((m) => msgs.push(m));
  chunks.forEach((c) => parser.push(c));
  return { msgs, parser };
}

describe('SSE parser', () => {
  it('parses events with ids, types and multi-line data across chunk boundaries', () => {
    const { msgs } = parse(['id: 7\nevent: mess', 'age\ndata: {"a":\ndata: 1}\n', '\n: ping\n\nevent: typing\ndata: {}\n\n']);
    expect(msgs).toEqual([
      { id: '7', event: 'message', data: '{"a":\n1}' },
      { id: null, event: 'typing', data: '{}' },
    ]);
  });

  it('handles CRLF split between chunks and the retry field', () => {
    const { msgs, parser } = parse(['retry: 3000\r', '\nid: 1\r\ndata: x\r', '\n\r', '\n']);
    expect(parser.retry).toBe(3000);
    expect(msgs).toEqual([{ id: '1', event: 'message', data: 'x' }]);
  });

  it('ignores comments and does not dispatch empty events', () => {
    const { msgs } = parse([': hello\n\n\n\n']);
    expect(msgs).toEqual([]);
  });
});
