//! Public API of the users feature.
export { getUser } from './api/get-user';
export { lookupUser } from './api/lookup-user';
export { KeyChangeBanner, type KeyProblem } from './components/KeyChangeBanner';
export { SafetyNumberDialog } from './components/SafetyNumberDialog';
