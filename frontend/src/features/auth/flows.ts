//! Registration, sign-in and unlock: the account crypto of docs/protocol.md §2 glued to the auth API.
//! The password never leaves this module; the server only ever sees the derived auth key.

import {
  aad, aesWrap, checkKdfParams, derivePasswordKeys, deriveRecoveryKeys, formatRecoveryKey,
  fromBase64, generateAccountKeys, importAesKey, newRecoveryKey, newSalt, toBase64, unlockAccountKeys,
  unwrapUserKey, UnlockError, type AccountKeys, type KdfParams, type WireKeys,
} from '@/lib/crypto';
import { ApiError } from '@/lib/api/errors';
import { DEFAULT_ITERATIONS, KDF_NAME } from '@/lib/protocol/constants';
import { isValidUsername, normalizeUsername } from '@/lib/protocol/username';
import { refreshWithCookie, type TokenGrant } from '@/lib/api/tokens';
import type { LoginResponse, UserRef } from '@/lib/api/types';
import { login } from './api/login';
import { prelogin } from './api/prelogin';
import { register } from './api/register';
import { forgetDeviceUnlock, loadDeviceUnlock, openDeviceSeal, sealForDevice, touchDeviceUnlock, type DeviceSeal } from './device-unlock';
import { isIdleExpired } from './idle-policy';

export function usernameProblem(name: string): string | null {
  return isValidUsername(name) ? null : 'Use 3–32 characters: letters, digits, “_”, “.” or “-”.';
}

export function passwordProblem(password: string): string | null {
  if (password.length < 10) return 'Use at least 10 characters.';
  return null;
}

/** What this browser remembers between reloads: nothing secret without the password. */
export interface DeviceRecord {
  user: UserRef;
  kdf: KdfParams;
  salt: string;
  keys: WireKeys;
}

export interface UnlockedSession {
  user: UserRef;
  keys: AccountKeys;
  device: DeviceRecord;
  grant: TokenGrant;
  /** The user key sealed for this browser (memory only until "keep this device unlocked" stores it). */
  deviceSeal: DeviceSeal;
}

export class SignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInError';
  }
}

function wrongCredentials(e: unknown): never {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) {
    throw new SignInError('Wrong username or password.');
  }
  throw e;
}

/** The last moment the raw user key exists: imported non-extractable, sealed for this device, zeroed. */
async function takeUserKey(userKeyRaw: Uint8Array, wire: WireKeys, username: string): Promise<{ keys: AccountKeys; deviceSeal: DeviceSeal }> {
  try {
    const keys = await unlockAccountKeys(userKeyRaw, wire, username);
    return { keys, deviceSeal: await sealForDevice(userKeyRaw, username) };
  } finally {
    userKeyRaw.fill(0);
  }
}

async function finishLogin(res: LoginResponse, userKeyRaw: Uint8Array, device: Omit<DeviceRecord, 'keys' | 'user'>): Promise<UnlockedSession> {
  const { keys, deviceSeal } = await takeUserKey(userKeyRaw, res.keys, res.user.username);
  return {
    user: res.user,
    keys,
    device: { ...device, user: res.user, keys: res.keys },
    grant: { access_token: res.access_token, expires_in: res.expires_in },
    deviceSeal,
  };
}

export async function signIn(usernameInput: string, password: string): Promise<UnlockedSession> {
  const username = normalizeUsername(usernameInput);
  const pre = await prelogin(username);
  checkKdfParams(pre.kdf);
  const { authKey, stretchKey } = await derivePasswordKeys(password, fromBase64(pre.salt), pre.kdf);
  const res = await login(username, toBase64(authKey)).catch(wrongCredentials);
  let userKey: Uint8Array;
  try {
    userKey = await unwrapUserKey(stretchKey, res.keys.wrapped_user_key, res.user.username);
  } catch (e) {
    if (e instanceof UnlockError) throw new SignInError('Your password was accepted but your keys could not be unlocked.');
    throw e;
  } finally {
    stretchKey.fill(0);
  }
  return finishLogin(res, userKey, { kdf: pre.kdf, salt: pre.salt });
}

/**
 * After a reload: the private keys are gone (memory only), so the password is asked again.
 * With the remembered wrapped keys we unlock locally and resume the cookie session; if that
 * session is over, we sign in again with the key we already derived.
 */
