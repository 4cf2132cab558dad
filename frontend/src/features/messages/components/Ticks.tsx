import { AlertIcon, CheckIcon, ClockIcon, DoubleCheckIcon } from '@/components/ui/icons';

/** `queued`: kept in the outbox until the network is back (a clock, not a failure). */
export type Delivery = 'sending' | 'queued' | 'failed' | 'sent' | 'delivered' | 'read';

const labels: Record<Delivery, string> = { sending: 'Sending', queued: 'Waiting to send', failed: 'Not sent', sent: 'Sent', delivered: 'Delivered', read: 'Read' };

export function Ticks({ delivery }: { delivery: Delivery }) {
  const Icon = delivery === 'sending' || delivery === 'queued' ? ClockIcon : delivery === 'failed' ? AlertIcon : delivery === 'sent' ? CheckIcon : DoubleCheckIcon;
  const tone = delivery === 'read' ? 'text-sky-300' : delivery === 'failed' ? 'text-rose-200' : 'text-indigo-200';
  return (
    <span data-testid="ticks" data-delivery={delivery} title={labels[delivery]} className={`inline-flex items-center ${tone}`}>
      <Icon className="h-4 w-4" strokeWidth={2.25} />
      <span className="sr-only">{labels[delivery]}</span>
    </span>
  );
}
