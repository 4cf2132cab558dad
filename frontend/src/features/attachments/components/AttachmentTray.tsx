//! The files waiting in the composer before sending: name, size, a preview for images (the
//! person's own file, as a local object URL, revoked when it leaves the tray) and Remove.
import { useEffect, useState } from 'react';
import { CloseIcon, FileIcon } from '@/components/ui/icons';
import { formatBytes, isInlineImage, MAX_FILES, outgoingMediaType } from '../model/files';

export interface PendingFile {
  id: string;
  file: File;
}

function Preview({ file }: { file: File }) {
  const [url, setUrl] = useState<string | null>(null);
  const image = isInlineImage(outgoingMediaType(file.type, file.name));
  useEffect(() => {
    if (!image) return;
    const u = URL.createObjectURL(file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [file, image]);
  if (image && url) return <img src={url} alt="" className="h-12 w-12 shrink-0 rounded-lg object-cover" data-testid="pending-preview" />;
  return (
    <span className="flex h-12 w-12 shrink-0 items-center justify-center rounded-lg bg-white text-indigo-600 ring-1 ring-slate-200">
      <FileIcon className="h-5 w-5" />
    </span>
  );
}

export function AttachmentTray({ files, notice, onRemove }: { files: PendingFile[]; notice?: string | null; onRemove: (id: string) => void }) {
  if (!files.length && !notice) return null;
  return (
    <div className="mb-2" data-testid="attachment-tray">
      {files.length > 0 && (
        <ul className="flex gap-2 overflow-x-auto pb-1" aria-label={`Files to send (${files.length} of at most ${MAX_FILES})`}>
          {files.map(({ id, file }) => (
            <li key={id} data-testid="pending-attachment" data-name={file.name} className="flex w-56 shrink-0 items-center gap-2 rounded-xl bg-slate-100 p-1.5 pr-1 ring-1 ring-slate-200">
              <Preview file={file} />
              <span className="min-w-0 flex-1">
                <span className="block truncate text-sm font-medium text-slate-800" title={file.name}>
                  {file.name || 'file'}
                </span>
                <span className="block text-xs text-slate-500">{formatBytes(file.size)}</span>
              </span>
              <button type="button" onClick={() => onRemove(id)} aria-label={`Remove ${file.name}`} title="Remove" className="rounded-full p-1 text-slate-500 hover:bg-slate-200 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600">
                <CloseIcon className="h-4 w-4" />
              </button>
            </li>
          ))}
        </ul>
      )}
      {notice && (
        <p role="status" data-testid="attachment-notice" className="mt-1 text-xs text-amber-800">
          {notice}
        </p>
      )}
    </div>
  );
}