export async function unlock(device: DeviceRecord, password: string): Promise<UnlockedSession> {
  const { authKey, stretchKey } = await derivePasswordKeys(password, fromBase64(device.salt), device.kdf);
  let userKey: Uint8Array;
  try {
    userKey = await unwrapUserKey(stretchKey, device.keys.wrapped_user_key, device.user.username);
  } catch {
    // Maybe the password was changed on another device: the server knows the new wrapping.
    return signIn(device.user.username, password);
  } finally {
    stretchKey.fill(0);
  }
  let grant: TokenGrant | null;
  try {
    grant = await refreshWithCookie();
  } catch (e) {
    userKey.fill(0);
    throw e;
  }
  if (!grant) {
    const res = await login(device.user.username, toBase64(authKey)).catch((e: unknown) => {
      userKey.fill(0);
      return wrongCredentials(e);
    });
    return finishLogin(res, userKey, device);
  }
  const { keys, deviceSeal } = await takeUserKey(userKey, device.keys, device.user.username);
  return { user: device.user, keys, device, grant, deviceSeal };
}

/** Why a resume from the device-unlock record did not open the session. */
export type ResumeRefusal = 'none' | 'idle' | 'invalid' | 'session-ended' | 'offline';

export type Resume = { ok: true; session: UnlockedSession } | { ok: false; why: ResumeRefusal };

/**
 * Opens without the password when this browser keeps the device unlocked: the stored seal gives
 * the user key, which unlocks the remembered wrapped keys, and the cookie session resumes. The
 * record is deleted when the idle time has passed (also while the browser was closed), when it
 * does not open (altered, another key), and when the session has ended (signed out elsewhere,
 * revoked, or the password was changed on another device, which ends every other session).
 * Offline, the record is kept and the caller shows the normal unlock.
 */
export async function resumeOnDevice(device: DeviceRecord, idleLimit: number | null, now: number): Promise<Resume> {
  const userId = device.user.id;
  const record = await loadDeviceUnlock(userId).catch(() => null);
  if (!record) return { ok: false, why: 'none' };
  if (isIdleExpired(record.lastActive, now, idleLimit)) {
    await forgetDeviceUnlock(userId);
    return { ok: false, why: 'idle' };
  }
  let keys: AccountKeys;
  try {
    if (record.seal.username !== device.user.username) throw new UnlockError('record of another user');
    const raw = await openDeviceSeal(record.seal);
    keys = (await takeUserKey(raw, device.keys, device.user.username)).keys;
  } catch {
    await forgetDeviceUnlock(userId);
    return { ok: false, why: 'invalid' };
  }
  let grant: TokenGrant | null;
  try {
    grant = await refreshWithCookie();
  } catch {
    return { ok: false, why: 'offline' };
  }
  if (!grant) {
    await forgetDeviceUnlock(userId);
    return { ok: false, why: 'session-ended' };
  }
  await touchDeviceUnlock(userId, now).catch(() => {});
  return { ok: true, session: { user: device.user, keys, device, grant, deviceSeal: record.seal } };
}

export interface Registration {
  session: UnlockedSession;
  /** Shown once; never stored. */
  recoveryKey: string;
}

export async function registerAccount(usernameInput: string, password: string, onStep?: (step: string) => void): Promise<Registration> {
  const username = normalizeUsername(usernameInput);
  const kdf = { name: KDF_NAME, iterations: DEFAULT_ITERATIONS };
  const salt = newSalt();
  onStep?.('Deriving keys from your password…');
  const { authKey, stretchKey } = await derivePasswordKeys(password, salt, kdf);
  onStep?.('Generating your encryption keys…');
  const gen = await generateAccountKeys(username);
  const wrappedUserKey = await aesWrap(await importAesKey(stretchKey), gen.userKeyRaw, aad.userKey(username));
  stretchKey.fill(0);
  const recoveryRaw = newRecoveryKey();
  const rk = await deriveRecoveryKeys(recoveryRaw);
  const recoveryWrapped = await aesWrap(await importAesKey(rk.wrapKey), gen.userKeyRaw, aad.userKeyRecovery(username));
  const keys: WireKeys = { ...gen.wire, wrapped_user_key: toBase64(wrappedUserKey) };
  onStep?.('Creating your account…');
  try {
    await register({
      username,
      auth_key: toBase64(authKey),
      kdf,
      salt: toBase64(salt),
      keys,
      recovery: { auth_key: toBase64(rk.authKey), wrapped_user_key: toBase64(recoveryWrapped) },
    });
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) throw new SignInError('That username is taken.');
    throw e;
  }
  onStep?.('Signing in…');
  const res = await login(username, toBase64(authKey));
  const session = await finishLogin(res, gen.userKeyRaw, { kdf, salt: toBase64(salt) });
  gen.encPrivatePkcs8.fill(0);
  gen.sigPrivatePkcs8.fill(0);
  return { session, recoveryKey: formatRecoveryKey(recoveryRaw) };
}
