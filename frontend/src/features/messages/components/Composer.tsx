import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { SendIcon } from '@/components/ui/icons';
import { checkLength } from '../model/length';

export interface ComposerProps {
  onSend: (text: string) => Promise<void> | void;
  onTyping: () => void;
  /** The draft to start from (the composer is mounted once per conversation). */
  initialText?: string;
  /** Every change of the text, for the draft. */
  onTextChange?: (text: string) => void;
  disabled?: boolean;
  placeholder?: string;
}

/** Nothing typed or pasted is ever cut: a text over the limit stays, with a counter and the reason
 *  sending is refused (model/length.ts). */
export function Composer({ onSend, onTyping, initialText = '', onTextChange, disabled, placeholder }: ComposerProps) {
  const [text, setText] = useState(initialText);
  const ref = useRef<HTMLTextAreaElement>(null);
  const problemId = useId();
  const length = checkLength(text);

  function change(next: string) {
    setText(next);
    onTextChange?.(next);
  }

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const body = text.trim();
    if (!body || disabled || length.tooLong) return;
    change('');
    void onSend(body);
    ref.current?.focus();
  }
  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }
  return (
    <form onSubmit={submit} className="border-t border-slate-200 bg-white px-3 py-3 sm:px-4">
      {length.problem && (
        <p id={problemId} role="alert" data-testid="composer-too-long" className="mb-2 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200 ring-inset">
          {length.problem}
        </p>
      )}
      <div className="flex items-end gap-2">
        <label htmlFor="composer" className="sr-only">
          Message
        </label>
        <textarea
          id="composer"
          ref={ref}
          rows={1}
          value={text}
          disabled={disabled}
          aria-invalid={length.tooLong || undefined}
          aria-describedby={length.problem ? problemId : undefined}
          placeholder={placeholder ?? 'Write a message'}
          onChange={(e) => {
            change(e.target.value);
            if (e.target.value) onTyping();
          }}
          onKeyDown={onKeyDown}
          className={`field-sizing-content max-h-40 min-h-10 flex-1 resize-none rounded-2xl border-0 bg-slate-100 px-4 py-2.5 text-[15px] text-slate-900 placeholder:text-slate-400 focus:bg-white focus:ring-2 focus:outline-none disabled:cursor-not-allowed ${
            length.tooLong ? 'ring-2 ring-rose-500 focus:ring-rose-600' : 'focus:ring-indigo-600'
          }`}
        />
        <div className="flex shrink-0 flex-col items-center gap-1">
          {length.counter && (
            <span data-testid="composer-counter" aria-live="polite" className={`text-[11px] font-medium tabular-nums ${length.tooLong ? 'text-rose-700' : 'text-slate-500'}`}>
              {length.counter}
            </span>
          )}
          <button
            type="submit"
            aria-label="Send"
            disabled={disabled || !text.trim() || length.tooLong}
            className="inline-flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-white shadow-sm transition-colors hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:bg-slate-300"
          >
            <SendIcon className="h-5 w-5" />
          </button>
        </div>
      </div>
    </form>
  );
}
