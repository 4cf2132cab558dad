//! The attachments of one message (docs/protocol.md §11.5). Raster images show the thumbnail
//! from the verified message at once, then the full image once it was fetched and checked;
//! everything else is a card (name, size, type) with a Download button, saved only after it
//! verified and never rendered. A file that fails its checks says "Could not verify" and shows
//! nothing of itself; a 404 says "Attachment unavailable". Presentational: the effects act on
//! `onAction`.

import { useEffect, useRef, useState } from 'react';
import { AlertIcon, CloseIcon, DownloadIcon, FileIcon, ImageIcon, RetryIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/Spinner';
import { toBase64, type AttachmentThumbnail } from '@/lib/crypto';
import { formatBytes, layoutBox, typeLabel } from '../model/files';
import type { AttachmentView } from '../model/view';
import { ImageViewer } from './ImageViewer';

export type AttachmentAction =
  /** Fetch and check (a file is then saved). */
  | 'download'
  /** Save the verified file again. */
  | 'save'
  | 'cancel-upload'
  | 'retry-upload';

/** Images up to this size are fetched as soon as they scroll into view. */
export const AUTO_LOAD_BYTES = 25 << 20;

const thumbnailUrls = new WeakMap<AttachmentThumbnail, string>();

/** The thumbnail as a `data:` URL (it came inside the verified message; small; cached). */
export function thumbnailSrc(t: AttachmentThumbnail): string {
  let url = thumbnailUrls.get(t);
  if (!url) {
    url = `data:${t.mediaType};base64,${toBase64(t.bytes)}`;
    thumbnailUrls.set(t, url);
  }
  return url;
}

export interface AttachmentListProps {
  views: AttachmentView[];
  mine: boolean;
  onAction: (key: string, action: AttachmentAction) => void;
}

export function AttachmentList({ views, mine, onAction }: AttachmentListProps) {
  const images = views.filter((v) => v.inline);
  const files = views.filter((v) => !v.inline);
  return (
    <div className="flex flex-col gap-1.5" data-testid="attachments">
      {images.length > 0 && (
        <div className={`grid gap-1 ${images.length > 1 ? 'grid-cols-2' : 'grid-cols-1'}`}>
          {images.map((v) => (
            <ImageAttachment key={v.key} view={v} small={images.length > 1} onAction={(a) => onAction(v.key, a)} />
          ))}
        </div>
      )}
      {files.map((v) => (
        <FileCard key={v.key} view={v} mine={mine} onAction={(a) => onAction(v.key, a)} />
      ))}
    </div>
  );
}

function Progress({ value, label }: { value: number; label: string }) {
  return <progress value={Math.round(value * 100)} max={100} aria-label={label} className="attachment-progress h-1.5 w-full overflow-hidden rounded-full" />;
}

function UploadControls({ view, onAction, dark }: { view: AttachmentView; onAction: (a: AttachmentAction) => void; dark?: boolean }) {
  const t = view.transfer;
  if (t.kind !== 'upload') return null;
  const text = dark ? 'text-white' : '';
  const phase =
    t.phase === 'encrypting' ? 'Encrypting…' : t.phase === 'retrying' ? 'Connection lost, retrying…' : t.phase === 'offline' ? 'Waiting for the network…' : t.phase === 'failed' ? (t.error ?? 'Upload failed') : `Uploading ${Math.round(t.progress * 100)}%`;
  return (
    <div className={`flex flex-col gap-1 ${text}`} data-testid="upload-status" data-phase={t.phase}>
      {t.phase !== 'failed' && <Progress value={t.progress} label={`Uploading ${view.name}`} />}
      <div className="flex items-center gap-2 text-xs">
        <span className={`min-w-0 flex-1 truncate ${t.phase === 'failed' ? 'font-semibold' : ''}`} role={t.phase === 'failed' ? 'alert' : undefined}>
          {phase}
        </span>
        {t.phase === 'failed' && t.retryable && (
          <button type="button" onClick={() => onAction('retry-upload')} aria-label={`Retry upload of ${view.name}`} className="inline-flex items-center gap-1 rounded-full bg-white/90 px-2 py-0.5 font-semibold text-indigo-700 ring-1 ring-indigo-200 hover:bg-white">
            <RetryIcon className="h-3.5 w-3.5" /> Retry
          </button>
        )}
        <button type="button" onClick={() => onAction('cancel-upload')} aria-label={`Cancel upload of ${view.name}`} className="inline-flex items-center gap-1 rounded-full bg-white/90 px-2 py-0.5 font-semibold text-slate-700 ring-1 ring-slate-200 hover:bg-white">
          <CloseIcon className="h-3.5 w-3.5" /> Cancel
        </button>
      </div>
    </div>
  );
}

/** Fetch once when the element scrolls into view (or at once without IntersectionObserver). */
function useWhenVisible(enabled: boolean, run: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  const runRef = useRef(run);
  runRef.current = run;
  useEffect(() => {
    const el = ref.current;
    if (!enabled || !el) return;
    if (typeof IntersectionObserver !== 'function') {
      runRef.current();
      return;
    }
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        io.disconnect();
        runRef.current();
      }
    });
    io.observe(el);
    return () => io.disconnect();
  }, [enabled]);
  return ref;
}

