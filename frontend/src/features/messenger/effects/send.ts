//! Effects of the user's actions: send (through the outbox, effects/outbox.ts, which seals for
//! every member with fresh, trusted keys and posts), retry, delete for everyone, typing, starting
//! chats and groups, trusting keys. Network and crypto here; every state change is an event.

import { utf8, type AttachmentDescriptor } from '@/lib/crypto';
import { describeError } from '@/lib/api/errors';
import type { Conversation } from '@/lib/api/types';
import { admitFiles, fitContent, isInlineImage, type AttachmentAction } from '@/features/attachments';
import { addMember, createConversation, removeMember } from '@/features/conversations';
import { deleteMessage, MAX_MESSAGE_CHARS, messageLength } from '@/features/messages';
import { conversationTitle, type ChatMessage } from '../model';
import type { Messenger } from '../messenger';

export class MessengerActions {
  constructor(private readonly m: Messenger) {}

  /** Members whose key blocks sending into this conversation (changed or invalid). */
  blockers(convId: string): string[] {
    const s = this.m.store.get();
    const conv = s.conversations.byId[convId];
    if (!conv) return [];
    return conv.members
      .map((mem) => mem.id)
      .filter((id) => id !== s.me.id && ['changed', 'invalid'].includes(s.contacts[id]?.status?.kind ?? ''));
  }

  /** A new message of ours, not yet stored: a fresh id (the idempotency key) and our clock. */
  private draftMessage<C extends ChatMessage['content']>(convId: string, content: C): ChatMessage & { content: C } {
    return { id: crypto.randomUUID(), conversationId: convId, senderId: this.m.me.id, position: null, sentAt: Date.now(), local: 'sending', content };
  }

  /** Shows the message at once and puts it in the outbox (effects/outbox.ts), which sends it now
   *  or, offline, once the connection is back: resolves once it is stored, not when it is sent. */
  async send(convId: string, text: string): Promise<void> {
    const body = text.trim();
    if (!body) return;
    if (messageLength(body) > MAX_MESSAGE_CHARS) throw new Error(`Messages are limited to ${MAX_MESSAGE_CHARS} characters.`);
    const message = this.draftMessage(convId, { kind: 'text' as const, text: body });
    this.m.typing.sent(convId);
    this.m.drafts.clear(convId);
    await this.m.outbox.add(message);
  }

  /**
   * Sends files (at most 10) with an optional caption: the message shows at once with a progress
   * bar per file; each file is encrypted and uploaded (cancel and retry per file); once every file
   * is in, the message is sealed with their descriptors and posted with their ids. If every file
   * is cancelled, the message goes away unsent.
   */
  async sendAttachments(convId: string, files: File[], caption: string): Promise<void> {
    const text = caption.trim();
    if (!files.length) return this.send(convId, caption);
    if (messageLength(text) > MAX_MESSAGE_CHARS) throw new Error(`Captions are limited to ${MAX_MESSAGE_CHARS} characters.`);
    const admitted = admitFiles([], files).files;
    const message: ChatMessage = this.draftMessage(convId, { kind: 'attachments', ...(text ? { text } : {}), attachments: [] });
    this.m.store.dispatch({ type: 'message/local', message });
    this.m.typing.sent(convId);
    this.m.drafts.clear(convId);
    const descriptors = await this.m.attachments.upload(message.id, admitted, text ? utf8(JSON.stringify(text)).length : 0);
    if (!descriptors.length) {
      this.m.store.dispatch({ type: 'message/dropped', conversationId: convId, messageId: message.id });
      return;
    }
    let attachments: AttachmentDescriptor[];
    try {
      attachments = fitContent({ ...(text ? { text } : {}), attachments: descriptors }).message.attachments;
    } catch (e) {
      this.m.store.dispatch({ type: 'uploads/finished', messageId: message.id });
      this.m.store.dispatch({ type: 'message/patched', conversationId: convId, messageId: message.id, patch: { local: 'failed' } });
      this.m.notify('error', `Message not sent. ${describeError(e)}`);
      return;
    }
    const content = { kind: 'attachments' as const, ...(text ? { text } : {}), attachments };
    this.m.store.dispatch({ type: 'message/patched', conversationId: convId, messageId: message.id, patch: { content } });
    this.m.store.dispatch({ type: 'uploads/finished', messageId: message.id });
    // Only now, with every file uploaded, can the message be kept and sent again after a reload.
    await this.m.outbox.add({ ...message, content });
  }

  /** What the person asked of one attachment of a message. */
  attachment(convId: string, messageId: string, key: string, action: AttachmentAction): void {
    if (action === 'cancel-upload') return this.m.attachments.cancelUpload(messageId, key);
    if (action === 'retry-upload') return this.m.attachments.retryUpload(messageId, key);
    const msg = this.m.store.get().timelines[convId]?.messages.find((x) => x.id === messageId);
    if (msg?.content.kind !== 'attachments') return;
    const d = msg.content.attachments.find((x) => x.attachmentId === key);
    if (!d) return;
    // A file (not drawn) is saved as soon as it verified; an image is shown, and saved from the viewer.
    const save = action === 'save' || !isInlineImage(d.mediaType);
    this.m.attachments.download(d, { save });
  }

  /** Sends a refused message again, with the same message id. */
  async retry(convId: string, messageId: string): Promise<void> {
    await this.m.outbox.retry(convId, messageId);
  }

  async remove(convId: string, messageId: string): Promise<void> {
    const msg = this.m.store.get().timelines[convId]?.messages.find((x) => x.id === messageId);
    if (msg && msg.local !== 'stored') {
      // Never stored on the server: it only leaves this device (uploads cancelled, outbox emptied).
      this.m.attachments.cancelMessage(messageId);
      this.m.forgetAttachments(convId, messageId);
      await this.m.outbox.discard(convId, messageId);
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
    this.m.typing.typing(convId);
  }

  private added(conversation: Conversation): void {
    this.m.store.dispatch({ type: 'conversation/upserted', conversation });
  }

  /** Looks the name up, pins the keys on first use, opens (or creates) the direct chat. */
  async startDirect(username: string): Promise<void> {
    const { user } = await this.m.contacts.findByName(username);
    const conv = await createConversation([user.id]);
    this.added(conv);
    void this.m.loadPresence();
    // Not awaited: the dialog closes as soon as the chat exists, while its history loads. A
    // dialog left open over the chat until then swallowed what the user typed meanwhile.
    void this.m.open(conv.id);
  }

  async createGroup(title: string, usernames: string[]): Promise<void> {
    const users = await Promise.all(usernames.map((u) => this.m.contacts.findByName(u)));
    const conv = await createConversation(users.map((u) => u.user.id), title.trim() || undefined);
    this.added(conv);
    void this.m.open(conv.id); // not awaited, as in startDirect
  }

  async addToGroup(convId: string, username: string): Promise<void> {
    const { user } = await this.m.contacts.findByName(username);
    this.added(await addMember(convId, user.id));
  }

  async leave(convId: string): Promise<void> {
    const conv = this.m.store.get().conversations.byId[convId];
    await removeMember(convId, this.m.me.id);
    await this.m.open(null);
    this.m.store.dispatch({ type: 'conversation/removed', conversationId: convId });
    this.m.drafts.clear(convId);
    this.m.notify('info', `You left “${conv ? conversationTitle(conv, this.m.me.id) : 'the group'}”.`);
  }

  acceptKeyChange(userId: string): void {
    this.m.contacts.acceptKeyChange(userId);
    void this.m.reverify(userId);
  }

  setVerified(userId: string, verified: boolean): void {
    this.m.contacts.setVerified(userId, verified);
  }
}
