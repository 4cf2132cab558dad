//! Public API of the conversations feature.
export { addMember } from './api/add-member';
export { createConversation } from './api/create-conversation';
export { getConversation } from './api/get-conversation';
export { listConversations } from './api/list-conversations';
export { removeMember } from './api/remove-member';
export { ConversationList, type ConversationItem } from './components/ConversationList';
export { NewChatDialog } from './components/NewChatDialog';
export { NewGroupDialog } from './components/NewGroupDialog';
