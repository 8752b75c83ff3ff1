/**
 * An attachment's SHA-512 and CRC-32 are computed once, when ingest first stores its bytes, and
 * kept with them. An export writes that SHA-512 into the manifest instead of hashing the bytes
 * again, checks the bytes it reads against that CRC-32 (a stored copy damaged since capture fails
 * the export, named, instead of entering a bundle that attests it), and still hashes rows stored
 * before the digests were kept, checking those against the SHA-256 they are stored under.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { openDb, type ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { DAMAGED_REASON, DamagedAttachmentError, exportThreads } from '../../src/background/export';
import { MemorySink, type BundleSigner } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { readZip } from '../../cli/zip-reader';
import { bytesToBase64, sha256Hex } from '../../src/shared/bytes';
import type { Settings } from '../../src/background/settings';
import { replayingSigner, webCryptoSigner } from '../helpers/signer';
import { batch, captureRow, message, thread } from './factories';

const threadId = 'whatsapp:120363025246125244@g.us';
const settings = { sourceOrganization: 'Dept. of Parks', contactName: '', contactEmail: '' } as Settings;
const now = new Date(2026, 10, 26, 12);
const picture = new Uint8Array(700_001).map((_, j) => (j * 31 + (j >> 9)) & 0xff);
const sha512Of = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

let db: ThreadkeeperDb;
let signer: BundleSigner;
let sha256: string;
let n = 0;

beforeEach(async () => {
  db = openDb(`attachment-digests-${n++}`);
  signer = replayingSigner(await webCryptoSigner());
  sha256 = await sha256Hex(picture);
  await db.captures.add(captureRow('c1', { startedAt: '2026-10-01T10:00:00.000Z' }));
  await ingestBatch(db, batch('c1', 0, [message('M1', {
    pageOrder: 0,
    sentAt: '2026-09-28T10:30:00-04:00',
    attachments: [{ kind: 'image', originalName: 'site.jpg', mediaType: 'image/jpeg', sha256, size: picture.length, missingReason: null, thumbnail: false }],
  })], { blobs: [{ sha256, mediaType: 'image/jpeg', base64: bytesToBase64(picture) }] }));
});

afterEach(() => {
  vi.restoreAllMocks();
  db.close();
});

async function exportToMemory(): Promise<{ zip: Uint8Array; manifest: string; keyThumbprint: string }> {
  const sink = new MemorySink();
  const r = await exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink });
  const zip = sink.bytes();
  const files = readZip(zip).files;
  const name = [...files.keys()].find((k) => k.endsWith('/manifest-sha512.txt'))!;
  return { zip, manifest: new TextDecoder().decode(files.get(name)!), keyThumbprint: r.bundle.keyThumbprint };
}

/** The manifest's SHA-512 for the attachment (its line ends in attachments/<name>.jpg). */
const attachmentLine = (manifest: string) => manifest.split('\n').find((l) => /attachments\/[0-9a-f]+\.jpg$/.test(l))!;

