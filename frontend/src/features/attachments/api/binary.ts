//! Binary requests to the attachment endpoints (docs/protocol.md §8.4): raw ciphertext bodies,
//! the `Upload-*` headers, upload progress (XMLHttpRequest reports it; fetch does not), abort.
//! Like the JSON client (lib/api/client.ts): the token in the `Authorization` header only, one
//! refresh-and-retry after a 401, `{code, message}` errors as ApiError (status 0 = network).

import { getAuthProvider } from '@/lib/api/client';
import { ApiError, parseRetryAfter } from '@/lib/api/errors';

export interface BinaryRequest {
  method: 'POST' | 'PATCH' | 'HEAD' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  signal?: AbortSignal;
  /** Body bytes sent so far (uploads). */
  onUploadProgress?: (loaded: number) => void;
}

export interface BinaryResponse {
  status: number;
  header(name: string): string | null;
  /** The parsed JSON body (null when there is none or it is not JSON). */
  json: unknown;
}

/** Thrown for 4xx/5xx; `offset` carries `Upload-Offset` of a 409. */
export class UploadApiError extends ApiError {
  constructor(status: number, code: string, message: string, retryAfter: number | null, readonly offset: number | null) {
    super(status, code, message, retryAfter);
    this.name = 'UploadApiError';
  }
}

function abortError(): DOMException {
  return new DOMException('The request was cancelled.', 'AbortError');
}

function once(req: BinaryRequest, token: string): Promise<BinaryResponse> {
  return new Promise((resolve, reject) => {
    if (req.signal?.aborted) return reject(abortError());
    const xhr = new XMLHttpRequest();
    xhr.open(req.method, req.path);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    for (const [k, v] of Object.entries(req.headers ?? {})) xhr.setRequestHeader(k, v);
    xhr.responseType = 'text';
    const onAbort = () => xhr.abort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => req.signal?.removeEventListener('abort', onAbort);
    if (req.onUploadProgress) {
      const report = req.onUploadProgress;
      xhr.upload.onprogress = (e) => report(e.loaded);
    }
    xhr.onload = () => {
      done();
      let json: unknown;
      try {
        json = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        json = null;
      }
      resolve({ status: xhr.status, header: (n) => xhr.getResponseHeader(n), json });
    };
    xhr.onerror = () => {
      done();
      reject(new ApiError(0, 'network', 'Cannot reach the server.'));
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      done();
      reject(abortError());
    };
    xhr.send(req.body ? (req.body as Uint8Array<ArrayBuffer>) : null);
  });
}

/** Makes the request; a 401 refreshes the token once and tries again. Non-2xx answers throw. */
export async function binaryRequest(req: BinaryRequest): Promise<BinaryResponse> {
  const auth = getAuthProvider();
  const token = await auth?.getAccessToken();
  if (!auth || !token) throw new ApiError(401, 'unauthenticated', 'You are signed out.');
  let res = await once(req, token);
  if (res.status === 401 && (await auth.recoverFrom401())) {
    const again = await auth.getAccessToken();
    if (again) res = await once(req, again);
  }
  if (res.status >= 200 && res.status < 300) return res;
  const body = (res.json ?? {}) as { code?: unknown; message?: unknown };
  const offset = res.header('Upload-Offset');
  throw new UploadApiError(
    res.status,
    typeof body.code === 'string' ? body.code : `http_${res.status}`,
    typeof body.message === 'string' ? body.message : `HTTP ${res.status}`,
    parseRetryAfter(res.header('Retry-After')),
    offset !== null && /^\d{1,16}$/.test(offset) ? Number(offset) : null,
  );
}

/** A streaming GET of a ciphertext (fetch, so the body can be read as it arrives). */
export async function fetchCiphertext(path: string, signal?: AbortSignal): Promise<Response> {
  const auth = getAuthProvider();
  const get = async (): Promise<Response> => {
    const token = await auth?.getAccessToken();
    if (!token) throw new ApiError(401, 'unauthenticated', 'You are signed out.');
    try {
      return await fetch(path, { headers: { Authorization: `Bearer ${token}` }, credentials: 'same-origin', cache: 'no-store', signal });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'network', 'Cannot reach the server.');
    }
  };
  let res = await get();
  if (res.status === 401 && auth && (await auth.recoverFrom401())) res = await get();
  if (res.ok) return res;
  let code = `http_${res.status}`;
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    code = body.code ?? code;
    message = body.message ?? message;
  } catch {
    /* not JSON */
  }
  throw new ApiError(res.status, code, message, parseRetryAfter(res.headers.get('Retry-After')));
}
