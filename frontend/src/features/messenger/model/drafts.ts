//! Slice `drafts`: the unsent text per conversation, as stored on this device (null until the
//! stored drafts are opened). The composer owns the text while it is shown; the effect reports
//! each stored change here, so the list can show "Draft: …". Pure.
import type { MessengerEvent } from './events';

export type DraftsState = Record<string, string> | null;

export function applyDrafts(s: DraftsState, e: MessengerEvent): DraftsState {
  switch (e.type) {
    case 'drafts/loaded':
      return { ...e.drafts, ...s };
    case 'draft/saved': {
      const cur = s ?? {};
      if ((cur[e.conversationId] ?? '') === e.text) return s;
      const { [e.conversationId]: _old, ...rest } = cur;
      return e.text ? { ...rest, [e.conversationId]: e.text } : rest;
    }
    case 'conversation/removed': {
      if (!s || !(e.conversationId in s)) return s;
      const { [e.conversationId]: _gone, ...rest } = s;
      return rest;
    }
    default:
      return s;
  }
}
