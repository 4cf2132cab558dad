import { AlertIcon, CheckIcon, ClockIcon, DoubleCheckIcon } from '@/components/ui/icons';

/** `queued`: kept in the outbox until the network is back (a clock, not a failure). */
export type Delivery = 'sending' | 'queued' | 'failed' | 'sent' | 'delivered' | 'read';

const labels: Record<Delivery, string> = { sending: 'Sending', queued: 'Waiting to send', failed: 'Not sent', sent: 'Sent', delivered: 'Delivered', read: 'Read' };

/** Delivered and read differ in shape, not only in hue (WCAG 1.4.1): delivered is an outlined
 *  double tick, read the same ticks on a filled disc. Each state also has its own label. */
export function Ticks({ delivery }: { delivery: Delivery }) {
  if (delivery === 'read') {
    return (
      <span data-testid="ticks" data-delivery={delivery} title={labels[delivery]} className="inline-flex h-4 w-4 items-center justify-center rounded-full bg-white text-indigo-700">
        <DoubleCheckIcon className="h-3 w-3" strokeWidth={3} />
        <span className="sr-only">{labels[delivery]}</span>
      </span>
    );
  }
  const Icon = delivery === 'sending' || delivery === 'queued' ? ClockIcon : delivery === 'failed' ? AlertIcon : delivery === 'sent' ? CheckIcon : DoubleCheckIcon;
  const tone = delivery === 'failed' ? 'text-rose-100' : 'text-indigo-100';
  return (
    <span data-testid="ticks" data-delivery={delivery} title={labels[delivery]} className={`inline-flex items-center ${tone}`}>
      <Icon className="h-4 w-4" strokeWidth={2.25} />
      <span className="sr-only">{labels[delivery]}</span>
    </span>
  );
}
