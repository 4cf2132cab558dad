//! The browser's IndexedDB as one small key-value store (database `courier`, store `kv`): the
//! outbox, the history cache and the device unlock record live here, under keys that start with
//! their purpose and the user id. Values are anything structured-cloneable, so a non-extractable
//! `CryptoKey` can be kept without ever being exported. Everything secret stored here is sealed
//! first (see sealed.ts); the only exception is the device key itself, which cannot be read out.

const DB_NAME = 'courier';
const STORE = 'kv';

let opening: Promise<IDBDatabase> | null = null;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function db(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE);
    };
    r.onsuccess = () => {
      const d = r.result;
      // Another tab deleting or upgrading the database: let it, and reopen on the next call.
      d.onversionchange = () => {
        d.close();
        opening = null;
      };
      resolve(d);
    };
    r.onerror = () => reject(r.error ?? new Error('IndexedDB unavailable'));
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  }).catch((e: unknown) => {
    opening = null;
    throw e;
  });
  return opening;
}

async function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const tx = (await db()).transaction(STORE, mode);
  const result = request(fn(tx.objectStore(STORE)));
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
  return result;
}

export async function idbGet<T>(key: string): Promise<T | undefined> {
  return (await run('readonly', (s) => s.get(key))) as T | undefined;
}

/** Resolves once the value is durably committed (the transaction completed). */
export async function idbSet(key: string, value: unknown): Promise<void> {
  await run('readwrite', (s) => s.put(value, key));
}

export async function idbDelete(key: string): Promise<void> {
  await run('readwrite', (s) => s.delete(key));
}

/** Every key starting with `prefix`, in key order. */
export async function idbKeys(prefix: string): Promise<string[]> {
  const range = IDBKeyRange.bound(prefix, prefix + '\uffff');
  return (await run('readonly', (s) => s.getAllKeys(range))).map(String);
}

/** Every entry whose key starts with `prefix`, in key order. */
export async function idbEntries<T>(prefix: string): Promise<[string, T][]> {
  const keys = await idbKeys(prefix);
  const range = IDBKeyRange.bound(prefix, prefix + '\uffff');
  const values = (await run('readonly', (s) => s.getAll(range))) as T[];
  return keys.map((k, i) => [k, values[i]]);
}

/** Removes every entry whose key starts with `prefix` (sign-out, account deletion). */
export async function idbDeletePrefix(prefix: string): Promise<void> {
  await run('readwrite', (s) => s.delete(IDBKeyRange.bound(prefix, prefix + '\uffff')));
}
