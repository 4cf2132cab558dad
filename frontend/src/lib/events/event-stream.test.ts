import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStream, type StreamEvent } from './event-stream';

function sseResponse(body: string): Response {
  return new Response(new Blob([body]).stream(), { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

afterEach(() => vi.unstubAllGlobals());

describe('EventStream', () => {
  it('resumes with Last-Event-ID, sends the token in a header and drops duplicates', async () => {
    const requests: { url: string; headers: Record<string, string> }[] = [];
    const bodies = [
      'id: 5\nevent: message\ndata: {"n":5}\n\nid: 6\nevent: message\ndata: {"n":6}\n\n',
      'id: 6\nevent: message\ndata: {"n":6}\n\nid: 7\nevent: receipt\ndata: {"n":7}\n\nevent: ready\ndata: {"last_seq":7}\n\n',
    ];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push({ url, headers: init.headers as Record<string, string> });
      const body = bodies.shift();
      if (!body) return new Promise(() => {});
      return sseResponse(body);
    });
    const events: StreamEvent[] = [];
    let saved: number | null = 4;
    const stream = new EventStream({
      getToken: async () => 'tok',
      refresh: async () => true,
      loadLastId: () => saved,
      saveLastId: (id) => (saved = id),
      onEvent: (e) => void events.push(e),
      onStatus: () => {},
    });
    stream.start();
    await vi.waitFor(() => expect(events.length).toBe(4), { timeout: 5000 });
    stream.stop();
    expect(events.map((e) => e.id)).toEqual([5, 6, 7, null]);
    expect(saved).toBe(7);
    expect(requests[0].url).toBe('/api/events');
    expect(requests[0].headers['Last-Event-ID']).toBe('4');
    expect(requests[0].headers.Authorization).toBe('Bearer tok');
    expect(requests[1].headers['Last-Event-ID']).toBe('6');
  });

  it('refreshes the token after a 401 and stops when refreshing fails', async () => {
    vi.stubGlobal('fetch', async () => new Response('{}', { status: 401 }));
    const statuses: string[] = [];
    let refreshed = 0;
    const stream = new EventStream({
      getToken: async () => 'tok',
      refresh: async () => ++refreshed < 2,
      loadLastId: () => null,
      saveLastId: () => {},
      onEvent: () => {},
      onStatus: (s) => statuses.push(s),
    });
    stream.start();
    await vi.waitFor(() => expect(statuses).toContain('stopped'), { timeout: 5000 });
    expect(refreshed).toBe(2);
  });
});
