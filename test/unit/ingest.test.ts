import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { openDb, type ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch, IngestError } from '../../src/background/ingest';
import { bytesToBase64, sha256Hex } from '../../src/shared/bytes';
import { batch, captureRow, message } from './factories';

let db: ThreadkeeperDb;
let n = 0;

beforeEach(async () => {
  db = openDb(`ingest-${n++}`);
  await db.captures.bulkAdd([captureRow('c1'), captureRow('c2'), captureRow('c3')]);
});

describe('ingestBatch', () => {
  it('stores new messages with one original version each', async () => {
    const event = message('E', { type: 'event', sender: null, text: 'Ana added Bo', pageOrder: 2 });
    const r = await ingestBatch(db, batch('c1', 0, [message('A'), message('B', { pageOrder: 1 }), event]));
    expect(r).toMatchObject({ threadId: 'whatsapp:120363025246125244@g.us', newMessages: 2, newEvents: 1, newVersions: 0 });
    expect(await db.messages.count()).toBe(3);
    const versions = await db.versions.toArray();
    expect(versions.map((v) => [v.messageId, v.version, v.kind])).toEqual([['A', 1, 'original'], ['B', 1, 'original'], ['E', 1, 'original']]);
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ messages: 2, events: 1, newMessages: 2, newEvents: 1 });
  });

  it('capturing the same thread twice adds nothing', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A'), message('B')]));
    const again = await ingestBatch(db, batch('c2', 0, [message('A', { sentAtText: '10:30 AM' }), message('B')]));
    expect(again).toMatchObject({ newMessages: 0, newVersions: 0 });
    expect(await db.versions.count()).toBe(2);
  });

  it('an edited message gets a new version; the original text is kept', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A', { text: 'meet at 3' })]));
    const r = await ingestBatch(db, batch('c2', 0, [message('A', { text: 'meet at 4', edited: true })]));
    expect(r.newVersions).toBe(1);
    const versions = await db.versions.where('[threadId+messageId]').equals(['whatsapp:120363025246125244@g.us', 'A']).sortBy('version');
    expect(versions.map((v) => [v.version, v.kind, v.content.text])).toEqual([[1, 'original', 'meet at 3'], [2, 'edited', 'meet at 4']]);
    expect((await db.messages.get(['whatsapp:120363025246125244@g.us', 'A']))!.versionCount).toBe(2);
  });

  it('a deleted message gets a "deleted" version and the original survives', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A', { text: 'the permit number is 42' })]));
    await ingestBatch(db, batch('c2', 0, [message('A', { text: 'This message was deleted', deleted: true, sender: null })]));
    const versions = await db.versions.orderBy('id').toArray();
    expect(versions.map((v) => [v.kind, v.content.text])).toEqual([['original', 'the permit number is 42'], ['deleted', 'This message was deleted']]);
    // The sender the page no longer shows is carried over from what we knew.
    expect(versions[1]!.content.sender).toBe('Ana');
  });

  it('one batch holding the same message twice keeps it once, and a change between the two reads as a version', async () => {
    const r = await ingestBatch(db, batch('c1', 0, [message('A', { text: 'meet at 3' }), message('B'), message('A', { text: 'meet at 3' }), message('A', { text: 'meet at 4', edited: true })]));
    expect(r).toMatchObject({ newMessages: 2, newVersions: 1 });
    const versions = await db.versions.where('[threadId+messageId]').equals(['whatsapp:120363025246125244@g.us', 'A']).sortBy('version');
    expect(versions.map((v) => [v.version, v.kind, v.content.text])).toEqual([[1, 'original', 'meet at 3'], [2, 'edited', 'meet at 4']]);
    expect(await db.messages.count()).toBe(2);
    expect((await db.messages.get(['whatsapp:120363025246125244@g.us', 'A']))!).toMatchObject({ versionCount: 2 });
    // And again across batches: an already stored message seen twice in the next batch.
    const again = await ingestBatch(db, batch('c2', 0, [message('A', { text: 'meet at 4', edited: true }), message('A', { text: 'meet at 5', edited: true })]));
    expect(again).toMatchObject({ newMessages: 0, newVersions: 1 });
    expect((await db.messages.get(['whatsapp:120363025246125244@g.us', 'A']))!.versionCount).toBe(3);
    expect(await db.versions.count()).toBe(4);
  });

  it('a re-sent batch (same capture, same sequence number) is acknowledged but not counted twice', async () => {
    const b = batch('c1', 0, [message('A')]);
    await ingestBatch(db, b);
    const again = await ingestBatch(db, b);
    expect(again.duplicateBatch).toBe(true);
    expect((await db.captures.get('c1'))!.counts.messages).toBe(1);
  });

  it('stores attachment bytes once by SHA-256, checking the hash', async () => {
    const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const sha = await sha256Hex(bytes);
    const ref = { kind: 'image' as const, originalName: null, mediaType: 'image/png', sha256: sha, size: bytes.length, missingReason: null, thumbnail: false };
    const blobs = [{ sha256: sha, mediaType: 'image/png', base64: bytesToBase64(bytes) }];
    await ingestBatch(db, batch('c1', 0, [message('A', { attachments: [ref] })], { blobs }));
    await ingestBatch(db, batch('c2', 0, [message('B', { attachments: [ref] })], { blobs }));
    expect(await db.attachments.count()).toBe(1);
    expect(Array.from((await db.attachments.get(sha))!.bytes)).toEqual(Array.from(bytes));

    const lying = [{ sha256: 'a'.repeat(64), mediaType: 'image/png', base64: bytesToBase64(bytes) }];
    await expect(ingestBatch(db, batch('c3', 0, [message('C')], { blobs: lying }))).rejects.toThrow(IngestError);
  });

  it('refuses a message that claims attachment bytes that never arrived', async () => {
    const ref = { kind: 'image' as const, originalName: null, mediaType: 'image/png', sha256: 'b'.repeat(64), size: 3, missingReason: null, thumbnail: false };
    await expect(ingestBatch(db, batch('c1', 0, [message('A', { attachments: [ref] })]))).rejects.toThrow(/were not sent/);
    expect(await db.messages.count()).toBe(0);
  });

  it('refuses batches for unknown or finished captures, writing nothing', async () => {
    await expect(ingestBatch(db, batch('nope', 0, [message('A')]))).rejects.toThrow(/unknown capture/);
    await db.captures.update('c1', { status: 'complete' });
    await expect(ingestBatch(db, batch('c1', 0, [message('A')]))).rejects.toThrow(/already complete/);
    expect(await db.messages.count()).toBe(0);
  });

  it('never shrinks the participant list', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A')]));
    await ingestBatch(db, batch('c2', 0, [message('B')], { thread: { threadKey: '120363025246125244@g.us', title: 'Permits 2', kind: 'group', participants: [{ name: 'Bo', self: false }] } }));
    const t = await db.threads.get('whatsapp:120363025246125244@g.us');
    expect(t!.title).toBe('Permits 2');
    expect(t!.participants.map((p) => p.name)).toEqual(['Ana', 'You', 'Bo']);
  });

  it('rewrites the thread and capture rows it read with only the fields a batch changes', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A')]), () => '2026-09-28T15:00:00.000Z');
    const id = 'whatsapp:120363025246125244@g.us';
    await db.threads.update(id, { bundles: ['bundle-1'] });
    const [threadBefore, captureBefore] = [await db.threads.get(id), await db.captures.get('c2')];
    await ingestBatch(db, batch('c2', 4, [message('B')], { thread: { threadKey: '120363025246125244@g.us', title: '', kind: 'unknown', participants: [] } }), () => '2026-09-28T16:00:00.000Z');
    expect(await db.threads.get(id)).toEqual({ ...threadBefore, lastCapturedAt: '2026-09-28T16:00:00.000Z' });
    expect(await db.captures.get('c2')).toEqual({
      ...captureBefore,
      threadId: id,
      lastActivityAt: '2026-09-28T16:00:00.000Z',
      appliedSeqs: [4],
      counts: { ...captureBefore!.counts, messages: 1, newMessages: 1 },
    });
  });
});
