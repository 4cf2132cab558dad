//! Public API of the messages feature.
export { deleteMessage } from './api/delete-message';
export { listMessages, type HistoryQuery } from './api/list-messages';
export { postReceipt } from './api/post-receipt';
export { postTyping } from './api/post-typing';
export { sendMessage } from './api/send-message';
export { ChatView } from './components/ChatView';
export type { MessageBody, MessageItem } from './components/MessageBubble';
export type { Delivery } from './components/Ticks';
export { checkLength, MAX_MESSAGE_CHARS, messageLength, type LengthCheck } from './model/length';
