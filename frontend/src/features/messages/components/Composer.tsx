import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { SendIcon } from '@/components/ui/icons';

export function Composer({ onSend, onTyping, disabled, placeholder }: { onSend: (text: string) => Promise<void> | void; onTyping: () => void; disabled?: boolean; placeholder?: string }) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const body = text.trim();
    if (!body || disabled) return;
    setText('');
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
    <form onSubmit={submit} className="flex items-end gap-2 border-t border-slate-200 bg-white px-3 py-3 sm:px-4">
      <label htmlFor="composer" className="sr-only">
        Message
      </label>
      <textarea
        id="composer"
        ref={ref}
        rows={1}
        value={text}
        disabled={disabled}
        maxLength={8000}
        placeholder={placeholder ?? 'Write a message'}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value) onTyping();
        }}
        onKeyDown={onKeyDown}
        className="field-sizing-content max-h-40 min-h-10 flex-1 resize-none rounded-2xl border-0 bg-slate-100 px-4 py-2.5 text-[15px] text-slate-900 placeholder:text-slate-400 focus:bg-white focus:ring-2 focus:ring-indigo-600 focus:outline-none disabled:cursor-not-allowed"
      />
      <button
        type="submit"
        aria-label="Send"
        disabled={disabled || !text.trim()}
        className="inline-flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-white shadow-sm transition-colors hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:bg-slate-300"
      >
        <SendIcon className="h-5 w-5" />
      </button>
    </form>
  );
}
