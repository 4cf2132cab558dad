//! The messenger's external store (for useSyncExternalStore): one immutable state, changed only
//! by dispatching events through the pure `applyEvent`.
import { applyEvent, type MessengerEvent, type MessengerState } from './model';

export class MessengerStore {
  private listeners = new Set<() => void>();

  constructor(private state: MessengerState) {}

  get = (): MessengerState => this.state;

  dispatch = (event: MessengerEvent): void => {
    const next = applyEvent(this.state, event);
    if (next === this.state) return;
    this.state = next;
    for (const l of this.listeners) l();
  };

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}
