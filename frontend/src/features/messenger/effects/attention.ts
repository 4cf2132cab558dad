//! Effects: the unread total in the tab title, and desktop notifications (model/attention.ts
//! decides; this file only touches `document.title` and the Notification API). The browser
//! permission is asked only from a user gesture (`enableNotifications`, called from a click),
//! never on load.
import { documentTitle, notificationFor, unreadTotal, type ChatMessage } from '../model';
import type { MessengerStore } from '../store';

export type Permission = NotificationPermission | 'unsupported';

function api(): typeof Notification | null {
  return typeof globalThis.Notification === 'function' ? globalThis.Notification : null;
}

export function notificationPermission(): Permission {
  return api()?.permission ?? 'unsupported';
}

export class AttentionEffects {
  private unsubscribe: (() => void) | null = null;
  private shown = new Map<string, Notification>();
  private notified = new Set<string>();

  constructor(
    private readonly store: MessengerStore,
    private readonly onOpen: (conversationId: string) => void,
    private readonly baseTitle = 'Courier',
  ) {}

  start(): void {
    const update = () => {
      const title = documentTitle(unreadTotal(this.store.get()), this.baseTitle);
      if (document.title !== title) document.title = title;
    };
    update();
    this.unsubscribe = this.store.subscribe(update);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const n of this.shown.values()) n.close();
    this.shown.clear();
    document.title = this.baseTitle;
  }

  /** Must run inside a user gesture (a click): asks the browser, then turns notifications on. */
  async enableNotifications(): Promise<Permission> {
    const N = api();
    if (!N) return 'unsupported';
    const permission = N.permission === 'default' ? await N.requestPermission() : N.permission;
    if (permission === 'granted') this.store.dispatch({ type: 'prefs/changed', prefs: { ...this.store.get().prefs, notify: true } });
    return permission;
  }

  /** A message arrived live and was opened: notify if the model says so. */
  arrived(messages: ChatMessage[]): void {
    const N = api();
    const ctx = { visible: document.visibilityState === 'visible', permitted: N?.permission === 'granted' };
    for (const m of messages) {
      if (this.notified.has(m.id)) continue;
      this.notified.add(m.id);
      if (this.notified.size > 2_000) this.notified.delete(this.notified.values().next().value ?? ''); // oldest first
      const content = notificationFor(this.store.get(), m, ctx);
      if (!content || !N) continue;
      try {
        const n = new N(content.title, { body: content.body, tag: content.tag, silent: false });
        const convId = m.conversationId;
        n.onclick = () => {
          window.focus();
          n.close();
          // With content hidden the tag does not name the conversation, but opening it is still right.
          this.onOpen(convId);
        };
        n.onclose = () => this.shown.delete(content.tag);
        this.shown.get(content.tag)?.close();
        this.shown.set(content.tag, n);
      } catch {
        /* e.g. Android Chrome allows notifications only from a service worker: nothing to show */
      }
    }
  }

  /** The conversation is being read: its notification is no longer news. */
  seen(conversationId: string): void {
    for (const [tag, n] of this.shown) {
      if (tag === `courier-${conversationId}`) {
        n.close();
        this.shown.delete(tag);
      }
    }
  }
}
