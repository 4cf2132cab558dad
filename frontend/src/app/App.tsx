//! The top level: which screen (sign in, register, recovery, unlock, messenger) and the life
//! cycle of a signed-in session (token manager, messenger, lock, sign-out and revocation). What
//! locking means for the device and the other tabs is the lock controller's (lock/controller.ts).

import { useCallback, useEffect, useRef, useState } from 'react';
import { Spinner } from '@/components/ui/Spinner';
import { setAuthProvider } from '@/lib/api/client';
import { TokenManager } from '@/lib/api/tokens';
import { fingerprint } from '@/lib/crypto';
import {
  idleLimitMs, loadLockSettings, LoginForm, logout, RecoveryKeyNotice, RegisterForm, resumeOnDevice, UnlockForm,
  type DeviceRecord, type LockSettings, type Registration, type ResumeRefusal, type UnlockedSession,
} from '@/features/auth';
import { RecoverForm } from '@/features/account';
import { clearUserData, Messenger, MessengerActions, MessengerContext, type MessengerContextValue } from '@/features/messenger';
import { clearDevice, loadDevice, saveDevice } from './device';
import { DeviceSettings } from './DeviceSettings';
import { LockController, type LockEvents } from './lock/controller';
import { MessengerScreen } from './MessengerScreen';

type Screen =
  | { name: 'login'; notice?: { tone: 'error' | 'info' | 'success'; text: string } }
  | { name: 'register' }
  | { name: 'recover' }
  /** A known device: trying the device-unlock record before asking for the password. */
  | { name: 'opening'; device: DeviceRecord }
  | { name: 'unlock'; device: DeviceRecord; notice?: string | null }
  | { name: 'recovery-key'; registration: Registration }
  | { name: 'app' };

type LockReason = 'idle' | 'manual' | 'other-tab';

const LOCKED: Record<LockReason, string> = {
  idle: 'Courier locked itself after a while without activity.',
  manual: 'Courier is locked.',
  'other-tab': 'Courier was locked in another tab.',
};

const NOT_RESUMED: Record<ResumeRefusal, string | null> = {
  none: null,
  idle: 'Courier locked itself after a while without activity.',
  invalid: 'This device can no longer open your keys by itself. Enter your password.',
  'session-ended': 'Your session has ended (signed out elsewhere, or your password was changed). Enter your password to sign in again.',
  offline: 'Cannot reach the server. Check your connection, then unlock.',
};

export interface ActiveSession {
  session: UnlockedSession;
  tokens: TokenManager;
  ctx: MessengerContextValue;
}

