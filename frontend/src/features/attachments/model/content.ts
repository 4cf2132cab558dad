//! Making the content of an attachment message fit (pure): the plaintext of a message is at most
//! 65 536 bytes (§11.4) and thumbnails are the only part a writer can leave out, so when the
//! descriptors and caption do not fit, the largest thumbnails go first.

import { serializeAttachmentMessage, type AttachmentMessage, type Bytes } from '@/lib/crypto';
import { MAX_PLAINTEXT_LEN } from '@/lib/protocol/constants';

/** The content bytes, with as many thumbnails as fit; throws if it cannot fit even without any. */
export function fitContent(message: AttachmentMessage): { message: AttachmentMessage; bytes: Bytes } {
  let current = message;
  for (;;) {
    const bytes = trySerialize(current);
    if (bytes) return { message: current, bytes };
    const largest = current.attachments.reduce<number>(
      (best, d, i) => (d.thumbnail && (best < 0 || d.thumbnail.bytes.length > (current.attachments[best].thumbnail?.bytes.length ?? 0)) ? i : best),
      -1,
    );
    if (largest < 0) throw new Error('The caption and file names are too long to send together.');
    current = {
      ...current,
      attachments: current.attachments.map((d, i) => {
        if (i !== largest) return d;
        const { thumbnail: _dropped, ...rest } = d;
        return rest;
      }),
    };
  }
}

function trySerialize(message: AttachmentMessage): Bytes | null {
  try {
    const bytes = serializeAttachmentMessage(message);
    return bytes.length <= MAX_PLAINTEXT_LEN ? bytes : null;
  } catch {
    return null;
  }
}
