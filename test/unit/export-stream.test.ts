/**
 * The export streams: attachment metadata comes from the index without the bytes, each
 * attachment's bytes are read from IndexedDB only when the writer reaches it (after the previous
 * one was written), and the bundle is byte for byte the one the in-memory path (renderThreadFiles
 * + writeBundle, as before streaming) makes from the same rows.
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { openDb, type ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { exportThreads, loadThreadRows, threadFolder } from '../../src/background/export';
import { renderThreadFiles } from '../../src/bundle/thread-record';
import { MemorySink, writeBundle, type BundleSigner, type ZipSink } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { readZip } from '../../cli/zip-reader';
import { bytesToBase64, sha256Hex } from '../../src/shared/bytes';
import type { Settings } from '../../src/background/settings';
import { replayingSigner, webCryptoSigner } from '../helpers/signer';
import { batch, captureRow, message } from './factories';

const threadId = 'whatsapp:120363025246125244@g.us';
const settings = { sourceOrganization: 'Dept. of Parks', contactName: '', contactEmail: '' } as Settings;
const now = new Date(2026, 10, 26, 12);
let db: ThreadkeeperDb;
let signer: BundleSigner;
const pictures = [300_000, 280_000, 1_200_000].map((n, i) => new Uint8Array(n).map((_, j) => (j * (i + 7)) & 0xff));

beforeAll(async () => {
  db = openDb('export-stream');
  signer = replayingSigner(await webCryptoSigner());
  await db.captures.add(captureRow('c1', { startedAt: '2026-10-01T10:00:00.000Z' }));
  const blobs = await Promise.all(pictures.map(async (p) => ({ sha256: await sha256Hex(p), mediaType: 'image/jpeg', base64: bytesToBase64(p) })));
  await ingestBatch(db, batch('c1', 0, pictures.map((p, i) => message(`M${i}`, {
    pageOrder: i,
    sentAt: `2026-09-28T10:3${i}:00-04:00`,
    attachments: [{ kind: 'image', originalName: `p${i}.jpg`, mediaType: 'image/jpeg', sha256: blobs[i]!.sha256, size: p.length, missingReason: null, thumbnail: false }],
  })), { blobs }));
});

/** A sink that counts bytes, and a log of when the database was asked for attachment bytes. */
function watch(): { sink: ZipSink & { bytes: number; chunks: Uint8Array[] }; reads: [sha256: string, sinkBytes: number][]; bulk: number } {
  const sink = { bytes: 0, chunks: [] as Uint8Array[], async write(c: Uint8Array) { this.bytes += c.length; this.chunks.push(c.slice()); } };
  const w = { sink, reads: [] as [string, number][], bulk: 0 };
  const table = db.attachments;
  const get = table.get.bind(table);
  const bulkGet = table.bulkGet.bind(table);
  table.get = ((key: string) => {
    w.reads.push([key, sink.bytes]);
    return get(key);
  }) as typeof table.get;
  table.bulkGet = ((keys: string[]) => {
    w.bulk++;
    return bulkGet(keys);
  }) as typeof table.bulkGet;
  return w;
}

describe('exportThreads (streaming)', () => {
  it('reads each attachment once, when its turn comes, and never all of them up front', async () => {
    const w = watch();
    const r = await exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink: w.sink });
    expect(w.bulk).toBe(0);
    const hashes = await Promise.all(pictures.map((p) => sha256Hex(p)));
    // In path order (attachments/<sha256 prefix>.jpg), each read once.
    expect(w.reads.map(([h]) => h)).toEqual([...hashes].sort());
    // Read one ahead, no more: before each read, the attachment two before it had reached the
    // sink (they are large enough to be passed through unbuffered, so the sink count had passed
    // them).
    const zip = Buffer.concat(w.sink.chunks);
    expect(w.reads.length).toBe(3);
    for (let i = 2; i < w.reads.length; i++) {
      const prev = pictures[hashes.indexOf(w.reads[i - 2]![0])]!;
      expect(zip.subarray(0, w.reads[i]![1]).includes(Buffer.from(prev.subarray(0, 4096)))).toBe(true);
    }
    expect(r.bundle.size).toBe(zip.length);
    expect(r.bundle.sha256).toBe(createHash('sha256').update(zip).digest('hex'));
    const report = await verifyBag(readZip(zip).files, { pinnedKey: r.bundle.keyThumbprint });
    expect(report.problems).toEqual([]);
    expect(report.summary).toMatchObject({ threads: 1, messages: 3, attachments: 3 });
  });

  it('makes the same bytes and bag name as rendering everything in memory (the pre-streaming path)', async () => {
    const streamed = new MemorySink();
    const r = await exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink: streamed });

    const folder = await threadFolder(threadId);
    const { files } = await renderThreadFiles(await loadThreadRows(db, threadId));
    const payload = files.map((f) => ({ path: `${folder}/${f.path}`, bytes: f.bytes })).sort((a, b) => (a.path < b.path ? -1 : 1));
    // Text files by their SHA-512, attachments by their SHA-256 (the key they are stored under).
    const digests = await Promise.all(payload.map(async (f) => `${f.path} ${f.path.includes('/attachments/') ? `sha256:${await sha256Hex(f.bytes)}` : `sha512:${createHash('sha512').update(f.bytes).digest('hex')}`}`));
    const payloadId = (await sha256Hex(digests.join('\n'))).slice(0, 20);
    expect(r.bundle.bagName).toBe(`threadkeeper-${folder.split('/')[1]}-${payloadId}`);
    const inMemory = await writeBundle({
      bagName: r.bundle.bagName,
      payload,
      signer,
      info: {
        sourceOrganization: 'Dept. of Parks',
        externalDescription: 'Messenger conversation records preserved by Threadkeeper: Permits',
        externalIdentifier: `urn:threadkeeper:bundle:${payloadId}`,
        baggingDate: '2026-11-26',
        softwareAgent: 'Threadkeeper test',
      },
    });
    expect(Buffer.from(streamed.bytes()).equals(Buffer.from(inMemory.zip))).toBe(true);
    expect(r.bundle.sha256).toBe(inMemory.sha256);

    // Text files hashed and DEFLATEd while they are made (as past STREAM_TEXT_ABOVE) give the same ZIP.
    const whileMade = new MemorySink();
    const s = await exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink: whileMade, streamTextAbove: 0 });
    expect(s.bundle.bagName).toBe(r.bundle.bagName);
    expect(Buffer.from(whileMade.bytes()).equals(Buffer.from(inMemory.zip))).toBe(true);
  });

  it('fails, and says why, when an attachment vanished between planning and writing', async () => {
    const sink = new MemorySink();
    const table = db.attachments;
    const get = table.get.bind(table);
    table.get = (async () => undefined) as unknown as typeof table.get;
    try {
      await expect(exportThreads(db, [threadId], { settings, signer, softwareAgent: 'Threadkeeper test', now, sink })).rejects.toThrow(/no longer in the database/);
    } finally {
      table.get = get;
    }
  });
});
