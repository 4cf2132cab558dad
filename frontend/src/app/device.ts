//! The device record: username, id, KDF parameters and the *wrapped* keys, so a reload can
//! unlock with the password alone. Nothing here is readable without the password.
import type { DeviceRecord } from '@/features/auth';

const KEY = 'courier:device';

export function loadDevice(): DeviceRecord | null {
  try {
    const raw = localStorage.getItem(KEY);
    const d = raw ? (JSON.parse(raw) as DeviceRecord) : null;
    return d?.user?.id && d.keys?.wrapped_user_key ? d : null;
  } catch {
    return null;
  }
}

export function saveDevice(d: DeviceRecord): void {
  localStorage.setItem(KEY, JSON.stringify(d));
}

export function clearDevice(): void {
  localStorage.removeItem(KEY);
}
