//! Public API of the account feature.
export { RecoverForm } from './components/RecoverForm';
export { SettingsDialog } from './components/SettingsDialog';
