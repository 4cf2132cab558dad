import { describe, expect, it } from 'vitest';
import { checkLength, COUNTER_FROM, MAX_MESSAGE_CHARS, messageLength } from './length';

describe('message length', () => {
  it('counts characters as people see them, of the text that would be sent', () => {
    expect(messageLength('  hi  ')).toBe(2);
    expect(messageLength('👍🏽é')).toBe(3); // two code points for the emoji with its skin tone, one for é
    expect(messageLength('😀'.repeat(10))).toBe(10);
  });

  it('shows no counter for ordinary messages', () => {
    expect(checkLength('hello')).toEqual({ length: 5, tooLong: false, counter: null, problem: null });
    expect(checkLength('x'.repeat(COUNTER_FROM - 1)).counter).toBeNull();
  });

  it('shows a counter near the limit, and accepts exactly the limit', () => {
    const at = checkLength('x'.repeat(MAX_MESSAGE_CHARS));
    expect(at).toMatchObject({ tooLong: false, problem: null, counter: '8\u202f000 / 8\u202f000' });
  });

  it('refuses a longer text with the reason, never cutting it', () => {
    const text = 'y'.repeat(MAX_MESSAGE_CHARS + 123);
    const over = checkLength(text);
    expect(over.tooLong).toBe(true);
    expect(over.counter).toBe('8\u202f123 / 8\u202f000');
    expect(over.problem).toContain('Remove 123');
    expect(text.length).toBe(8_123);
  });
});
