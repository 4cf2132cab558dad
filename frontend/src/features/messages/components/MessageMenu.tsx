import { useEffect, useRef, type KeyboardEvent } from 'react';

export interface MenuItem {
  label: string;
  danger?: boolean;
  onSelect: () => void;
}

/**
 * A message's actions as a small menu next to it: opened by the ⋯ button, a long press (touch)
 * or a right click. The first item takes the focus; arrow keys move, Escape or a press outside
 * closes (the caller then puts the focus back on the ⋯ button).
 */
export function MessageMenu({ items, align, onClose }: { items: MenuItem[]; align: 'left' | 'right'; onClose: (refocus: boolean) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    el?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    el?.scrollIntoView?.({ block: 'nearest' });
    // The message's own row (its ⋯ button toggles) does not count as outside.
    const row = el?.parentElement;
    const outside = (e: PointerEvent) => {
      if (row && e.target instanceof Node && !row.contains(e.target)) onClose(false);
    };
    document.addEventListener('pointerdown', outside, true);
    return () => document.removeEventListener('pointerdown', outside, true);
  }, [onClose]);

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
    const at = buttons.findIndex((b) => b === document.activeElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (at + (e.key === 'ArrowDown' ? 1 : -1) + buttons.length) % buttons.length;
      buttons[next]?.focus();
    } else if (e.key === 'Tab') {
      onClose(false);
    }
  }

  return (
    <div
      ref={ref}
      role="menu"
      aria-label="Message actions"
      onKeyDown={onKeyDown}
      className={`absolute top-full z-20 mt-1 min-w-44 overflow-hidden rounded-xl bg-white py-1 text-sm shadow-lg ring-1 ring-slate-200 ${align === 'right' ? 'right-0' : 'left-0'}`}
    >
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          onClick={() => {
            onClose(false);
            item.onSelect();
          }}
          className={`block w-full px-4 py-2.5 text-left font-medium hover:bg-slate-100 focus:bg-slate-100 focus:outline-none ${item.danger ? 'text-rose-700' : 'text-slate-800'}`}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
