//! Password change, recovery and account deletion: only the user key is re-wrapped, so the
//! history stays readable; the server sees auth keys, never passwords or the user key.

import {
  aad, aesWrap, derivePasswordKeys, deriveRecoveryKeys, fromBase64, importAesKey,
  newSalt, parseRecoveryKey, toBase64, unwrapUserKey, type KdfParams,
} from '@/lib/crypto';
import { ApiError } from '@/lib/api/errors';
import { DEFAULT_ITERATIONS, KDF_NAME } from '@/lib/protocol/constants';
import { normalizeUsername } from '@/lib/protocol/username';
import { changePassword } from './api/change-password';
import { deleteAccount } from './api/delete-account';
import { recoverFinish, recoverStart } from './api/recover';

export interface PasswordContext {
  username: string;
  kdf: KdfParams;
  salt: string;
  wrappedUserKey: string;
}

export class AccountError extends Error {}

function refusedAs(message: string) {
  return (e: unknown): never => {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) throw new AccountError(message);
    throw e;
  };
}

/** Returns the new kdf, salt and wrapped user key to remember on this device. */
export async function changeAccountPassword(ctx: PasswordContext, current: string, next: string) {
  const old = await derivePasswordKeys(current, fromBase64(ctx.salt), ctx.kdf);
  let userKey: Uint8Array;
  try {
    userKey = await unwrapUserKey(old.stretchKey, ctx.wrappedUserKey, ctx.username);
  } catch {
    throw new AccountError('The current password is wrong.');
  }
  const kdf = { name: KDF_NAME, iterations: DEFAULT_ITERATIONS };
  const salt = newSalt();
  const fresh = await derivePasswordKeys(next, salt, kdf);
  const wrapped = toBase64(await aesWrap(await importAesKey(fresh.stretchKey), userKey, aad.userKey(ctx.username)));
  userKey.fill(0);
  await changePassword({
    auth_key: toBase64(old.authKey),
    new_auth_key: toBase64(fresh.authKey),
    kdf,
    salt: toBase64(salt),
    wrapped_user_key: wrapped,
  }).catch(refusedAs('The current password is wrong.'));
  return { kdf, salt: toBase64(salt), wrappedUserKey: wrapped };
}

/** Sets a new password with the recovery key; the caller then signs in normally. */
export async function recoverAccount(usernameInput: string, recoveryKeyText: string, newPassword: string): Promise<void> {
  const username = normalizeUsername(usernameInput);
  const rk = await deriveRecoveryKeys(parseRecoveryKey(recoveryKeyText));
  const recoveryAuth = toBase64(rk.authKey);
  const step1 = await recoverStart(username, recoveryAuth).catch(refusedAs('That username and recovery key do not match.'));
  const userKey = await unwrapUserKey(rk.wrapKey, step1.wrapped_user_key, username, true);
  const kdf = { name: KDF_NAME, iterations: DEFAULT_ITERATIONS };
  const salt = newSalt();
  const fresh = await derivePasswordKeys(newPassword, salt, kdf);
  const wrapped = toBase64(await aesWrap(await importAesKey(fresh.stretchKey), userKey, aad.userKey(username)));
  userKey.fill(0);
  await recoverFinish({
    username,
    recovery_auth_key: recoveryAuth,
    new_auth_key: toBase64(fresh.authKey),
    kdf,
    salt: toBase64(salt),
    wrapped_user_key: wrapped,
  }).catch(refusedAs('That username and recovery key do not match.'));
}

export async function deleteOwnAccount(ctx: PasswordContext, password: string): Promise<void> {
  const keys = await derivePasswordKeys(password, fromBase64(ctx.salt), ctx.kdf);
  try {
    await unwrapUserKey(keys.stretchKey, ctx.wrappedUserKey, ctx.username);
  } catch {
    throw new AccountError('Wrong password.');
  }
  await deleteAccount(toBase64(keys.authKey)).catch(refusedAs('Wrong password.'));
}
