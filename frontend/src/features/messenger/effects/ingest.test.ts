//! What a received message becomes: verified text, a flagged empty message, a marked legacy v1
//! message, or "could not verify" (never text).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MessageObject as WireMessage } from '@/lib/events/decode';
import {
  canonicalHeader, concat, fromBase64, importEncPrivate, importSigPublic, keyCommitment, sealMessage, sha256, toBase64, utf8,
  type AccountKeys,
} from '@/lib/crypto';
import { ATTACHMENT_CONTENT_TYPE } from '@/lib/protocol/constants';
import { makeUser, type TestUser } from '@/testing/crypto-fixtures';
import type { ContactBook } from './contacts';
import { decryptWire } from './ingest';

let alice: TestUser;
let bob: TestUser;
const conversationId = crypto.randomUUID();

beforeAll(async () => {
  [alice, bob] = await Promise.all([makeUser('alice'), makeUser('bob')]);
});

/** A contact book that knows only the sender's (pinned) signing key. */
const pinned = (key: CryptoKey) => ({ sigKey: async () => key }) as unknown as ContactBook;

/** Alice's v2 message to bob, sealed by hand so that any plaintext (even an empty one) can be sent. */
async function handSealed(plaintext: string): Promise<WireMessage> {
  const messageId = crypto.randomUUID();
  const header = canonicalHeader({
    v: 2, conversation_id: conversationId, message_id: messageId, sender_id: alice.id,
    recipients: [alice.id, bob.id].sort(), content_type: 'text/plain', sent_at: 5,
  });
  const h = await sha256(utf8(header));
  const rawK = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const k = await crypto.subtle.importKey('raw', rawK, 'AES-GCM', false, ['encrypt']);
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: h }, k, utf8(plaintext)));
  const commitment = await keyCommitment(rawK, h);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, alice.keys.sigPrivate, concat(h, commitment, iv, ct)));
  const wrapped = new Uint8Array(await crypto.subtle.encrypt({ name: 'RSA-OAEP', label: h }, bob.keys.encPublic, rawK));
  return {
    conversation_id: conversationId, message_id: messageId, position: 1, sender_id: alice.id, server_ts: 9, deleted: false,
    header, commitment: toBase64(commitment), iv: toBase64(iv), ciphertext: toBase64(ct), signature: toBase64(sig), wrapped_key: toBase64(wrapped),
  };
}

describe('received messages', () => {
  it('a verified v2 text is shown as text, not marked legacy', async () => {
    const env = await sealMessage({
      conversationId, messageId: crypto.randomUUID(), senderId: alice.id,
      recipients: [alice, bob].map((u) => ({ userId: u.id, encPublic: u.keys.encPublic })),
      plaintext: 'hi bob', sentAt: 7, signingKey: alice.keys.sigPrivate,
    });
    const w: WireMessage = {
      conversation_id: conversationId, message_id: JSON.parse(env.header).message_id, position: 1, sender_id: alice.id, server_ts: 9, deleted: false,
      header: env.header, commitment: env.commitment, iv: env.iv, ciphertext: env.ciphertext, signature: env.signature,
      wrapped_key: env.keys.find((k) => k.user_id === bob.id)!.wrapped_key,
    };
    const got = await decryptWire(w, { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));
    expect(got.content).toEqual({ kind: 'text', text: 'hi bob' });
  });

  it('an empty or whitespace-only text is flagged as empty, not shown as an empty bubble', async () => {
    for (const text of ['', '  \n\t']) {
      const got = await decryptWire(await handSealed(text), { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));
      expect(got.content, JSON.stringify(text)).toEqual({ kind: 'empty' });
    }
  });

  it('a message that fails verification is never text', async () => {
    const w = await handSealed('secret');
    const got = await decryptWire(w, { id: bob.id, keys: bob.keys }, pinned(bob.keys.sigPublic));
    expect(got.content).toMatchObject({ kind: 'unverified' });
  });

  /** Alice's message with the given content type and plaintext, as bob receives it. */
  async function sealed(plaintext: string, contentType: string): Promise<WireMessage> {
    const env = await sealMessage({
      conversationId, messageId: crypto.randomUUID(), senderId: alice.id,
      recipients: [alice, bob].map((u) => ({ userId: u.id, encPublic: u.keys.encPublic })),
      plaintext, contentType, sentAt: 7, signingKey: alice.keys.sigPrivate,
    });
    return {
      conversation_id: conversationId, message_id: JSON.parse(env.header).message_id, position: 1, sender_id: alice.id, server_ts: 9, deleted: false,
      header: env.header, commitment: env.commitment, iv: env.iv, ciphertext: env.ciphertext, signature: env.signature,
      wrapped_key: env.keys.find((k) => k.user_id === bob.id)!.wrapped_key,
    };
  }

  it('an attachment message opens to its descriptors and caption; every hostile content of the vector file is flagged whole', async () => {
    const V = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../../tests/vectors/courier-attachments.json', import.meta.url)), 'utf8'));
    for (const ok of V.content.valid) {
      const got = await decryptWire(await sealed(ok.plaintext, ATTACHMENT_CONTENT_TYPE), { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));
      expect(got.content.kind).toBe('attachments');
      const parsed = JSON.parse(ok.plaintext);
      if (got.content.kind === 'attachments') {
        expect(got.content.attachments.map((d) => d.attachmentId)).toEqual(parsed.attachments.map((a: { attachment_id: string }) => a.attachment_id));
        expect(got.content.text).toBe(parsed.text);
      }
    }
    for (const bad of V.content.invalid) {
      const got = await decryptWire(await sealed(bad.plaintext, ATTACHMENT_CONTENT_TYPE), { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));
      expect(got.content.kind, bad.why).toBe('bad-content');
    }
  });

  it('an attachment content under text/plain is only text, and an unknown content type is unsupported', async () => {
    const V = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../../tests/vectors/courier-attachments.json', import.meta.url)), 'utf8'));
    const asText = await decryptWire(await sealed(V.content.valid[0].plaintext, 'text/plain'), { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));
    expect(asText.content.kind).toBe('text');
    const other = await decryptWire(await sealed('{}', 'application/vnd.courier.later+json'), { id: bob.id, keys: bob.keys }, pinned(alice.keys.sigPublic));
    expect(other.content).toEqual({ kind: 'unsupported', contentType: 'application/vnd.courier.later+json' });
  });

  it('a stored legacy v1 message (the v1 vector) opens, marked legacy', async () => {
    const V = JSON.parse(readFileSync(fileURLToPath(new URL('../../../../../tests/vectors/courier-v1.json', import.meta.url)), 'utf8'));
    const e = V.envelope;
    const w: WireMessage = {
      conversation_id: e.header_fields.conversation_id, message_id: e.header_fields.message_id, position: 1,
      sender_id: e.header_fields.sender_id, server_ts: 1, deleted: false, header: e.header, iv: e.iv, ciphertext: e.ciphertext,
      signature: e.signature, wrapped_key: e.wrapped_key,
    };
    const keys = { encPrivate: await importEncPrivate(fromBase64(V.keys.enc_private_pkcs8)) } as AccountKeys;
    const sig = await importSigPublic(fromBase64(V.keys.sig_public_spki));
    const got = await decryptWire(w, { id: e.recipient_user_id, keys }, pinned(sig));
    expect(got.content).toEqual({ kind: 'text', text: e.plaintext_utf8, legacy: true });
  });
});
