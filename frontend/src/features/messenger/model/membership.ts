//! What a member who did not create a group is told at the top of its history. Someone added to a
//! group cannot read what was sent before they joined, or while they were away (each message is
//! encrypted for the members of the moment, docs/protocol.md §5), so an empty or partial chat is
//! explained instead of looking broken. Positions are gapless from 1 per conversation and the
//! history keeps deleted messages, so once the whole history is loaded, a position up to the
//! conversation's last one that we do not have is a message not encrypted for us. Pure.
//!
//! The server records who added the reader (`added_by`); for memberships made before it did, the
//! notice names the group's creator instead, never a guessed adder.
import type { Conversation } from '@/lib/api/types';
import type { MemberNote, Timeline } from './types';

export function membershipNotice(conv: Conversation, t: Timeline, meId: string, nameOf: (userId: string) => string | undefined): string | null {
  if (conv.kind !== 'group' || !t.loaded || t.hasOlder) return null;
  if (!conv.created_by || conv.created_by === meId) return null;
  const positions = new Set(t.messages.flatMap((m) => (m.position === null ? [] : [m.position])));
  const last = Math.max(conv.last_position ?? 0, ...positions);
  const first = positions.size ? Math.min(...positions) : null;
  const adder = conv.added_by ? nameOf(conv.added_by) : undefined;
  const added = adder ? `${adder} added you to this group` : `You were added to ${creator(conv.created_by, nameOf)}`;
  const why = 'they were encrypted only for the members at the time.';
  if (first === null ? last > 0 : first > 1) return `${added} after it started. Earlier messages are not available to you: ${why}`;
  if (positions.size < last) return `${added}. Messages sent while you were not a member are not available to you: ${why}`;
  return `${added}.`;
}

/** The line a change of members shows in the timeline ("ben left", "ann added cat", …). */
export function memberNoteText(note: MemberNote, meId: string, nameOf: (userId: string) => string | undefined): string {
  // Leading a sentence, or inside one.
  const lead = (id: string) => (id === meId ? 'You' : (nameOf(id) ?? 'A former member'));
  const inner = (id: string) => (id === meId ? 'you' : (nameOf(id) ?? 'a former member'));
  const were = note.subject === meId ? 'were' : 'was';
  if (note.change === 'member_added') return note.by ? `${lead(note.by)} added ${inner(note.subject)}` : `${lead(note.subject)} ${were} added`;
  if (note.by === note.subject) return `${lead(note.subject)} left`;
  return note.by ? `${lead(note.by)} removed ${inner(note.subject)}` : `${lead(note.subject)} ${were} removed`;
}

function creator(id: string, nameOf: (userId: string) => string | undefined): string {
  const name = nameOf(id);
  return name ? `${name}’s group` : 'this group';
}
