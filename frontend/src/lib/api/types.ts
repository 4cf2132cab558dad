//! Named aliases of the wire types generated from the served OpenAPI document
//! (`docs/openapi.json` → `schema.gen.ts` by `npm run gen:api`; `npm run check:api` keeps them
//! equal). No wire type is written by hand here: change the server, regenerate, follow the types.
//! Event payloads and history items are not in the OpenAPI document: `lib/events/decode.ts`
//! parses those at the boundary.
import type { components } from './schema.gen';

type Schemas = components['schemas'];

/** `{id, username}`: the user in login answers and in member lists. */
export type UserRef = Schemas['UserRef'];
export type Conversation = Schemas['ConversationView'];
export type ConversationList = Schemas['ConversationList'];
export type CreateConversation = Schemas['CreateConversation'];
export type Kdf = Schemas['Kdf'];
export type PreloginResponse = Schemas['PreloginResponse'];
export type LoginResponse = Schemas['LoginResponse'];
export type TokenPair = Schemas['TokenPair'];
/** The `keys` object of a login answer (all wrapped or public). */
export type WireKeys = Schemas['KeyBundle'];
export type RegisterRequest = Schemas['RegisterRequest'];
export type RegisterResponse = Schemas['RegisterResponse'];
export type ChangePasswordRequest = Schemas['ChangePasswordRequest'];
export type RecoverRequest = Schemas['RecoverRequest'];
export type RecoverChallenge = Schemas['RecoverChallenge'];
export type DeleteAccountRequest = Schemas['DeleteAccountRequest'];
export type PublicUser = Schemas['PublicUser'];
export type EnvelopeBody = Schemas['EnvelopeBody'];
export type PostMessage = Schemas['PostMessage'];
export type PostedMessage = Schemas['PostedMessage'];
export type History = Schemas['History'];
export type ReceiptRequest = Schemas['ReceiptRequest'];
export type PresenceList = Schemas['PresenceList'];
export type SessionList = Schemas['SessionList'];
export type SessionView = Schemas['SessionView'];
export type ErrorBody = Schemas['ErrorBody'];
export type LoginRequest = Schemas['LoginRequest'];
export type PreloginRequest = Schemas['PreloginRequest'];
export type AddMember = Schemas['AddMember'];
