//! Fetch wrapper for the Courier API (docs/api.md). JSON in and out, `{code, message}` errors
//! mapped to ApiError, the access token from the token manager in the Authorization header
//! (never in a URL), and one transparent refresh-and-retry after a 401.

import { ApiError, parseRetryAfter } from './errors';

export interface AuthProvider {
  /** A currently valid access token, refreshing first if it is about to expire. */
  getAccessToken(): Promise<string | null>;
  /** Called after a 401: true if a new token was obtained and the call may be retried. */
  recoverFrom401(): Promise<boolean>;
}

let authProvider: AuthProvider | null = null;

export function setAuthProvider(provider: AuthProvider | null): void {
  authProvider = provider;
}

export function getAuthProvider(): AuthProvider | null {
  return authProvider;
}

export interface RequestOptions {
  body?: unknown;
  /** Send the bearer token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.auth !== false) {
    const token = await authProvider?.getAccessToken();
    if (!token) throw new ApiError(401, 'unauthenticated', 'You are signed out.');
    headers.Authorization = `Bearer ${token}`;
  }
  try {
    return await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the server.');
  }
}

export async function toError(res: Response): Promise<ApiError> {
  let code = 'http_' + res.status;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { code?: string; message?: string };
    if (body.code) code = body.code;
    if (body.message) message = body.message;
  } catch {
    /* non-JSON error body */
  }
  return new ApiError(res.status, code, message, parseRetryAfter(res.headers.get('Retry-After')));
}

export async function apiRequest<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  let res = await send(method, path, opts);
  if (res.status === 401 && opts.auth !== false && authProvider && (await authProvider.recoverFrom401())) {
    res = await send(method, path, opts);
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => apiRequest<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('POST', path, { ...opts, body: body ?? {} }),
  delete: <T>(path: string, body?: unknown, opts?: RequestOptions) => apiRequest<T>('DELETE', path, { ...opts, body }),
};

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
