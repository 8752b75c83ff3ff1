/**
 * Attachments too large for a batch arrive in parts (src/background/blob-parts.ts): kept until the
 * last has come, then put together, checked against the claimed SHA-256, stored with their SHA-512
 * and CRC-32 like any attachment, and the parts dropped. Parts are small here (the part size is a
 * parameter); the content script's side, with the real sizes, is in capture-session-large.test.ts.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { openDb, type ThreadkeeperDb } from '../../src/db/schema';
import { dropStagedParts, dropStaleParts, stageBlobPart } from '../../src/background/blob-parts';
import { ingestBatch } from '../../src/background/ingest';
import { bytesToBase64 } from '../../src/shared/bytes';
import type { ContentBlobPart } from '../../src/shared/protocol';
import { batch, captureRow, message } from './factories';

const PART = 1000;
const video = new Uint8Array(3_500).map((_, j) => (j * 17 + (j >> 7)) & 0xff);
const sha256 = createHash('sha256').update(video).digest('hex');

function part(offset: number, over: Partial<ContentBlobPart> = {}): ContentBlobPart {
  return {
    type: 'content/blob-part', captureId: 'c1', adapter: 'whatsapp', sha256, mediaType: 'video/mp4',
    size: video.length, offset, base64: bytesToBase64(video.subarray(offset, offset + PART)), ...over,
  };
}
const stage = (p: ContentBlobPart) => stageBlobPart(db, p, () => '2026-11-27T10:00:00.000Z', PART);

let db: ThreadkeeperDb;
let n = 0;
beforeEach(async () => {
  db = openDb(`blob-parts-${n++}`);
  await db.captures.add(captureRow('c1'));
});
afterEach(() => db.close());

describe('stageBlobPart', () => {
  it('keeps the parts until the last, then stores the whole with its digests and drops the parts', async () => {
    for (const offset of [0, 1000, 2000]) {
      expect(await stage(part(offset))).toEqual({ ok: true, sha256, offset, stored: false });
    }
    expect(await db.blobParts.count()).toBe(3);
    expect(await db.attachments.count()).toBe(0);
    expect(await stage(part(3000))).toEqual({ ok: true, sha256, offset: 3000, stored: true });
    expect(await db.blobParts.count()).toBe(0);
    const row = (await db.attachments.get(sha256))!;
    expect(Buffer.from(row.bytes).equals(Buffer.from(video))).toBe(true);
    expect(row).toMatchObject({ mediaType: 'video/mp4', size: video.length, sha512: createHash('sha512').update(video).digest('hex'), crc32: zlibCrc32(video) });
  });

  it('puts parts together by their offsets whatever order they came in, a part sent twice counting once', async () => {
    for (const offset of [2000, 0, 0, 3000]) expect((await stage(part(offset))).stored).toBe(false);
    expect((await stage(part(1000))).stored).toBe(true);
    expect(Buffer.from((await db.attachments.get(sha256))!.bytes).equals(Buffer.from(video))).toBe(true);
  });

  it('a batch then refers to the attachment as stored, without its bytes', async () => {
    for (const offset of [0, 1000, 2000, 3000]) await stage(part(offset));
    const ref = { kind: 'video' as const, originalName: 'site-visit.mp4', mediaType: 'video/mp4', sha256, size: video.length, missingReason: null, thumbnail: false };
    const r = await ingestBatch(db, batch('c1', 0, [message('M1', { attachments: [ref] })]));
    expect(r.newMessages).toBe(1);
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ attachments: 1, attachmentsMissing: 0 });
  });

  it('the last part delivered twice at once (a late answer, then a retry) stores the file once and refuses neither', async () => {
    for (const offset of [0, 1000, 2000]) await stage(part(offset));
    const both = await Promise.all([stage(part(3000)), stage(part(3000))]);
    expect(both.map((a) => a.stored)).toEqual([true, true]);
    expect(await db.attachments.count()).toBe(1);
    expect(await db.blobParts.count()).toBe(0);
  });

  it('a part that arrives again after the file was put together (past the first check) answers stored and leaves no stray part', async () => {
    for (const offset of [0, 1000, 2000, 3000]) await stage(part(offset));
    // The retry's first look happened before the other delivery stored the file.
    const spy = vi.spyOn(db.attachments, 'where').mockImplementationOnce(() => ({ equals: () => ({ primaryKeys: async () => [] }) }) as never);
    expect(await stage(part(3000))).toEqual({ ok: true, sha256, offset: 3000, stored: true });
    spy.mockRestore();
    expect(await db.blobParts.count()).toBe(0);
    expect(await db.attachments.count()).toBe(1);
  });

  it('refuses a whole that does not match its SHA-256, and drops its parts', async () => {
    const other = 'b'.repeat(64);
    for (const offset of [0, 1000, 2000]) await stage(part(offset, { sha256: other }));
    await expect(stage(part(3000, { sha256: other }))).rejects.toThrow(/do not match their SHA-256 \(bbbbbbbbbbbb…\)/);
    expect(await db.blobParts.count()).toBe(0);
    expect(await db.attachments.count()).toBe(0);
  });

  it('refuses a part that is not where a part starts, or not as long as one, and keeps nothing of it', async () => {
    await expect(stage(part(500))).rejects.toThrow(/starts at byte 500, where no part of 3500 bytes starts/);
    await expect(stage(part(4000))).rejects.toThrow(/starts at byte 4000/);
    await expect(stage(part(0, { base64: bytesToBase64(video.subarray(0, 999)) }))).rejects.toThrow(/holds 999 bytes, not 1000/);
    await expect(stage(part(3000, { base64: bytesToBase64(video.subarray(3000, 3400)) }))).rejects.toThrow(/holds 400 bytes, not 500/);
    expect(await db.blobParts.count()).toBe(0);
  });

  it('parts that disagree on the size are refused when they are put together, and dropped', async () => {
    // Claimed 4,000 bytes: four parts of 1,000 at the offsets the 3,500-byte claim also uses.
    const long = new Uint8Array(4000).fill(7);
    const as4000 = (offset: number) => part(offset, { size: 4000, base64: bytesToBase64(long.subarray(offset, offset + PART)) });
    await stage(as4000(0));
    await stage(as4000(1000));
    await stage(part(2000));
    await expect(stage(as4000(3000))).rejects.toThrow(/do not fit together/);
    expect(await db.blobParts.count()).toBe(0);
    expect(await db.attachments.count()).toBe(0);
  });

  it('a part the disk cannot take is refused, and the parts already kept of that attachment are dropped', async () => {
    await stage(part(0));
    await stage(part(1000));
    const full = vi.spyOn(db.blobParts, 'put').mockRejectedValueOnce(new DOMException('The disk is full', 'QuotaExceededError'));
    await expect(stage(part(2000))).rejects.toThrow(/disk is full/);
    full.mockRestore();
    expect(await db.blobParts.count()).toBe(0);
  });

  it('answers stored at the first part when the attachment is already kept, and stages nothing', async () => {
    await db.attachments.add({ sha256, mediaType: 'video/mp4', size: video.length, bytes: video, firstSeenAt: '2026-11-01T00:00:00.000Z' });
    expect(await stage(part(0))).toEqual({ ok: true, sha256, offset: 0, stored: true });
    expect(await db.blobParts.count()).toBe(0);
  });

  it('refuses parts for a capture that is unknown or has ended', async () => {
    await expect(stage(part(0, { captureId: 'nope' }))).rejects.toThrow(/unknown capture nope/);
    await db.captures.update('c1', { status: 'incomplete' });
    await expect(stage(part(0))).rejects.toThrow(/already incomplete/);
    expect(await db.blobParts.count()).toBe(0);
  });
});

describe('dropping parts', () => {
  it('a capture that ends drops its parts; at start, parts of captures no longer running go, others stay', async () => {
    await db.captures.add(captureRow('c2'));
    await db.captures.add(captureRow('c3'));
    await stage(part(0));
    await stage(part(0, { captureId: 'c2' }));
    await stage(part(1000, { captureId: 'c3' }));
    await dropStagedParts(db, 'c1');
    expect((await db.blobParts.toArray()).map((p) => p.captureId).sort()).toEqual(['c2', 'c3']);
    await db.captures.update('c2', { status: 'complete' });
    await dropStaleParts(db);
    expect((await db.blobParts.toArray()).map((p) => p.captureId)).toEqual(['c3']);
  });
});