function ImageAttachment({ view, small, onAction }: { view: AttachmentView; small: boolean; onAction: (a: AttachmentAction) => void }) {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    // Back to the image that opened the viewer, once the modal is gone (the page is inert until then).
    requestAnimationFrame(() => opener.current?.focus());
  };
  const t = view.transfer;
  const box = layoutBox(view.width, view.height, small ? 180 : 280, small ? 180 : 280);
  const ref = useWhenVisible(t.kind === 'idle' && view.size <= AUTO_LOAD_BYTES, () => onAction('download'));
  const full = t.kind === 'verified' && t.url ? t.url : null;
  const canLoad = t.kind === 'idle' || t.kind === 'failed';
  return (
    <div
      ref={ref}
      className="relative overflow-hidden rounded-xl bg-slate-200"
      style={{ width: box.width, height: box.height, maxWidth: '100%' }}
      data-testid="attachment"
      data-kind="image"
      data-state={t.kind === 'upload' ? `upload-${t.phase}` : t.kind}
      data-attachment-id={view.key}
      data-name={view.name}
    >
      {full ? (
        <button ref={opener} type="button" onClick={() => setOpen(true)} aria-label={`Open image ${view.name}`} className="block h-full w-full focus-visible:outline-2 focus-visible:outline-offset-[-2px] focus-visible:outline-indigo-600">
          <img src={full} alt={view.name} data-testid="attachment-image" className="h-full w-full object-cover" draggable={false} />
        </button>
      ) : view.thumbnail ? (
        <img src={thumbnailSrc(view.thumbnail)} alt={`Preview of ${view.name}`} data-testid="attachment-thumbnail" className="h-full w-full object-cover" draggable={false} />
      ) : (
        <div className="flex h-full w-full items-center justify-center text-slate-500">
          <ImageIcon className="h-8 w-8" />
        </div>
      )}
      {t.kind === 'upload' && (
        <div className="absolute inset-x-0 bottom-0 bg-slate-900/60 p-2">
          <UploadControls view={view} onAction={onAction} dark />
        </div>
      )}
      {t.kind === 'downloading' && (
        <div className="absolute inset-x-0 bottom-0 flex items-center gap-2 bg-slate-900/50 p-2 text-white">
          <Spinner className="h-3.5 w-3.5" />
          <Progress value={t.progress} label={`Downloading ${view.name}`} />
        </div>
      )}
      {canLoad && (
        <div className="absolute inset-0 flex flex-col items-center justify-center gap-1 bg-slate-900/30 p-2 text-center text-xs text-white">
          {t.kind === 'failed' && <span role="alert">{t.message}</span>}
          <button type="button" onClick={() => onAction('download')} aria-label={`Load image ${view.name}`} className="inline-flex items-center gap-1 rounded-full bg-white/90 px-3 py-1 font-semibold text-slate-800 hover:bg-white">
            {t.kind === 'failed' ? <RetryIcon className="h-3.5 w-3.5" /> : <DownloadIcon className="h-3.5 w-3.5" />}
            {t.kind === 'failed' ? 'Retry' : formatBytes(view.size)}
          </button>
        </div>
      )}
      {(t.kind === 'damaged' || t.kind === 'unavailable') && <Problem view={view} onAction={onAction} overlay />}
      {open && full && <ImageViewer url={full} name={view.name} onSave={() => onAction('save')} onClose={close} />}
    </div>
  );
}

