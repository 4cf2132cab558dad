//! The one error type of the HTTP layer. `status` 0 means the network failed (offline, DNS,
//! TLS, aborted): callers show "network" problems differently from server refusals.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds the server asked us to wait (`Retry-After` on 429/503), when it said. */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

export function describeError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.isNetwork) return 'Cannot reach the server. Check your connection and try again.';
    if (e.status === 429) {
      return e.retryAfter ? `Too many attempts — try again in ${e.retryAfter} s.` : 'Too many attempts. Wait a moment and try again.';
    }
    if (e.status >= 500) return 'The server had a problem. Try again in a moment.';
    return e.message || `Request failed (${e.status}).`;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}

/** `Retry-After` in whole seconds (the server sends seconds, never an HTTP date), or null. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value || !/^\d{1,6}$/.test(value.trim())) return null;
  const seconds = Number(value.trim());
  return seconds > 0 ? seconds : null;
}
