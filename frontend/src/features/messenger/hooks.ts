//! React access to the messenger: the context, and a selector hook so that a component
//! re-renders only when what it selects changes (by `isEqual`), not on every state change.
import { createContext, useContext, useRef, useSyncExternalStore } from 'react';
import type { MessengerActions } from './effects/send';
import type { Messenger } from './messenger';
import type { MessengerState } from './model';

export interface MessengerContextValue {
  messenger: Messenger;
  actions: MessengerActions;
}

export const MessengerContext = createContext<MessengerContextValue | null>(null);

export function useMessenger(): MessengerContextValue {
  const ctx = useContext(MessengerContext);
  if (!ctx) throw new Error('useMessenger outside MessengerContext');
  return ctx;
}

/** Shallow equality of arrays (element-wise) and plain objects (key-wise), `Object.is` below. */
export function shallowEqual<T>(a: T, b: T): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && Object.is(ra[k], rb[k]));
}

/**
 * Selects a slice of the messenger state. The component re-renders only when the selected value
 * changes according to `isEqual` (default `Object.is`; use `shallowEqual` for derived objects).
 */
export function useMessengerSelector<T>(selector: (s: MessengerState) => T, isEqual: (a: T, b: T) => boolean = Object.is): T {
  const { messenger } = useMessenger();
  const last = useRef<{ state: MessengerState; selector: (s: MessengerState) => T; value: T } | null>(null);
  const getSnapshot = (): T => {
    const state = messenger.store.get();
    const prev = last.current;
    if (prev && prev.state === state && prev.selector === selector) return prev.value;
    const value = selector(state);
    const stable = prev && isEqual(prev.value, value) ? prev.value : value;
    last.current = { state, selector, value: stable };
    return stable;
  };
  return useSyncExternalStore(messenger.store.subscribe, getSnapshot);
}