/** "Could not verify" (damaged: retry downloads again) or "Attachment unavailable" (404). */
function Problem({ view, onAction, overlay }: { view: AttachmentView; onAction: (a: AttachmentAction) => void; overlay?: boolean }) {
  const t = view.transfer;
  const damaged = t.kind === 'damaged';
  return (
    <div
      className={overlay ? 'absolute inset-0 flex flex-col items-center justify-center gap-1 bg-rose-50/95 p-2 text-center text-rose-900' : 'flex items-center gap-2 text-rose-900'}
      data-testid={damaged ? 'attachment-damaged' : 'attachment-unavailable'}
      title={damaged ? t.reason : undefined}
      role="alert"
    >
      <AlertIcon className="h-4 w-4 shrink-0 text-rose-600" />
      <span className="text-xs font-semibold">{damaged ? 'Could not verify' : 'Attachment unavailable'}</span>
      {!damaged && <span className="text-[11px] text-rose-800">Deleted, expired, or not shared with you.</span>}
      {damaged && (
        <button type="button" onClick={() => onAction('download')} aria-label={`Retry download of ${view.name}`} className="inline-flex items-center gap-1 rounded-full bg-white px-2 py-0.5 text-xs font-semibold text-rose-800 ring-1 ring-rose-200 hover:bg-rose-50">
          <RetryIcon className="h-3.5 w-3.5" /> Retry
        </button>
      )}
    </div>
  );
}

function FileCard({ view, mine, onAction }: { view: AttachmentView; mine: boolean; onAction: (a: AttachmentAction) => void }) {
  const t = view.transfer;
  return (
    <div
      className={`flex min-w-56 max-w-full flex-col gap-1.5 rounded-xl p-2.5 ${mine ? 'bg-indigo-500/40' : 'bg-slate-100'} ${t.kind === 'damaged' || t.kind === 'unavailable' ? 'bg-rose-50 ring-1 ring-rose-200' : ''}`}
      data-testid="attachment"
      data-kind="file"
      data-state={t.kind === 'upload' ? `upload-${t.phase}` : t.kind}
      data-attachment-id={view.key}
      data-name={view.name}
    >
      <div className="flex items-center gap-2.5">
        <span className={`flex h-10 w-10 shrink-0 items-center justify-center rounded-lg ${mine && t.kind !== 'damaged' && t.kind !== 'unavailable' ? 'bg-white/20 text-white' : 'bg-white text-indigo-600 ring-1 ring-slate-200'}`}>
          <FileIcon className="h-5 w-5" />
        </span>
        <span className="min-w-0 flex-1">
          <span className="block truncate text-sm font-semibold" title={view.name} data-testid="attachment-name">
            {view.name}
          </span>
          <span className={`block text-xs ${mine && t.kind !== 'damaged' && t.kind !== 'unavailable' ? 'text-indigo-100' : 'text-slate-500'}`}>
            {formatBytes(view.size)} · {typeLabel(view.name, view.mediaType)}
          </span>
        </span>
        {(t.kind === 'idle' || t.kind === 'failed') && (
          <button type="button" onClick={() => onAction('download')} aria-label={`Download ${view.name}`} title="Download" className="inline-flex h-9 w-9 items-center justify-center rounded-full bg-white text-indigo-700 shadow-sm ring-1 ring-slate-200 hover:bg-indigo-50">
            {t.kind === 'failed' ? <RetryIcon className="h-4 w-4" /> : <DownloadIcon className="h-4 w-4" />}
          </button>
        )}
        {t.kind === 'verified' && (
          <button type="button" onClick={() => onAction('save')} aria-label={`Save ${view.name}`} title="Save" className="inline-flex h-9 w-9 items-center justify-center rounded-full bg-white text-emerald-700 shadow-sm ring-1 ring-slate-200 hover:bg-emerald-50">
            <DownloadIcon className="h-4 w-4" />
          </button>
        )}
      </div>
      {t.kind === 'failed' && (
        <p className="text-xs" role="alert">
          {t.message}
        </p>
      )}
      {t.kind === 'downloading' && <Progress value={t.progress} label={`Downloading ${view.name}`} />}
      {t.kind === 'upload' && <UploadControls view={view} onAction={onAction} />}
      {(t.kind === 'damaged' || t.kind === 'unavailable') && <Problem view={view} onAction={onAction} />}
    </div>
  );
}
