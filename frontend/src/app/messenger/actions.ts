//! User actions on top of the controller: send (seal for every member with fresh, trusted
//! keys), retry, delete for everyone, typing, starting chats and groups, trusting keys.

import { sealMessage } from '@/lib/crypto';
import { ApiError, describeError } from '@/lib/api/errors';
import type { Conversation } from '@/lib/api/types';
import { addMember } from '@/features/conversations/api/add-member';
import { createConversation } from '@/features/conversations/api/create-conversation';
import { removeMember } from '@/features/conversations/api/remove-member';
import { deleteMessage } from '@/features/messages/api/delete-message';
import { postTyping } from '@/features/messages/api/post-typing';
import { sendMessage } from '@/features/messages/api/send-message';
import { SendBlockedError } from './contacts';
import type { Messenger } from './messenger';
import { emptyView, patchMessage } from './timeline';
import type { ChatMessage } from './types';

export const MAX_MESSAGE_CHARS = 8_000;

export class MessengerActions {
  private typingSentAt = new Map<string, number>();
  private typingRetry = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly m: Messenger) {}

  /** Members whose key blocks sending into this conversation (changed or invalid). */
  blockers(convId: string): string[] {
    const s = this.m.store.get();
    const conv = s.conversations[convId]?.conv;
    if (!conv) return [];
    return conv.members
      .map((mem) => mem.id)
      .filter((id) => id !== s.me.id && ['changed', 'invalid'].includes(s.contacts[id]?.status?.kind ?? ''));
  }

  async send(convId: string, text: string): Promise<void> {
    const body = text.trim();
    if (!body) return;
    if (body.length > MAX_MESSAGE_CHARS) throw new Error(`Messages are limited to ${MAX_MESSAGE_CHARS} characters.`);
    const msg: ChatMessage = {
      id: crypto.randomUUID(),
      conversationId: convId,
      senderId: this.m.me.id,
      position: null,
      sentAt: Date.now(),
      local: 'sending',
      content: { kind: 'text', text: body },
    };
    this.m.localMessage(convId, msg);
    // Receivers clear the typing indicator on a message: the next keystroke must notify again.
    this.typingSentAt.delete(convId);
    await this.deliver(msg);
  }

  async retry(convId: string, messageId: string): Promise<void> {
    const msg = this.m.store.get().conversations[convId]?.messages.find((x) => x.id === messageId);
    if (!msg || msg.local !== 'failed') return;
    this.m.store.set((s) => patchMessage(s, convId, messageId, { local: 'sending' }));
    await this.deliver({ ...msg, local: 'sending' });
  }

  private async deliver(msg: ChatMessage): Promise<void> {
    const convId = msg.conversationId;
    try {
      let envelope = msg.envelope;
      if (!envelope) {
        if (msg.content.kind !== 'text') return;
        const conv = this.m.store.get().conversations[convId].conv;
        const ids = conv.members.map((x) => x.id);
        if (!ids.includes(this.m.me.id)) ids.push(this.m.me.id);
        const keys = await this.m.contacts.encKeysForSending(ids);
        envelope = await sealMessage({
          conversationId: convId,
          messageId: msg.id,
          senderId: this.m.me.id,
          recipients: ids.map((id) => ({ userId: id, encPublic: keys.get(id)! })),
          plaintext: msg.content.text,
          sentAt: msg.sentAt,
          signingKey: this.m.keys.sigPrivate,
        });
        this.m.store.set((s) => patchMessage(s, convId, msg.id, { envelope }));
      }
      const res = await sendMessage(convId, envelope);
      this.m.store.set((s) => patchMessage(s, convId, msg.id, { local: 'stored', position: res.position, envelope: undefined }));
    } catch (e) {
      // Membership changed since sealing: the server refuses; seal again on retry.
      const stale = e instanceof ApiError && (e.status === 400 || e.status === 409);
      this.m.store.set((s) => patchMessage(s, convId, msg.id, { local: 'failed', ...(stale ? { envelope: undefined } : {}) }));
      if (e instanceof SendBlockedError) this.m.notify('error', e.message);
      else this.m.notify('error', `Message not sent. ${describeError(e)}`);
    }
  }

  async remove(convId: string, messageId: string): Promise<void> {
    const msg = this.m.store.get().conversations[convId]?.messages.find((x) => x.id === messageId);
    if (msg && msg.local !== 'stored') {
      this.m.markDeleted(convId, messageId);
      return;
    }
    try {
      await deleteMessage(convId, messageId);
      this.m.markDeleted(convId, messageId);
    } catch (e) {
      this.m.notify('error', `Could not delete the message. ${describeError(e)}`);
    }
  }

  typing(convId: string): void {
    const last = this.typingSentAt.get(convId) ?? 0;
    if (Date.now() - last < 3_000) return;
    this.typingSentAt.set(convId, Date.now());
    postTyping(convId).catch((e: unknown) => {
      // The server allows one a second; if we were early, say it once more a moment later.
      if (e instanceof ApiError && e.status === 429 && !this.typingRetry.has(convId)) {
        this.typingRetry.set(convId, setTimeout(() => {
          this.typingRetry.delete(convId);
          this.typingSentAt.set(convId, Date.now());
          postTyping(convId).catch(() => {});
        }, 1_100));
      }
    });
  }

  private addConversation(conv: Conversation): void {
    this.m.store.set((s) => ({
      ...s,
      conversations: { ...s.conversations, [conv.id]: s.conversations[conv.id] ?? emptyView(conv) },
    }));
  }

  /** Looks the name up, pins the keys on first use, opens (or creates) the direct chat. */
  async startDirect(username: string): Promise<void> {
    const { user } = await this.m.contacts.findByName(username);
    const conv = await createConversation([user.id]);
    this.addConversation(conv);
    void this.m.loadPresence();
    // Not awaited: the dialog closes as soon as the chat exists, while its history loads. A
    // dialog left open over the chat until then swallowed what the user typed meanwhile.
    void this.m.open(conv.id);
  }

  async createGroup(title: string, usernames: string[]): Promise<void> {
    const users = await Promise.all(usernames.map((u) => this.m.contacts.findByName(u)));
    const conv = await createConversation(users.map((u) => u.user.id), title.trim() || undefined);
    this.addConversation(conv);
    void this.m.open(conv.id); // not awaited, as in startDirect
  }

  async addToGroup(convId: string, username: string): Promise<void> {
    const { user } = await this.m.contacts.findByName(username);
    const conv = await addMember(convId, user.id);
    this.m.store.set((s) => ({ ...s, conversations: { ...s.conversations, [conv.id]: { ...s.conversations[conv.id], conv } } }));
  }

  async leave(convId: string): Promise<void> {
    await removeMember(convId, this.m.me.id);
    await this.m.open(null);
    this.m.store.set((s) => {
      const { [convId]: _gone, ...rest } = s.conversations;
      return { ...s, conversations: rest };
    });
  }

  acceptKeyChange(userId: string): void {
    this.m.contacts.acceptKeyChange(userId);
    void this.m.reverify(userId);
  }

  setVerified(userId: string, verified: boolean): void {
    this.m.contacts.setVerified(userId, verified);
  }
}
