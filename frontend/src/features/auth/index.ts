//! Public API of the auth feature.
export { logout } from './api/logout';
export type { DeviceRecord, Registration, UnlockedSession } from './flows';
export { LoginForm } from './components/LoginForm';
export { RecoveryKeyNotice } from './components/RecoveryKeyNotice';
export { RegisterForm } from './components/RegisterForm';
export { UnlockForm } from './components/UnlockForm';
