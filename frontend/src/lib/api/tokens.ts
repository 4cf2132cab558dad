//! The access token lives in memory only; the refresh token is the HttpOnly cookie set at login
//! (`use_cookie: true`). We refresh ahead of expiry. Refresh tokens rotate and reuse revokes the
//! whole session, so refreshes are serialised across tabs with the Web Locks API: a second tab
//! then sends the cookie the first one just received instead of the stale one. (Where locks are
//! missing, the server's grace window answers a just-retired token with the same successor.)
//! The refresh is a same-origin JSON POST: the server refuses the cookie from any other origin
//! and any other content type.

import { ApiError } from './errors';
import type { AuthProvider } from './client';

export interface TokenGrant {
  access_token: string;
  expires_in: number;
}

export type SessionEndReason = 'revoked' | 'expired' | 'logout';

export class TokenManager implements AuthProvider {
  private token: string | null = null;
  private expiresAt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight: Promise<boolean> | null = null;
  private ended = false;
  private listeners = new Set<(token: string) => void>();

  constructor(private readonly onEnded: (reason: SessionEndReason) => void) {}

  set(grant: TokenGrant): void {
    this.token = grant.access_token;
    this.expiresAt = Date.now() + grant.expires_in * 1000;
    if (this.timer) clearTimeout(this.timer);
    // Refresh at ~75% of the lifetime, and never later than a minute before expiry.
    const lead = Math.min(grant.expires_in * 250, 60_000);
    const delay = Math.max(5_000, grant.expires_in * 1000 - lead);
    this.timer = setTimeout(() => void this.refresh(), delay);
    for (const l of this.listeners) l(grant.access_token);
  }

  onToken(listener: (token: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async getAccessToken(): Promise<string | null> {
    if (this.ended) return null;
    if (this.token && Date.now() > this.expiresAt - 15_000) await this.refresh();
    return this.token;
  }

  recoverFrom401(): Promise<boolean> {
    return this.refresh();
  }

  /** Refreshes once, however many callers ask at the same time. */
  refresh(): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    if (!this.inflight) {
      this.inflight = this.doRefresh().finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  private async doRefresh(): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      let res: Response;
      try {
        res = await fetch('/api/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: '{}',
          credentials: 'same-origin',
          cache: 'no-store',
        });
      } catch {
        // Offline: keep the session, try again soon.
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.refresh(), 10_000);
        return false;
      }
      if (res.status === 401 || res.status === 403) {
        this.end('revoked');
        return false;
      }
      if (!res.ok) return false;
      this.set((await res.json()) as TokenGrant);
      return true;
    };
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    return locks ? locks.request('courier-token-refresh', run) : run();
  }

  end(reason: SessionEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.token = null;
    if (this.timer) clearTimeout(this.timer);
    this.onEnded(reason);
  }

  /** Stops timers without reporting (sign-out initiated here). */
  dispose(): void {
    this.ended = true;
    this.token = null;
    if (this.timer) clearTimeout(this.timer);
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

/** First refresh with only the cookie (after a reload): the grant, or null if there is no session. */
export async function refreshWithCookie(): Promise<TokenGrant | null> {
  const run = async () => {
    const res = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: '{}',
      credentials: 'same-origin',
      cache: 'no-store',
    }).catch(() => {
      throw new ApiError(0, 'network', 'Cannot reach the server.');
    });
    if (res.status === 401 || res.status === 403) return null;
    if (!res.ok) throw new ApiError(res.status, 'refresh_failed', 'Could not resume the session.');
    return (await res.json()) as TokenGrant;
  };
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  return locks ? locks.request('courier-token-refresh', run) : run();
}
