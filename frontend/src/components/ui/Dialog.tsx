//! Modals on the native <dialog>: focus trapping, Escape to close and an inert background for
//! free. `ModalShell` is the bare behaviour (open on mount, close on Escape or a backdrop click,
//! focus back to the opener); `Dialog` is the usual titled card on top of it.
import { useEffect, useId, useRef, useState, type DialogHTMLAttributes, type ReactNode } from 'react';
import { CloseIcon } from './icons';

export interface ModalShellProps extends Omit<DialogHTMLAttributes<HTMLDialogElement>, 'onClose' | 'onCancel' | 'open'> {
  onClose: () => void;
  children: ReactNode;
}

/** A modal <dialog>, open while mounted. When it goes away, focus goes back to whatever had it
 *  when the modal opened (WCAG 2.4.3), if that is still on the page. */
export function ModalShell({ onClose, children, onClick, ...rest }: ModalShellProps) {
  const ref = useRef<HTMLDialogElement>(null);
  // Read during the first render, before anything inside the modal can take focus.
  const [opener] = useState(() => (typeof document === 'undefined' ? null : (document.activeElement as HTMLElement | null)));
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      d?.close();
      if (opener && opener !== document.body && opener.isConnected) opener.focus();
    };
  }, [opener]);
  return (
    <dialog
      ref={ref}
      {...rest}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
        onClick?.(e);
      }}
    >
      {children}
    </dialog>
  );
}

/** A titled card modal with a Close button. */
export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const titleId = useId();
  return (
    <ModalShell
      onClose={onClose}
      aria-labelledby={titleId}
      className={`m-auto w-[calc(100%-1.5rem)] rounded-2xl bg-white p-0 text-slate-900 shadow-2xl backdrop:bg-black/60 ${wide ? 'max-w-2xl' : 'max-w-md'}`}
    >
      <div className="flex items-center justify-between border-b border-slate-100 px-5 py-4">
        <h2 id={titleId} className="text-base font-semibold text-slate-900">
          {title}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close" className="rounded-full p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-700 focus-visible:outline-2 focus-visible:outline-indigo-600">
          <CloseIcon className="h-5 w-5" />
        </button>
      </div>
      <div className="max-h-[75vh] overflow-y-auto px-5 py-4">{children}</div>
    </ModalShell>
  );
}