export function App() {
  const [screen, setScreen] = useState<Screen>(() => {
    const device = loadDevice();
    return device ? { name: 'opening', device } : { name: 'login' };
  });
  const [active, setActive] = useState<ActiveSession | null>(null);
  const [lockSettings, setLockSettings] = useState<LockSettings | null>(null);
  const activeRef = useRef<ActiveSession | null>(null);
  const screenRef = useRef(screen);
  const lockRef = useRef<LockController | null>(null);
  const events = useRef<LockEvents | null>(null);
  const resuming = useRef(false);

  useEffect(() => {
    screenRef.current = screen;
  }, [screen]);

  const teardown = useCallback(() => {
    const a = activeRef.current;
    activeRef.current = null;
    lockRef.current?.ended();
    a?.ctx.messenger.stop();
    a?.tokens.dispose();
    setAuthProvider(null);
    setActive(null);
    setLockSettings(null);
  }, []);

  useEffect(() => {
    const lock = new LockController({
      idle: () => events.current?.idle(),
      fromOtherTab: (m) => events.current?.fromOtherTab(m),
      settingsChanged: (s) => events.current?.settingsChanged(s),
    });
    lockRef.current = lock;
    return () => {
      lock.dispose();
      if (lockRef.current === lock) lockRef.current = null;
      teardown();
    };
  }, [teardown]);

  /** Signed out here, elsewhere, or the session ended: forget this user on this device. */
  const forgetUser = useCallback((userId: string, announce: boolean) => {
    clearDevice();
    void lockRef.current?.signedOut(userId, announce);
  }, []);

  const begin = useCallback(
    async (session: UnlockedSession, next: Screen = { name: 'app' }, lockOpts: { keepUnlocked?: boolean; resumed?: boolean } = {}) => {
      teardown();
      const tokens = new TokenManager((reason) => {
        teardown();
        forgetUser(session.user.id, true);
        setScreen({
          name: 'login',
          notice: {
            tone: 'error',
            text: reason === 'revoked' ? 'Your session has ended: it was signed out from another device, revoked, or expired. Please sign in again.' : 'You were signed out.',
          },
        });
      });
      tokens.set(session.grant);
      setAuthProvider(tokens);
      saveDevice(session.device);
      const fp = await fingerprint(session.user.id, session.keys.encPublicSpki, session.keys.sigPublicSpki);
      const messenger = new Messenger(session.user, session.keys, fp, tokens);
      const a: ActiveSession = { session, tokens, ctx: { messenger, actions: new MessengerActions(messenger) } };
      activeRef.current = a;
      setActive(a);
      messenger.start();
      setScreen(next);
      const settings = (await lockRef.current?.started(session.user.id, session.deviceSeal, lockOpts).catch(() => null)) ?? null;
      if (activeRef.current === a) setLockSettings(settings);
    },
    [teardown, forgetUser],
  );

  /** Opens from the device-unlock record when this browser keeps the device unlocked. */
  const resume = useCallback(
    async (device: DeviceRecord) => {
      if (resuming.current || activeRef.current) return;
      resuming.current = true;
      try {
        const r = await resumeOnDevice(device, idleLimitMs(loadLockSettings(device.user.id)), Date.now()).catch(() => ({ ok: false as const, why: 'invalid' as const }));
        if (r.ok) {
          if (!activeRef.current) await begin(r.session, { name: 'app' }, { resumed: true });
        } else {
          // Past the idle time: a tab still open (its timer late in the background) locks too.
          if (r.why === 'idle') void lockRef.current?.lock(device.user.id);
          if (screenRef.current.name === 'opening') setScreen({ name: 'unlock', device, notice: NOT_RESUMED[r.why] });
        }
      } finally {
        resuming.current = false;
      }
    },
    [begin],
  );

  useEffect(() => {
    if (screen.name === 'opening') void resume(screen.device);
  }, [screen, resume]);

  /** Idle, "Lock now" or another tab: keys and messenger dropped, the password needed again. */
  const lock = useCallback(
    (reason: LockReason, told = false) => {
      const a = activeRef.current;
      if (!a) return;
      // The recovery key is shown once: never hide it behind a lock.
      if (screenRef.current.name === 'recovery-key') return lockRef.current?.rearm();
      teardown();
      void lockRef.current?.lock(a.session.user.id, !told, reason === 'idle');
      setScreen({ name: 'unlock', device: a.session.device, notice: LOCKED[reason] });
    },
    [teardown],
  );

  useEffect(() => {
    events.current = {
      idle: () => lock('idle'),
      settingsChanged: setLockSettings,
      fromOtherTab: (m) => {
        const mine = activeRef.current?.session.user.id;
        const shown = screenRef.current;
        // Every tab reaches the idle time together: whichever fired first, each says why.
        if (m.type === 'lock' && mine === m.userId) lock(m.idle ? 'idle' : 'other-tab', true);
        if (m.type === 'signed-out' && (mine === m.userId || ((shown.name === 'unlock' || shown.name === 'opening') && shown.device.user.id === m.userId))) {
          teardown();
          setScreen({ name: 'login', notice: { tone: 'info', text: 'You are signed out.' } });
        }
        if (m.type === 'unlocked' && !mine && ['login', 'unlock', 'opening'].includes(shown.name)) {
          const device = loadDevice();
          if (device?.user.id === m.userId) void resume(device);
        }
      },
    };
  }, [lock, resume, teardown]);

  const signOut = useCallback(async () => {
    const a = activeRef.current;
    if (a) await logout().catch(() => {});
    const cleared = a ? clearUserData(a.session.user.id) : null;
    teardown();
    await cleared;
    if (a) forgetUser(a.session.user.id, true);
    else clearDevice();
    setScreen({ name: 'login', notice: { tone: 'info', text: 'You are signed out.' } });
  }, [teardown, forgetUser]);

  const accountDeleted = useCallback(() => {
    const a = activeRef.current;
    if (a) {
      void clearUserData(a.session.user.id);
      localStorage.removeItem(`courier:pins:${a.session.user.id}`);
    }
    teardown();
    if (a) forgetUser(a.session.user.id, true);
    else clearDevice();
    setScreen({ name: 'login', notice: { tone: 'info', text: 'Your account was deleted.' } });
  }, [teardown, forgetUser]);

  switch (screen.name) {
    case 'register':
      return <RegisterForm onSignIn={() => setScreen({ name: 'login' })} onRegistered={(r) => void begin(r.session, { name: 'recovery-key', registration: r })} />;
    case 'recover':
      return <RecoverForm onBack={() => setScreen({ name: 'login' })} onRecovered={() => setScreen({ name: 'login', notice: { tone: 'success', text: 'Your password was reset. Sign in with the new password.' } })} />;
    case 'opening':
      return (
        <main className="flex min-h-dvh items-center justify-center bg-gradient-to-br from-indigo-50 via-white to-sky-100" aria-busy="true">
          <Spinner className="h-8 w-8 text-indigo-600" />
          <span className="sr-only">Opening Courier…</span>
        </main>
      );
    case 'unlock':
      return (
        <UnlockForm
          key={screen.notice ?? ''}
          device={screen.device}
          notice={screen.notice}
          defaultKeepUnlocked={loadLockSettings(screen.device.user.id).keepUnlocked}
          onUnlocked={(s, keepUnlocked) => void begin(s, { name: 'app' }, { keepUnlocked })}
          onSwitchUser={() => {
            forgetUser(screen.device.user.id, false);
            setScreen({ name: 'login' });
          }}
        />
      );
    case 'recovery-key':
      return <RecoveryKeyNotice recoveryKey={screen.registration.recoveryKey} onContinue={() => setScreen({ name: 'app' })} />;
    case 'app':
      if (!active) return null;
      return (
        <MessengerContext.Provider value={active.ctx}>
          <MessengerScreen
            session={active.session}
            onSignOut={signOut}
            onLock={() => lock('manual')}
            deviceSettings={lockSettings && <DeviceSettings settings={lockSettings} onChange={(next) => { setLockSettings(next); void lockRef.current?.change(next); }} />}
            onDeleted={accountDeleted}
            onPasswordChanged={(next) => {
              const d = { ...active.session.device, kdf: next.kdf, salt: next.salt, keys: { ...active.session.device.keys, wrapped_user_key: next.wrappedUserKey } };
              active.session.device = d;
              saveDevice(d);
            }}
          />
        </MessengerContext.Provider>
      );
    default:
      return (
        <LoginForm
          notice={screen.name === 'login' ? screen.notice : null}
          onSignedIn={(s, keepUnlocked) => void begin(s, { name: 'app' }, { keepUnlocked })}
          onRegister={() => setScreen({ name: 'register' })}
          onRecover={() => setScreen({ name: 'recover' })}
        />
      );
  }
}
