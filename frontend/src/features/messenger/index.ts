//! Public API of the messenger feature: the model (pure reducers over conversations, messages,
//! presence, typing, receipts, contacts), its effects runner and actions, and the React hooks.
export { Messenger, type SeriesArrival, type SeriesListener } from './messenger';
export { MessengerActions } from './effects/send';
export { clearUserData } from './effects/persist';
export { notificationPermission, type Permission } from './effects/attention';
export { MessengerContext, useMessenger, useMessengerSelector, shallowEqual, type MessengerContextValue } from './hooks';
export {
  applyEvent, attachmentViews, isSeriesContent, seriesRunEnd, seriesSummary, conversationTitle, deliveryOf, unreadDivider, memberNoteText, membershipNotice, otherMembers, type ChatMessage, type SeriesBody, type ContactView, type MessengerState, type Prefs, type Timeline,
} from './model';
