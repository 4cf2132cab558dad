//! The rules for names, media types, inline rendering, layout and sizing of attachments.
import { describe, expect, it } from 'vitest';
import { isValidAttachmentName, isValidMediaType } from '@/lib/crypto';
import { admitFiles, formatBytes, isInlineImage, layoutBox, outgoingMediaType, outgoingName, saveName, typeLabel } from './files';
import { fitWithin, thumbnailAttempts, thumbnailBudget } from './thumbnail';
import { fitContent } from './content';
import { attachmentSummary } from './view';
import { MAX_PLAINTEXT_LEN } from '@/lib/protocol/constants';
import type { AttachmentDescriptor } from '@/lib/crypto';

describe('outgoing files', () => {
  it('send the browser type lowercased without parameters, else a guess by extension, else octet-stream', () => {
    expect(outgoingMediaType('image/JPEG', 'a.jpg')).toBe('image/jpeg');
    expect(outgoingMediaType('text/plain;charset=utf-8', 'a.txt')).toBe('text/plain');
    expect(outgoingMediaType('', 'scan.PDF')).toBe('application/pdf');
    expect(outgoingMediaType('', 'noext')).toBe('application/octet-stream');
    expect(outgoingMediaType('application/x weird', 'x.bin')).toBe('application/octet-stream');
    for (const t of ['image/jpeg', 'application/pdf', 'application/octet-stream']) expect(isValidMediaType(t)).toBe(true);
  });

  it('send names the descriptor rules accept, as close to the original as possible', () => {
    expect(outgoingName('holiday photo.jpg')).toBe('holiday photo.jpg');
    expect(outgoingName('a/b\\c.txt')).toBe('a_b_c.txt');
    expect(outgoingName('photo\u202egpj.exe')).toBe('photo_gpj.exe');
    expect(outgoingName('..')).toBe('file');
    expect(outgoingName('')).toBe('file');
    expect(outgoingName('  \n ')).toBe('file');
    const long = `${'é'.repeat(300)}.jpeg`;
    const cut = outgoingName(long);
    expect([...cut].length).toBe(255);
    expect(cut.endsWith('.jpeg')).toBe(true);
    for (const n of ['a/b\\c.txt', 'photo\u202egpj.exe', long, '\ud800x']) expect(isValidAttachmentName(outgoingName(n))).toBe(true);
  });

  it('take at most 10 files per message and say how many were left out', () => {
    expect(admitFiles([1, 2, 3], [4, 5])).toEqual({ files: [1, 2, 3, 4, 5], refused: 0 });
    expect(admitFiles([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12])).toEqual({ files: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], refused: 2 });
    expect(admitFiles(Array.from({ length: 10 }, (_, i) => i), [1])).toMatchObject({ refused: 1 });
  });
});

describe('received files', () => {
  it('draw inline only raster types the browser decodes safely', () => {
    for (const t of ['image/jpeg', 'image/png', 'image/gif', 'image/webp']) expect(isInlineImage(t)).toBe(true);
    for (const t of ['image/svg+xml', 'text/html', 'application/pdf', 'image/bmp', 'image/x-icon', 'application/xhtml+xml', 'image/tiff']) {
      expect(isInlineImage(t), t).toBe(false);
    }
  });

  it('save under a name every file system takes: no separators, reserved names, hidden or trailing dots', () => {
    expect(saveName('report.pdf')).toBe('report.pdf');
    expect(saveName('a:b*c?"d<e>f|g.txt')).toBe('a_b_c__d_e_f_g.txt');
    expect(saveName('..\\..\\evil.exe')).toBe('_.._evil.exe');
    expect(saveName('.bashrc')).toBe('bashrc');
    expect(saveName('CON')).toBe('_CON');
    expect(saveName('lpt1.txt')).toBe('_lpt1.txt');
    expect(saveName('name. . ')).toBe('name');
    expect(saveName('...')).toBe('download');
    expect(saveName('x\u202egpj.exe')).toBe('x_gpj.exe');
    expect([...saveName(`${'a'.repeat(400)}.tar`)].length).toBe(200);
  });

  it('show sizes for people and a short type label', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_500)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.2 MB');
    expect(formatBytes(104_857_600)).toBe('105 MB');
    expect(typeLabel('scan.pdf', 'application/pdf')).toBe('PDF');
    expect(typeLabel('noext', 'application/zip')).toBe('ZIP');
    expect(typeLabel('noext', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe('FILE');
  });

  it('lay images out from claimed sizes, clamped: a hostile claim cannot make a sliver or a strip', () => {
    expect(layoutBox(4000, 3000)).toEqual({ width: 280, height: 210 });
    expect(layoutBox(3000, 4000)).toEqual({ width: 210, height: 280 });
    expect(layoutBox(1, 65535)).toEqual({ width: 93, height: 280 });
    expect(layoutBox(65535, 1)).toEqual({ width: 280, height: 93 });
    expect(layoutBox(undefined, undefined)).toEqual({ width: 96, height: 96 });
    expect(layoutBox(50, 50)).toEqual({ width: 96, height: 96 });
  });
});

