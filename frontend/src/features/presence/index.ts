//! Public API of the presence feature.
export { getPresence } from './api/get-presence';
