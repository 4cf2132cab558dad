//! The live event stream: `GET /api/events` read through fetch (so the access token goes in the
//! Authorization header, never in the URL) and parsed incrementally. It reconnects with
//! `Last-Event-ID` after network loss, sleep, a token refresh or a server restart, drops
//! anything at or below the last id it has seen (ids are the user's gapless sequence numbers),
//! and persists that id so a reload resumes where it left off.

import { decodeEvent } from './decode';
import { SseParser, type SseMessage } from './sse-parser';

export type StreamStatus = 'connecting' | 'live' | 'offline' | 'stopped';

export interface StreamEvent {
  id: number | null;
  type: string;
  data: unknown;
}

export interface EventStreamOptions {
  getToken(): Promise<string | null>;
  /** Refresh after a 401; false means the session is over. */
  refresh(): Promise<boolean>;
  loadLastId(): number | null;
  saveLastId(id: number): void;
  onEvent(event: StreamEvent): void | Promise<void>;
  onStatus(status: StreamStatus): void;
  url?: string;
  /** No bytes (not even a heartbeat) for this long → assume the connection is dead. */
  stallMs?: number;
}

export class EventStream {
  private lastId: number | null;
  private controller: AbortController | null = null;
  private stopped = false;
  private attempt = 0;
  private wake: (() => void) | null = null;
  private retryMs = 1000;
  private status: StreamStatus = 'connecting';
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: EventStreamOptions) {
    this.lastId = opts.loadLastId();
  }

  /** Resumes from the id `loadLastId` gives now (the owner may settle it after construction). */
  start(): void {
    this.lastId = this.opts.loadLastId();
    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.reconnectNow);
      window.addEventListener('offline', this.onOffline);
      document.addEventListener('visibilitychange', this.onVisible);
    }
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.wake?.();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.reconnectNow);
      window.removeEventListener('offline', this.onOffline);
      document.removeEventListener('visibilitychange', this.onVisible);
    }
    this.setStatus('stopped');
  }

  /** Drop the current connection and reconnect at once (e.g. after a token refresh). */
  reconnectNow = (): void => {
    this.attempt = 0;
    this.controller?.abort();
    this.wake?.();
  };

  /** The browser knows the network is gone: drop the (possibly half-dead) connection now. */
  private onOffline = (): void => {
    this.controller?.abort();
    this.setStatus('offline');
  };

  private onVisible = (): void => {
    if (document.visibilityState === 'visible' && this.status !== 'live') this.reconnectNow();
  };

  get lastEventId(): number | null {
    return this.lastId;
  }

  private setStatus(s: StreamStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.opts.onStatus(s);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.setStatus(this.attempt === 0 ? 'connecting' : 'offline');
      const wasLive = this.status === 'live';
      const outcome = await this.connectOnce();
      if (this.stopped) break;
      if (outcome === 'closed' && wasLive) {
        // A clean end (token expiry, server restart): reconnect at once, no "offline" flash.
        this.attempt = 0;
        await this.sleep(250);
        continue;
      }
      if (outcome === 'unauthorized') {
        if (!(await this.opts.refresh())) {
          this.stop();
          return;
        }
        continue;
      }
      this.attempt += 1;
      if (this.attempt > 1) this.setStatus('offline');
      const base = Math.min(30_000, this.retryMs * 2 ** Math.min(this.attempt - 1, 5));
      await this.sleep(this.attempt === 1 ? Math.min(base, 1000) : base * (0.75 + Math.random() * 0.5));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async connectOnce(): Promise<'closed' | 'unauthorized' | 'error'> {
    const token = await this.opts.getToken();
    if (!token) return 'unauthorized';
    const controller = new AbortController();
    this.controller = controller;
    const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
    if (this.lastId !== null) headers['Last-Event-ID'] = String(this.lastId);
    let stallTimer: ReturnType<typeof setInterval> | null = null;
    try {
      const res = await fetch(this.opts.url ?? '/api/events', { headers, signal: controller.signal, cache: 'no-store', credentials: 'same-origin' });
      if (res.status === 401 || res.status === 403) return 'unauthorized';
      if (!res.ok || !res.body) return 'error';
      const parser = new SseParser((m) => this.enqueue(m));
      const stallMs = this.opts.stallMs ?? 45_000;
      stallTimer = setInterval(() => {
        if (Date.now() - parser.lastActivity > stallMs) controller.abort();
      }, 5_000);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.lastActivity = Date.now();
        parser.push(value);
        if (parser.retry) this.retryMs = Math.max(500, parser.retry);
      }
      await this.queue;
      return 'closed';
    } catch {
      return 'error';
    } finally {
      if (stallTimer) clearInterval(stallTimer);
      if (this.controller === controller) this.controller = null;
    }
  }

  /** Events are handled strictly one after another, in stream order. */
  private enqueue(msg: SseMessage): void {
    this.queue = this.queue.then(() => this.handle(msg)).catch((e) => console.error('event handler failed', e));
  }

  private async handle(msg: SseMessage): Promise<void> {
    let id: number | null = null;
    if (msg.id !== null && msg.id !== '') {
      id = Number(msg.id);
      if (!Number.isSafeInteger(id)) return;
      if (this.lastId !== null && id <= this.lastId) return; // duplicate after a resume
    }
    let data: unknown;
    try {
      data = msg.data ? JSON.parse(msg.data) : null;
    } catch {
      return;
    }
    if (msg.event === 'ready') {
      this.attempt = 0;
      // A first connection without an id starts live: remember where "live" began.
      const ready = decodeEvent('ready', data);
      if (this.lastId === null && ready.ok && ready.value.type === 'ready') {
        this.lastId = ready.value.lastSeq;
        this.opts.saveLastId(ready.value.lastSeq);
      }
      this.setStatus('live');
    }
    await this.opts.onEvent({ id, type: msg.event, data });
    if (id !== null) {
      this.lastId = id;
      this.opts.saveLastId(id);
    }
  }
}
