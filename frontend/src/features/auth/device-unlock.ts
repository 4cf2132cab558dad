//! "Keep this device unlocked": the user key, wrapped (AES-256-GCM, AAD
//! `courier/local/device-unlock|<username>`) under a device key that WebCrypto generated
//! NON-extractable, both kept in IndexedDB under `device-unlock:<userId>`. A reload or a new tab
//! unwraps the user key with the device key and opens without the password.
//!
//! The trade-off (README, security): whoever can use this browser profile can open the app while the
//! record exists. Non-extractable means the key's bytes cannot be read out, even by a script injected
//! into the page; such a script could still *use* it while the page runs. Locking (idle or "Lock
//! now"), turning the option off, signing out and a session that ended all delete the record; without
//! the option nothing is stored.
//!
//! The seal is made at every sign-in, unlock and registration, while the raw user key is in hand
//! (after that the user key exists only as a non-extractable CryptoKey), and kept in memory with the
//! session, so the option can be turned on later from Settings without asking for the password.
//! Beside the record: the last activity (`device-unlock:<userId>:active`, a time, nothing secret),
//! so a browser reopened after the idle time stays locked; and in localStorage the person's choices.

import { aad, aesUnwrap, aesWrap } from '@/lib/crypto';
import { idbDeletePrefix, idbGet, idbSet } from '@/lib/storage/idb';
import { parseLockSettings, type LockSettings } from './idle-policy';

/** The user key sealed for this browser: only usable with the device key, which cannot be exported. */
export interface DeviceSeal {
  key: CryptoKey;
  /** iv ‖ ciphertext ‖ tag of the 32-byte user key. */
  wrapped: Uint8Array;
  username: string;
}

interface StoredRecord extends DeviceSeal {
  v: 1;
  savedAt: number;
}

export interface DeviceUnlockRecord {
  seal: DeviceSeal;
  /** The latest activity known on this device (at least the time the record was saved). */
  lastActive: number;
}

const recordKey = (userId: string) => `device-unlock:${userId}`;
const activeKey = (userId: string) => `device-unlock:${userId}:active`;
const settingsKey = (userId: string) => `courier:lock:${userId}`;

/** Wraps the raw user key under a fresh non-extractable device key. The caller zeroes `userKeyRaw`. */
export async function sealForDevice(userKeyRaw: Uint8Array, username: string): Promise<DeviceSeal> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const wrapped = await aesWrap(key, userKeyRaw, aad.deviceUnlock(username));
  return { key, wrapped, username };
}

/** The raw user key (the caller zeroes it after use); throws if the seal does not open. */
export async function openDeviceSeal(seal: DeviceSeal): Promise<Uint8Array> {
  return aesUnwrap(seal.key, seal.wrapped, aad.deviceUnlock(seal.username));
}

/** Stores the seal so this browser opens unlocked; `now` counts as activity. */
export async function keepDeviceUnlocked(userId: string, seal: DeviceSeal, now: number): Promise<void> {
  const record: StoredRecord = { v: 1, key: seal.key, wrapped: seal.wrapped, username: seal.username, savedAt: now };
  await idbSet(recordKey(userId), record);
  await idbSet(activeKey(userId), now);
}

function isRecord(v: unknown): v is StoredRecord {
  const r = v as StoredRecord | undefined;
  return !!r && r.v === 1 && r.key instanceof CryptoKey && r.wrapped instanceof Uint8Array && typeof r.username === 'string' && typeof r.savedAt === 'number';
}

/** The stored record, or null (none, or unreadable: then it is deleted). */
export async function loadDeviceUnlock(userId: string): Promise<DeviceUnlockRecord | null> {
  const r = await idbGet<unknown>(recordKey(userId));
  if (r === undefined) return null;
  if (!isRecord(r)) {
    await forgetDeviceUnlock(userId);
    return null;
  }
  const active = await idbGet<unknown>(activeKey(userId));
  const lastActive = Math.max(r.savedAt, typeof active === 'number' ? active : 0);
  return { seal: { key: r.key, wrapped: r.wrapped, username: r.username }, lastActive };
}

export async function hasDeviceUnlock(userId: string): Promise<boolean> {
  return (await idbGet(recordKey(userId))) !== undefined;
}

/** Notes activity beside the record (a lone time if the record is gone: harmless, never read alone). */
export async function touchDeviceUnlock(userId: string, at: number): Promise<void> {
  await idbSet(activeKey(userId), at);
}

/** Deletes the record and its activity time: the next open asks for the password. */
export async function forgetDeviceUnlock(userId: string): Promise<void> {
  await idbDeletePrefix(recordKey(userId));
}

export function loadLockSettings(userId: string): LockSettings {
  try {
    return parseLockSettings(localStorage.getItem(settingsKey(userId)));
  } catch {
    return parseLockSettings(null);
  }
}

export function saveLockSettings(userId: string, s: LockSettings): void {
  localStorage.setItem(settingsKey(userId), JSON.stringify(s));
}

export function clearLockSettings(userId: string): void {
  localStorage.removeItem(settingsKey(userId));
}
