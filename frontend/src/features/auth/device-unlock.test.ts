import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { aad, aesWrap, generateAccountKeys, importAesKey, toBase64, type WireKeys } from '@/lib/crypto';
import { idbGet, idbKeys, idbSet } from '@/lib/storage/idb';
import {
  forgetDeviceUnlock, hasDeviceUnlock, keepDeviceUnlocked, loadDeviceUnlock, openDeviceSeal, sealForDevice, touchDeviceUnlock,
} from './device-unlock';
import { resumeOnDevice, type DeviceRecord } from './flows';

const MIN = 60_000;

function grantResponse(status: number) {
  return vi.fn(async () => new Response(status === 200 ? JSON.stringify({ access_token: 'tok', expires_in: 900 }) : '{}', { status, headers: { 'Content-Type': 'application/json' } }));
}

describe('the device seal', () => {
  it('wraps the user key under a non-extractable key, bound to the username', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const seal = await sealForDevice(raw, 'ann');
    expect(seal.key.extractable).toBe(false);
    await expect(crypto.subtle.exportKey('raw', seal.key)).rejects.toThrow();
    expect(seal.wrapped.length).toBe(12 + 32 + 16);
    expect(Buffer.from(seal.wrapped).includes(Buffer.from(raw))).toBe(false);
    expect(await openDeviceSeal(seal)).toEqual(raw);
    await expect(openDeviceSeal({ ...seal, username: 'ben' })).rejects.toThrow();
    const other = await sealForDevice(raw, 'ann');
    await expect(openDeviceSeal({ ...seal, key: other.key })).rejects.toThrow();
  });
});

describe('the device-unlock record', () => {
  const id = 'u-record';
  afterEach(() => forgetDeviceUnlock(id));

  it('is stored, read back usable, touched and forgotten with its activity time', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    await keepDeviceUnlocked(id, await sealForDevice(raw, 'ann'), 1000);
    expect(await hasDeviceUnlock(id)).toBe(true);
    const r = await loadDeviceUnlock(id);
    expect(r?.lastActive).toBe(1000);
    expect(r?.seal.key.extractable).toBe(false);
    expect(await openDeviceSeal(r!.seal)).toEqual(raw);
    await touchDeviceUnlock(id, 5000);
    expect((await loadDeviceUnlock(id))?.lastActive).toBe(5000);
    expect(await idbKeys(`device-unlock:${id}`)).toEqual([`device-unlock:${id}`, `device-unlock:${id}:active`]);
    await forgetDeviceUnlock(id);
    expect(await loadDeviceUnlock(id)).toBeNull();
    expect(await idbKeys(`device-unlock:${id}`)).toEqual([]);
  });

  it('a malformed record is deleted', async () => {
    await idbSet(`device-unlock:${id}`, { v: 1, wrapped: 'plain text?' });
    expect(await loadDeviceUnlock(id)).toBeNull();
    expect(await idbGet(`device-unlock:${id}`)).toBeUndefined();
  });
});

describe('resumeOnDevice', () => {
  let wire: WireKeys;
  let userKeyRaw: Uint8Array;
  const device = (id: string, username = 'ann'): DeviceRecord => ({ user: { id, username }, kdf: { name: 'pbkdf2-sha256', iterations: 600_000 }, salt: '', keys: wire });

  beforeAll(async () => {
    const gen = await generateAccountKeys('ann');
    userKeyRaw = gen.userKeyRaw;
    const wrapped = await aesWrap(await importAesKey(crypto.getRandomValues(new Uint8Array(32))), userKeyRaw, aad.userKey('ann'));
    wire = { ...gen.wire, wrapped_user_key: toBase64(wrapped) };
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  const store = async (id: string, at: number) => keepDeviceUnlocked(id, await sealForDevice(userKeyRaw.slice(), 'ann'), at);

  it('without a record: the password is needed', async () => {
    const fetch = grantResponse(200);
    vi.stubGlobal('fetch', fetch);
    expect(await resumeOnDevice(device('u-none'), 30 * MIN, 0)).toEqual({ ok: false, why: 'none' });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('opens the keys and resumes the cookie session, noting the activity', async () => {
    vi.stubGlobal('fetch', grantResponse(200));
    await store('u-ok', 1000);
    const r = await resumeOnDevice(device('u-ok'), 30 * MIN, 1000 + 29 * MIN);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.session.grant.access_token).toBe('tok');
    expect(r.session.keys.encPrivate.extractable).toBe(false);
    expect(r.session.user).toEqual({ id: 'u-ok', username: 'ann' });
    expect((await loadDeviceUnlock('u-ok'))?.lastActive).toBe(1000 + 29 * MIN);
    await forgetDeviceUnlock('u-ok');
  });

  it('after the idle time (even with the browser closed) the record is deleted', async () => {
    vi.stubGlobal('fetch', grantResponse(200));
    await store('u-idle', 1000);
    expect(await resumeOnDevice(device('u-idle'), 30 * MIN, 1000 + 30 * MIN)).toEqual({ ok: false, why: 'idle' });
    expect(await hasDeviceUnlock('u-idle')).toBe(false);
    await store('u-never', 1000);
    expect((await resumeOnDevice(device('u-never'), null, 1000 + 1e10)).ok).toBe(true);
    await forgetDeviceUnlock('u-never');
  });

  it('a session that ended (signed out elsewhere, password changed elsewhere) deletes the record', async () => {
    vi.stubGlobal('fetch', grantResponse(401));
    await store('u-ended', 1000);
    expect(await resumeOnDevice(device('u-ended'), 30 * MIN, 2000)).toEqual({ ok: false, why: 'session-ended' });
    expect(await hasDeviceUnlock('u-ended')).toBe(false);
  });

  it('offline keeps the record for the next try', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))));
    await store('u-offline', 1000);
    expect(await resumeOnDevice(device('u-offline'), 30 * MIN, 2000)).toEqual({ ok: false, why: 'offline' });
    expect(await hasDeviceUnlock('u-offline')).toBe(true);
    await forgetDeviceUnlock('u-offline');
  });

  it('a record that does not open (another user, another key) is deleted', async () => {
    vi.stubGlobal('fetch', grantResponse(200));
    await store('u-other', 1000);
    expect(await resumeOnDevice(device('u-other', 'ben'), 30 * MIN, 2000)).toEqual({ ok: false, why: 'invalid' });
    expect(await hasDeviceUnlock('u-other')).toBe(false);
    const seal = await sealForDevice(userKeyRaw.slice(), 'ann');
    const stranger = await sealForDevice(userKeyRaw.slice(), 'ann');
    await keepDeviceUnlocked('u-swapped', { ...seal, key: stranger.key }, 1000);
    expect(await resumeOnDevice(device('u-swapped'), 30 * MIN, 2000)).toEqual({ ok: false, why: 'invalid' });
    expect(await hasDeviceUnlock('u-swapped')).toBe(false);
  });
});
