//! The one error type of the HTTP layer. `status` 0 means the network failed (offline, DNS,
//! TLS, aborted): callers show "network" problems differently from server refusals.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
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
    if (e.status === 429) return 'Too many attempts. Wait a moment and try again.';
    if (e.status >= 500) return 'The server had a problem. Try again in a moment.';
    return e.message || `Request failed (${e.status}).`;
  }
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}
