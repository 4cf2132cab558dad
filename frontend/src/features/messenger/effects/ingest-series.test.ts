//! What a received telemetry batch (docs/protocol.md §12) becomes: its points and a summary when
//! it verifies and parses; `series-refused` (never points) when it fails either.
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageObject as WireMessage } from '@/lib/events/decode';
import { fromBase64, sealMessage, toBase64 } from '@/lib/crypto';
import { SERIES_CONTENT_TYPE } from '@/lib/protocol/constants';
import { makeUser, type TestUser } from '@/testing/crypto-fixtures';
import type { ContactBook } from './contacts';
import { decryptWire } from './ingest';

let alice: TestUser;
let bob: TestUser;
const conversationId = crypto.randomUUID();
const pinned = (key: CryptoKey) => ({ sigKey: async () => key }) as unknown as ContactBook;
const GOOD = '{"points":[[1700000000000,21.5,null],[1700000000100,21.75,3]],"seq":4,"series":[{"name":"temp","unit":"C"},{"name":"load","unit":"%"}],"stream":"dev1"}';

beforeAll(async () => {
  [alice, bob] = await Promise.all([makeUser('alice'), makeUser('bob')]);
});

async function sealed(plaintext: string): Promise<WireMessage> {
  const env = await sealMessage({
    conversationId, messageId: crypto.randomUUID(), senderId: alice.id, contentType: SERIES_CONTENT_TYPE,
    recipients: [alice, bob].map((u) => ({ userId: u.id, encPublic: u.keys.encPublic })),
    plaintext, sentAt: 7, signingKey: alice.keys.sigPrivate,
  });
  return {
    conversation_id: conversationId, message_id: JSON.parse(env.header).message_id, position: 1, sender_id: alice.id, server_ts: 9, deleted: false,
    header: env.header, commitment: env.commitment, iv: env.iv, ciphertext: env.ciphertext, signature: env.signature,
    wrapped_key: env.keys.find((k) => k.user_id === bob.id)!.wrapped_key,
  };
}

const open = (w: WireMessage) => decryptWire(w, { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));

describe('received telemetry batches', () => {
  it('a verified, valid batch gives its points and a summary for the timeline', async () => {
    const got = await open(await sealed(GOOD));
    expect(got.content).toEqual({ kind: 'series', stream: 'dev1', seq: 4, points: 2 });
    expect(got.batch?.points).toEqual([[1700000000000, 21.5, null], [1700000000100, 21.75, 3]]);
  });

  it('a batch altered in storage is refused as unverified, with no points', async () => {
    const w = await sealed(GOOD);
    const ct = fromBase64(w.ciphertext!);
    ct[3] ^= 1;
    const got = await open({ ...w, ciphertext: toBase64(ct) });
    expect(got.content).toMatchObject({ kind: 'series-refused', verified: false });
    expect(got.content.kind === 'series-refused' && got.content.reason).toMatch(/telemetry batch could not be verified/);
    expect(got.batch).toBeUndefined();
  });

  it('a verified batch that breaks the format (not canonical) is refused whole', async () => {
    const got = await open(await sealed(GOOD.replace('21.5', '21.50')));
    expect(got.content).toMatchObject({ kind: 'series-refused', verified: true });
    expect(got.batch).toBeUndefined();
  });
});
