//! The tabs of this browser talk over one `BroadcastChannel('courier')`: a lock in one tab locks
//! every tab, an unlock (with "keep this device unlocked") lets the locked tabs reopen from the
//! device record, a sign-out signs every tab out, and activity keeps every tab's idle timer in
//! step. Messages carry no secret: a kind, the user id, a time. A message never reaches the tab
//! that sent it. Other parts of the app may use the same channel: unknown messages are ignored.

export type TabMessage =
  | { type: 'lock'; userId: string; idle?: boolean }
  | { type: 'unlocked'; userId: string }
  | { type: 'signed-out'; userId: string }
  | { type: 'activity'; userId: string; at: number }
  | { type: 'lock-settings'; userId: string };

const TYPES = new Set(['lock', 'unlocked', 'signed-out', 'activity', 'lock-settings']);

/** The guarded decoder at the boundary: another tab (or another version of the app) sent it. */
export function parseTabMessage(data: unknown): TabMessage | null {
  const m = data as Partial<TabMessage> | null;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string' || !TYPES.has(m.type) || typeof m.userId !== 'string') return null;
  if (m.type === 'activity' && (typeof m.at !== 'number' || !Number.isFinite(m.at))) return null;
  if (m.type === 'lock' && m.idle !== undefined && typeof m.idle !== 'boolean') return null;
  return m as TabMessage;
}

export class TabChannel {
  private readonly channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel('courier');
  private readonly listeners = new Set<(m: TabMessage) => void>();

  constructor() {
    if (this.channel) {
      this.channel.onmessage = (e: MessageEvent) => {
        const m = parseTabMessage(e.data);
        if (m) for (const l of this.listeners) l(m);
      };
    }
  }

  post(m: TabMessage): void {
    try {
      this.channel?.postMessage(m);
    } catch {
      /* closed: the page is going away */
    }
  }

  listen(fn: (m: TabMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.listeners.clear();
    this.channel?.close();
  }
}
