//! The top level: which screen (sign in, register, recovery, unlock, messenger) and the life
//! cycle of a signed-in session (token manager, messenger, sign-out and revocation).

import { useCallback, useEffect, useRef, useState } from 'react';
import { setAuthProvider } from '@/lib/api/client';
import { TokenManager } from '@/lib/api/tokens';
import { fingerprint } from '@/lib/crypto';
import { LoginForm, logout, RecoveryKeyNotice, RegisterForm, UnlockForm, type DeviceRecord, type Registration, type UnlockedSession } from '@/features/auth';
import { RecoverForm } from '@/features/account';
import { clearUserData, Messenger, MessengerActions, MessengerContext, type MessengerContextValue } from '@/features/messenger';
import { clearDevice, loadDevice, saveDevice } from './device';
import { MessengerScreen } from './MessengerScreen';

type Screen =
  | { name: 'login'; notice?: { tone: 'error' | 'info' | 'success'; text: string } }
  | { name: 'register' }
  | { name: 'recover' }
  | { name: 'unlock'; device: DeviceRecord }
  | { name: 'recovery-key'; registration: Registration }
  | { name: 'app' };

export interface ActiveSession {
  session: UnlockedSession;
  tokens: TokenManager;
  ctx: MessengerContextValue;
}

export function App() {
  const [screen, setScreen] = useState<Screen>(() => {
    const device = loadDevice();
    return device ? { name: 'unlock', device } : { name: 'login' };
  });
  const [active, setActive] = useState<ActiveSession | null>(null);
  const activeRef = useRef<ActiveSession | null>(null);

  const teardown = useCallback(() => {
    const a = activeRef.current;
    activeRef.current = null;
    a?.ctx.messenger.stop();
    a?.tokens.dispose();
    setAuthProvider(null);
    setActive(null);
  }, []);

  useEffect(() => teardown, [teardown]);

  const begin = useCallback(
    async (session: UnlockedSession, next: Screen = { name: 'app' }) => {
      teardown();
      const tokens = new TokenManager((reason) => {
        teardown();
        clearDevice();
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
    },
    [teardown],
  );

  const signOut = useCallback(async () => {
    const a = activeRef.current;
    if (a) await logout().catch(() => {});
    const cleared = a ? clearUserData(a.session.user.id) : null;
    teardown();
    await cleared;
    clearDevice();
    setScreen({ name: 'login', notice: { tone: 'info', text: 'You are signed out.' } });
  }, [teardown]);

  const accountDeleted = useCallback(() => {
    const a = activeRef.current;
    if (a) {
      void clearUserData(a.session.user.id);
      localStorage.removeItem(`courier:pins:${a.session.user.id}`);
    }
    teardown();
    clearDevice();
    setScreen({ name: 'login', notice: { tone: 'info', text: 'Your account was deleted.' } });
  }, [teardown]);

  switch (screen.name) {
    case 'register':
      return <RegisterForm onSignIn={() => setScreen({ name: 'login' })} onRegistered={(r) => void begin(r.session, { name: 'recovery-key', registration: r })} />;
    case 'recover':
      return <RecoverForm onBack={() => setScreen({ name: 'login' })} onRecovered={() => setScreen({ name: 'login', notice: { tone: 'success', text: 'Your password was reset. Sign in with the new password.' } })} />;
    case 'unlock':
      return (
        <UnlockForm
          device={screen.device}
          onUnlocked={(s) => void begin(s)}
          onSwitchUser={() => {
            clearDevice();
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
          onSignedIn={(s) => void begin(s)}
          onRegister={() => setScreen({ name: 'register' })}
          onRecover={() => setScreen({ name: 'recover' })}
        />
      );
  }
}
