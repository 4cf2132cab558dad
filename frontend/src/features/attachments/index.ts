//! Public API of the attachments feature (docs/protocol.md §8.4, §11): the pure rules (names,
//! types, thumbnails, the resumable upload plan, what a view shows), the effects that upload and
//! download through the attachment worker, and the components.
export { AttachmentList, AUTO_LOAD_BYTES, thumbnailSrc, type AttachmentAction, type AttachmentListProps } from './components/AttachmentList';
export { AttachmentTray, type PendingFile } from './components/AttachmentTray';
export { ImageViewer } from './components/ImageViewer';
export { downloadVerified, DownloadError, type DownloadFailure } from './effects/downloader';
export {
  DEFAULT_PIECE_SIZE, prepareFile, UploadCancelled, UploadFailed, Uploader, httpTransport, type OutgoingFile, type UploaderDeps, type UploadStatus,
  type UploadTransport,
} from './effects/uploader';
export { admitFiles, formatBytes, isInlineImage, layoutBox, MAX_FILES, outgoingMediaType, outgoingName, saveName, typeLabel } from './model/files';
export { thumbnailAttempts, thumbnailBudget } from './model/thumbnail';
export { type UploadError, type UploadPhase } from './model/upload';
export { attachmentSummary, downloadKey, type AttachmentView, type TransferView } from './model/view';
export { attachmentCrypto, InlineCrypto, type AttachmentCrypto } from './worker/client';
export { fitContent } from './model/content';
