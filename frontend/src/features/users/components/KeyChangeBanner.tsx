import { Button } from '@/components/ui/Button';
import { AlertIcon } from '@/components/ui/icons';

export interface KeyProblem {
  userId: string;
  username: string;
  kind: 'changed' | 'invalid';
}

/** Replaces the composer: nothing can be sent until every problem is reviewed. */
export function KeyChangeBanner({ problems, onReview }: { problems: KeyProblem[]; onReview: (userId: string) => void }) {
  return (
    <div role="alert" data-testid="key-change-warning" className="border-t border-amber-200 bg-amber-50 px-4 py-3">
      {problems.map((p) => (
        <div key={p.userId} className="flex flex-col gap-2 sm:flex-row sm:items-center">
          <AlertIcon className="hidden h-5 w-5 shrink-0 text-amber-700 sm:block" />
          <p className="flex-1 text-sm text-amber-900">
            {p.kind === 'changed' ? (
              <>
                <strong>{p.username}’s security key has changed.</strong> Sending is paused until you review the new safety number.
              </>
            ) : (
              <>
                <strong>{p.username}’s keys failed verification.</strong> Sending is blocked.
              </>
            )}
          </p>
          <Button variant="warning" size="sm" onClick={() => onReview(p.userId)}>
            Review safety number
          </Button>
        </div>
      ))}
    </div>
  );
}