describe('thumbnails', () => {
  it('are tried from 320 pixels down, never enlarged, in decreasing quality', () => {
    const tries = thumbnailAttempts(4000, 3000);
    expect(tries[0]).toEqual({ width: 320, height: 240, quality: 0.8 });
    expect(tries.at(-1)).toEqual({ width: 48, height: 36, quality: 0.45 });
    for (let i = 1; i < tries.length; i++) {
      const [a, b] = [tries[i - 1], tries[i]];
      expect(b.width < a.width || (b.width === a.width && b.quality < a.quality)).toBe(true);
    }
    expect(thumbnailAttempts(30, 20).map((t) => `${t.width}x${t.height}`)).toEqual(['30x20', '30x20', '30x20']);
    expect(thumbnailAttempts(0, 10)).toEqual([]);
    expect(fitWithin(10, 100_000, 320)).toEqual({ width: 1, height: 320 });
  });

  it('share the message plaintext: one image gets 16 KiB, ten share what is left, a huge caption leaves none', () => {
    expect(thumbnailBudget(1, 1, 10)).toBe(16_384);
    const ten = thumbnailBudget(10, 10, 10);
    expect(ten).toBeGreaterThan(2_000);
    // Ten base64 thumbnails and ten descriptors still fit in 65 536 bytes.
    expect(10 * (Math.ceil(ten / 3) * 4 + 1_400) + 64 + 10).toBeLessThanOrEqual(65_536);
    expect(thumbnailBudget(0, 3, 0)).toBe(0);
    expect(thumbnailBudget(10, 10, 60_000)).toBe(0);
  });
});

describe('message content', () => {
  const d = (i: number, thumb: number): AttachmentDescriptor => ({
    attachmentId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, key: new Uint8Array(32), sha256: new Uint8Array(32),
    name: `${'é'.repeat(200)}-${i}.jpg`, mediaType: 'image/jpeg', size: 1, ciphertextSize: 55, width: 10, height: 10,
    thumbnail: { mediaType: 'image/jpeg', bytes: new Uint8Array(thumb).fill(1).map((v, j) => (j < 3 ? [0xff, 0xd8, 0xff][j] : v)) },
  });

  it('fits in one message plaintext: the largest thumbnails are dropped first, the files never', () => {
    const small = fitContent({ attachments: [d(1, 1_000), d(2, 2_000)] });
    expect(small.message.attachments.every((a) => a.thumbnail)).toBe(true);
    const many = fitContent({ text: 'x', attachments: Array.from({ length: 10 }, (_, i) => d(i, 6_000 + i)) });
    expect(many.bytes.length).toBeLessThanOrEqual(MAX_PLAINTEXT_LEN);
    expect(many.message.attachments).toHaveLength(10);
    const kept = many.message.attachments.filter((a) => a.thumbnail).map((a) => a.thumbnail!.bytes.length);
    expect(kept.length).toBeGreaterThan(0);
    expect(Math.max(...kept)).toBeLessThan(6_009); // the largest went first
  });

  it('is summed up for previews without the file contents', () => {
    expect(attachmentSummary([{ name: 'a.png', mediaType: 'image/png' }])).toBe('Photo');
    expect(attachmentSummary([{ name: 'a.pdf', mediaType: 'application/pdf' }], '  see\nthis ')).toBe('a.pdf · see this');
    expect(attachmentSummary([{ name: 'a.png', mediaType: 'image/png' }, { name: 'b.gif', mediaType: 'image/gif' }])).toBe('2 photos');
    expect(attachmentSummary([{ name: 'a.png', mediaType: 'image/png' }, { name: 'b.zip', mediaType: 'application/zip' }])).toBe('2 files');
  });
});
