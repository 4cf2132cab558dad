//! Telemetry series (docs/protocol.md §12) against the shared known answers in
//! tests/vectors/courier-series.json, which the Rust reader passes too.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERIES_CONTENT_TYPE } from '@/lib/protocol/constants';
import { parseSeriesBatch, SeqLog, serializeSeriesBatch } from './batch';

const PATH = fileURLToPath(new URL('../../../../tests/vectors/courier-series.json', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const V: any = JSON.parse(readFileSync(PATH, 'utf8'));
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('series batches', () => {
  it('uses the content type of the vector file', () => {
    expect(V.content_type).toBe(SERIES_CONTENT_TYPE);
  });

  type Case = { name: string; plaintext: string; parsed?: unknown };
  it.each<Case>(V.valid)('accepts $name and writes it back byte for byte', ({ plaintext, parsed }) => {
    const batch = parseSeriesBatch(utf8(plaintext));
    expect(batch).toEqual(parsed);
    expect(new TextDecoder().decode(serializeSeriesBatch(batch))).toBe(plaintext);
  });

  it.each<Case>(V.invalid)('refuses $name', ({ plaintext }) => {
    expect(() => parseSeriesBatch(utf8(plaintext))).toThrow(/series batch refused/);
  });

  it('has more than forty hostile cases', () => {
    expect(V.invalid.length).toBeGreaterThan(40);
  });
});

describe('SeqLog', () => {
  it('reports duplicates and gaps', () => {
    const log = new SeqLog();
    for (const s of [0, 1, 2, 5, 7, 6]) expect(log.insert(s)).toBe('new');
    expect(log.insert(1)).toBe('duplicate');
    expect(log.gaps()).toEqual([[3, 4]]);
    log.insert(3);
    log.insert(4);
    expect(log.gaps()).toEqual([]);
    expect(log.last).toBe(7);
  });
});
