//! Public API of the auth feature.
export { logout } from './api/logout';
export { resumeOnDevice, type DeviceRecord, type Registration, type Resume, type ResumeRefusal, type UnlockedSession } from './flows';
export {
  clearLockSettings, forgetDeviceUnlock, hasDeviceUnlock, keepDeviceUnlocked, loadLockSettings, saveLockSettings, touchDeviceUnlock, type DeviceSeal,
} from './device-unlock';
export {
  DEFAULT_IDLE_MINUTES, IDLE_CHOICES, idleLimitMs, isIdleExpired, lockDeadline, onLocalActivity, onRemoteActivity, type ActivityState, type LockSettings,
} from './idle-policy';
export { LoginForm } from './components/LoginForm';
export { RecoveryKeyNotice } from './components/RecoveryKeyNotice';
export { RegisterForm } from './components/RegisterForm';
export { UnlockForm } from './components/UnlockForm';
