//! The full-size viewer of a verified image: a full-screen modal (components/ui/Dialog's
//! ModalShell: focus kept inside, Escape closes, focus goes back to the image that opened it),
//! with Save and Close.
import { useId } from 'react';
import { ModalShell } from '@/components/ui/Dialog';
import { CloseIcon, DownloadIcon } from '@/components/ui/icons';

export function ImageViewer({ url, name, onSave, onClose }: { url: string; name: string; onSave: () => void; onClose: () => void }) {
  const titleId = useId();
  return (
    <ModalShell
      onClose={onClose}
      aria-labelledby={titleId}
      data-testid="image-viewer"
      // Rendered inside a message bubble's tree: its long press and context menu must not see these.
      onPointerDown={(e) => e.stopPropagation()}
      onContextMenu={(e) => e.stopPropagation()}
      className="m-0 h-full max-h-none w-full max-w-none bg-transparent p-0 backdrop:bg-slate-950/90"
    >
      <div className="flex h-full flex-col">
        <div className="flex items-center gap-2 bg-slate-950/60 px-4 py-2 text-white">
          <h2 id={titleId} className="min-w-0 flex-1 truncate text-sm font-semibold">
            {name}
          </h2>
          <button type="button" onClick={onSave} aria-label={`Save ${name}`} className="inline-flex items-center gap-1.5 rounded-full px-3 py-1.5 text-sm font-semibold hover:bg-white/10 focus-visible:outline-2 focus-visible:outline-white">
            <DownloadIcon className="h-4 w-4" /> Save
          </button>
          <button type="button" onClick={onClose} aria-label="Close" autoFocus className="rounded-full p-1.5 hover:bg-white/10 focus-visible:outline-2 focus-visible:outline-white">
            <CloseIcon className="h-5 w-5" />
          </button>
        </div>
        <div
          className="flex min-h-0 flex-1 items-center justify-center p-4"
          onClick={(e) => {
            if (e.target === e.currentTarget) onClose();
          }}
        >
          <img src={url} alt={name} data-testid="viewer-image" className="max-h-full max-w-full object-contain" />
        </div>
      </div>
    </ModalShell>
  );
}
