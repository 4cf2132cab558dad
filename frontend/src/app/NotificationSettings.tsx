//! Settings → Notifications: desktop notifications on this device. The browser's permission is
//! asked only when the person presses "Turn on" (a user gesture), never on load. "Hide sender and
//! content" makes every notification say only "New message". Muting is per conversation (the bell
//! in the chat's header); all of it is kept on this device only.
import { useState } from 'react';
import { Alert } from '@/components/ui/Alert';
import { Button } from '@/components/ui/Button';
import { notificationPermission, useMessenger, useMessengerSelector, type Permission } from '@/features/messenger';

export function NotificationSettings() {
  const { messenger } = useMessenger();
  const prefs = useMessengerSelector((s) => s.prefs);
  const [permission, setPermission] = useState<Permission>(notificationPermission);
  const [busy, setBusy] = useState(false);
  const on = prefs.notify && permission === 'granted';
  const mutedCount = Object.keys(prefs.muted).length;

  async function turnOn() {
    setBusy(true);
    try {
      setPermission(await messenger.attention.enableNotifications());
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="space-y-5">
      <section aria-labelledby="notif-heading" className="space-y-3">
        <h3 id="notif-heading" className="text-sm font-semibold text-slate-900">
          Desktop notifications
        </h3>
        <p className="text-sm text-slate-600" data-testid="notification-status">
          {permission === 'unsupported'
            ? 'This browser cannot show notifications.'
            : permission === 'denied'
              ? 'Notifications are blocked for Courier in this browser. Allow them in the site settings to turn them on.'
              : on
                ? 'On: you are notified of new messages when Courier is in the background or another chat is open.'
                : 'Off.'}
        </p>
        {permission !== 'unsupported' && permission !== 'denied' && (
          on ? (
            <Button variant="secondary" onClick={() => messenger.setNotificationPrefs({ notify: false })}>
              Turn off notifications
            </Button>
          ) : (
            <Button busy={busy} onClick={() => void turnOn()}>
              Turn on notifications
            </Button>
          )
        )}
      </section>
      <section className="space-y-2 border-t border-slate-100 pt-4">
        <label className="flex items-start gap-2 text-sm text-slate-800">
          <input
            type="checkbox"
            className="mt-0.5 h-4 w-4 rounded border-slate-400 text-indigo-600 focus-visible:outline-2 focus-visible:outline-indigo-600"
            checked={prefs.hideContent}
            onChange={(e) => messenger.setNotificationPrefs({ hideContent: e.target.checked })}
          />
          <span>
            Hide sender and content
            <span className="block text-xs text-slate-600">Notifications say only “New message”: nothing of who wrote or what shows on the screen or the lock screen.</span>
          </span>
        </label>
      </section>
      <Alert tone="info">
        Muted conversations never notify and are not counted in the tab’s title. Mute one with the bell in its header{mutedCount ? ` (${mutedCount} muted)` : ''}. These settings stay on
        this device.
      </Alert>
    </div>
  );
}
