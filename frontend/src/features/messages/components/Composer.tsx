import { useId, useRef, useState, type ClipboardEvent, type FormEvent, type KeyboardEvent } from 'react';
import { PaperclipIcon, SendIcon } from '@/components/ui/icons';
import { AttachmentTray, MAX_FILES, type PendingFile } from '@/features/attachments';
import { checkLength } from '../model/length';

export interface ComposerProps {
  /** The text (a caption when there are files) and the files to send. */
  onSend: (text: string, files: File[]) => Promise<void> | void;
  /** Files waiting to be sent (picked, pasted or dropped on the conversation). */
  files?: PendingFile[];
  onAddFiles?: (files: File[]) => void;
  onRemoveFile?: (id: string) => void;
  /** E.g. "At most 10 files per message: 2 were left out." */
  fileNotice?: string | null;
  onTyping: () => void;
  /** The draft to start from (the composer is mounted once per conversation). */
  initialText?: string;
  /** Every change of the text, for the draft. */
  onTextChange?: (text: string) => void;
  disabled?: boolean;
  placeholder?: string;
}

/** Nothing typed or pasted is ever cut: a text over the limit stays, with a counter and the reason
 *  sending is refused (model/length.ts). Files come from the attach button or a paste (and a drop
 *  on the conversation, handled by ChatView); with files, the text is their caption. */
export function Composer({ onSend, onTyping, initialText = '', onTextChange, disabled, placeholder, files = [], onAddFiles, onRemoveFile, fileNotice }: ComposerProps) {
  const [text, setText] = useState(initialText);
  const ref = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const problemId = useId();
  const length = checkLength(text);

  function change(next: string) {
    setText(next);
    onTextChange?.(next);
  }

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const body = text.trim();
    if ((!body && !files.length) || disabled || length.tooLong) return;
    change('');
    void onSend(body, files.map((f) => f.file));
    ref.current?.focus();
  }
  function onPaste(e: ClipboardEvent<HTMLTextAreaElement>) {
    const pasted = Array.from(e.clipboardData.files);
    if (!pasted.length || !onAddFiles) return;
    onAddFiles(pasted);
    // A pasted picture comes alone; a copy from a document may carry text too, which still goes in.
    if (!e.clipboardData.types.includes('text/plain')) e.preventDefault();
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
      {onRemoveFile && <AttachmentTray files={files} notice={fileNotice} onRemove={onRemoveFile} />}
      <div className="flex items-end gap-2">
        {onAddFiles && (
          <>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              data-testid="attach-input"
              onChange={(e) => {
                const picked = Array.from(e.target.files ?? []);
                e.target.value = '';
                if (picked.length) onAddFiles(picked);
              }}
            />
            <button
              type="button"
              onClick={() => picker.current?.click()}
              disabled={disabled || files.length >= MAX_FILES}
              aria-label="Attach files"
              title={files.length >= MAX_FILES ? `At most ${MAX_FILES} files per message` : 'Attach files'}
              className="inline-flex h-10 w-10 shrink-0 items-center justify-center rounded-full text-slate-500 transition-colors hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-40"
            >
              <PaperclipIcon className="h-5 w-5" />
            </button>
          </>
        )}
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
          placeholder={files.length ? 'Add a caption' : (placeholder ?? 'Write a message')}
          onChange={(e) => {
            change(e.target.value);
            if (e.target.value) onTyping();
          }}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          className={`field-sizing-content max-h-40 min-h-10 flex-1 resize-none rounded-2xl border-0 bg-slate-100 px-4 py-2.5 text-[15px] text-slate-900 placeholder:text-slate-600 focus:bg-white focus:ring-2 focus:outline-none disabled:cursor-not-allowed ${
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
            disabled={disabled || (!text.trim() && !files.length) || length.tooLong}
            className="inline-flex h-10 w-10 shrink-0 items-center justify-center rounded-full bg-indigo-600 text-white shadow-sm transition-colors hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:bg-slate-300"
          >
            <SendIcon className="h-5 w-5" />
          </button>
        </div>
      </div>
    </form>
  );
}
