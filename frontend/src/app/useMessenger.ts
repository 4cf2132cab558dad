import { createContext, useContext, useSyncExternalStore } from 'react';
import type { MessengerActions } from './messenger/actions';
import type { Messenger } from './messenger/messenger';
import type { MessengerState } from './messenger/types';

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

export function useMessengerState(): MessengerState {
  const { messenger } = useMessenger();
  return useSyncExternalStore(messenger.store.subscribe, messenger.store.get);
}