describe('attachment digests kept from capture', () => {
  it('ingest stores the SHA-512 and CRC-32 of the bytes with them', async () => {
    const row = await db.attachments.get(sha256);
    expect(row?.sha512).toBe(sha512Of(picture));
    expect(row?.crc32).toBe(zlibCrc32(picture));
  });

  it('the export puts the kept SHA-512 in the manifest without hashing the bytes again, and the bundle verifies', async () => {
    const digest = vi.spyOn(globalThis.crypto.subtle, 'digest');
    const { zip, manifest, keyThumbprint } = await exportToMemory();
    const sha512Calls = digest.mock.calls.filter(([alg, data]) => String((alg as { name?: string }).name ?? alg).toUpperCase() === 'SHA-512' && (data as ArrayBufferView).byteLength === picture.length);
    expect(sha512Calls).toHaveLength(0);
    expect(attachmentLine(manifest).startsWith(`${sha512Of(picture)}  data/`)).toBe(true);
    const report = await verifyBag(readZip(zip).files, { pinnedKey: keyThumbprint });
    expect(report.problems).toEqual([]);
    expect(report.summary).toMatchObject({ messages: 1, attachments: 1 });
  });

  it('a stored copy damaged since capture stops the bundle, naming the file and the attachment, and nothing reaches a finished bundle', async () => {
    const row = (await db.attachments.get(sha256))!;
    const damaged = row.bytes.slice();
    damaged[12345] = damaged[12345]! ^ 0x40; // same length: only the checksum can tell
    await db.attachments.put({ ...row, bytes: damaged });
    const sink = new MemorySink();
    const failed = await exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DamagedAttachmentError);
    expect((failed as DamagedAttachmentError).sha256).toBe(sha256);
    expect((failed as DamagedAttachmentError).threadIds).toEqual([threadId]);
    expect((failed as DamagedAttachmentError).foundIn).toBe(threadId);
    expect((failed as Error).message).toMatch(/attachments\/[0-9a-f]+\.jpg": its bytes are not the ones first stored \(CRC-32 [0-9a-f]{8}, recorded [0-9a-f]{8}\): the stored copy is damaged/);
    // What did reach the sink is a ZIP without its central directory: no reader takes it for a bundle.
    expect(() => readZip(sink.bytes())).toThrow();
    // The record itself is untouched.
    expect((await db.attachments.get(sha256))?.sha512).toBe(sha512Of(picture));
  });

  it('names every thread of the export whose record refers to the damaged file, and the one being written', async () => {
    const other = { ...thread, threadKey: '120363099999999999@g.us', title: 'Another group' };
    await db.captures.add(captureRow('c2', { startedAt: '2026-10-02T10:00:00.000Z' }));
    await ingestBatch(db, batch('c2', 0, [message('N1', {
      pageOrder: 0,
      attachments: [{ kind: 'image', originalName: 'same.jpg', mediaType: 'image/jpeg', sha256, size: picture.length, missingReason: null, thumbnail: false }],
    })], { thread: other }));
    const row = (await db.attachments.get(sha256))!;
    const damaged = row.bytes.slice();
    damaged[7] = damaged[7]! ^ 0x01;
    await db.attachments.put({ ...row, bytes: damaged });
    const otherId = `whatsapp:${other.threadKey}`;
    const failed = (await exportThreads(db, [threadId, otherId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink: new MemorySink() }).catch((e: unknown) => e)) as DamagedAttachmentError;
    expect(failed).toBeInstanceOf(DamagedAttachmentError);
    expect([...failed.threadIds].sort()).toEqual([threadId, otherId].sort());
    expect([threadId, otherId]).toContain(failed.foundIn);
  });

  it('written again with the damaged attachment left out: the bundle verifies and names it, without a path, with the reason', async () => {
    const row = (await db.attachments.get(sha256))!;
    const damaged = row.bytes.slice();
    damaged[99] = damaged[99]! ^ 0x02;
    await db.attachments.put({ ...row, bytes: damaged });
    const sink = new MemorySink();
    const r = await exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink, leftOut: new Map([[sha256, DAMAGED_REASON]]) });
    expect(r.attachments).toBe(0);
    const files = readZip(sink.bytes()).files;
    expect([...files.keys()].some((k) => k.includes('/attachments/'))).toBe(false);
    const record = JSON.parse(new TextDecoder().decode(files.get([...files.keys()].find((k) => k.endsWith('/thread.json'))!))) as { attachments: { path: string | null; sha256: string; originalName: string; missingReason: string }[] };
    expect(record.attachments).toEqual([expect.objectContaining({ path: null, sha256, originalName: 'site.jpg', missingReason: DAMAGED_REASON })]);
    const transcript = new TextDecoder().decode(files.get([...files.keys()].find((k) => k.endsWith('/transcript.html'))!));
    expect(transcript).toContain('the stored copy was damaged after capture');
    const report = await verifyBag(files, { pinnedKey: r.bundle.keyThumbprint });
    expect(report.problems).toEqual([]);
    expect(report.summary).toMatchObject({ messages: 1, attachments: 0 });
  });

  it('a row stored before digests were kept is hashed at export, as before', async () => {
    const row = (await db.attachments.get(sha256))!;
    const { sha512: _s, crc32: _c, ...older } = row;
    await db.attachments.put(older);
    const digest = vi.spyOn(globalThis.crypto.subtle, 'digest');
    const { zip, manifest, keyThumbprint } = await exportToMemory();
    expect(digest.mock.calls.some(([alg, data]) => String((alg as { name?: string }).name ?? alg).toUpperCase() === 'SHA-512' && (data as ArrayBufferView).byteLength === picture.length)).toBe(true);
    expect(attachmentLine(manifest).startsWith(`${sha512Of(picture)}  data/`)).toBe(true);
    expect((await verifyBag(readZip(zip).files, { pinnedKey: keyThumbprint })).problems).toEqual([]);
  });

  it('a damaged copy of a row stored before digests were kept fails the export too (checked against its SHA-256 key)', async () => {
    const row = (await db.attachments.get(sha256))!;
    const { sha512: _s, crc32: _c, ...older } = row;
    const damaged = row.bytes.slice();
    damaged[0] = damaged[0]! ^ 0x01;
    await db.attachments.put({ ...older, bytes: damaged });
    const failed = await exportToMemory().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DamagedAttachmentError);
    expect((failed as DamagedAttachmentError).sha256).toBe(sha256);
    expect((failed as Error).message).toMatch(/attachments\/[0-9a-f]+\.jpg": its bytes are not the ones first stored \(their SHA-256 is not the one they are stored under\): the stored copy is damaged/);
  });

  it('a malformed kept digest fails the export rather than enter the manifest', async () => {
    const row = (await db.attachments.get(sha256))!;
    await db.attachments.put({ ...row, sha512: 'not-a-digest' });
    await expect(exportToMemory()).rejects.toThrow(/its recorded SHA-512 and CRC-32 are unusable/);
    // Half a record (one of the two kept) is no record either: refused, not taken for an older row.
    const { crc32: _c, ...half } = row;
    await db.attachments.put(half);
    await expect(exportToMemory()).rejects.toThrow(/its recorded SHA-512 and CRC-32 are unusable/);
  });
});
