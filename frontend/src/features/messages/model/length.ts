//! The message length limit as the composer shows it. A UI limit, not a protocol one (the protocol
//! allows 65 536 bytes of plaintext; 8 000 characters stay below it in any script). Counted in
//! characters as people see them (code points, so an emoji is one), of the text that would be
//! sent (trimmed). Nothing is ever cut: a longer text stays in the box, and sending is refused
//! with the reason. Pure.

export const MAX_MESSAGE_CHARS = 8_000;
/** The counter appears from this length on. */
export const COUNTER_FROM = 7_000;

/** Characters as people count them (code points) of the text that would be sent. */
export function messageLength(text: string): number {
  let n = 0;
  for (const _ of text.trim()) n++;
  return n;
}

export interface LengthCheck {
  length: number;
  /** Over the limit: sending is refused. */
  tooLong: boolean;
  /** "7 950 / 8 000", or null below COUNTER_FROM. */
  counter: string | null;
  /** Why sending is refused, or null. */
  problem: string | null;
}

const fmt = (n: number) => n.toLocaleString('en-US').replace(/,/g, '\u202f');

export function checkLength(text: string): LengthCheck {
  const length = messageLength(text);
  const tooLong = length > MAX_MESSAGE_CHARS;
  return {
    length,
    tooLong,
    counter: length >= COUNTER_FROM ? `${fmt(length)} / ${fmt(MAX_MESSAGE_CHARS)}` : null,
    problem: tooLong
      ? `Too long to send: ${fmt(length)} characters, and a message holds at most ${fmt(MAX_MESSAGE_CHARS)}. Remove ${fmt(length - MAX_MESSAGE_CHARS)} or split it into several messages.`
      : null,
  };
}
