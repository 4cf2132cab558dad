import { useCallback, useEffect, useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { Spinner } from '@/components/ui/Spinner';
import { describeError } from '@/lib/api/errors';
import type { SessionView } from '@/lib/api/types';
import { listSessions } from '../api/list-sessions';
import { revokeSession } from '../api/revoke-session';

function device(ua: string | null | undefined): string {
  if (!ua) return 'Unknown device';
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : /courier/i.test(ua) ? 'Courier CLI' : ua.split(/[ /]/)[0];
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

const when = (iso: string) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');

export function SessionsList() {
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSessions(await listSessions());
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  async function revoke(id: string) {
    setBusyId(id);
    try {
      await revokeSession(id);
      await load();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusyId(null);
    }
  }

  if (error) return <Alert>{error}</Alert>;
  if (!sessions) return <Spinner label="Loading sessions" className="mx-auto h-6 w-6 text-indigo-600" />;
  return (
    <ul className="divide-y divide-slate-100 rounded-xl ring-1 ring-slate-200" aria-label="Signed-in sessions">
      {sessions.map((s) => (
        <li key={s.id} className="flex items-center gap-3 px-4 py-3">
          <div className="min-w-0 flex-1">
            <p className="flex items-center gap-2 text-sm font-medium text-slate-900">
              {device(s.user_agent)}
              {s.current && <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-700">This device</span>}
            </p>
            <p className="text-xs text-slate-500">
              Signed in {when(s.created_at)} · last active {when(s.last_used_at)}
            </p>
          </div>
          {!s.current && (
            <Button size="sm" variant="secondary" busy={busyId === s.id} onClick={() => revoke(s.id)} aria-label={`Revoke session ${device(s.user_agent)} signed in ${when(s.created_at)}`}>
              Revoke
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}
