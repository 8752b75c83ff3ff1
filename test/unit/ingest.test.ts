import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { openDb, type MessageRow, type ThreadkeeperDb } from '../../src/db/schema';
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

  it('keeps a message the page cut short as such, counts it, and the whole text later as a new version', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A', { text: 'The permit needs…', truncated: true }), message('B')]));
    const first = await db.versions.orderBy('id').toArray();
    expect(first.map((v) => [v.messageId, v.content.truncated])).toEqual([['A', true], ['B', undefined]]);
    expect('truncated' in first[1]!.content).toBe(false);
    expect((await db.captures.get('c1'))!.counts.truncated).toBe(1);
    // Someone opened "Read more" and the thread was preserved again: the whole text, not cut short.
    const r = await ingestBatch(db, batch('c2', 0, [message('A', { text: 'The permit needs two copies of the plan.' }), message('B')]));
    expect(r.newVersions).toBe(1);
    const a = await db.versions.where('[threadId+messageId]').equals(['whatsapp:120363025246125244@g.us', 'A']).sortBy('version');
    expect(a.map((v) => [v.version, v.content.text, v.content.truncated])).toEqual([[1, 'The permit needs…', true], [2, 'The permit needs two copies of the plan.', undefined]]);
    expect('truncated' in (await db.captures.get('c2'))!.counts).toBe(false);
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

  it('a message this capture already counted counts once when it comes again as a new version; another capture counts it for itself', async () => {
    const cut = message('A', { text: 'the start of a long', truncated: true });
    await ingestBatch(db, batch('c1', 0, [cut, message('E', { type: 'event', sender: null, text: 'Ana joined' })]));
    expect((await db.captures.get('c1'))!.counts.truncated).toBe(1);
    // Later in the same capture: A made whole, the event's text changed; in one batch, B twice.
    await ingestBatch(db, batch('c1', 1, [message('A', { text: 'the start of a long message, whole' }), message('E', { type: 'event', sender: null, text: 'Ana joined the group' })]));
    expect((await db.captures.get('c1'))!.counts.truncated ?? 0).toBe(0);
    await ingestBatch(db, batch('c1', 2, [message('B'), message('B', { text: 'B, edited', edited: true })]));
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ messages: 2, events: 1, newMessages: 2, newEvents: 1, newVersions: 3 });
    // A second capture meets A edited: it counts A once for itself; c1 is unchanged.
    await ingestBatch(db, batch('c2', 0, [message('A', { text: 'edited again', edited: true })]));
    expect((await db.captures.get('c2'))!.counts).toMatchObject({ messages: 1, newMessages: 0, newVersions: 1 });
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ messages: 2, events: 1 });
  });

  describe('a later read that cannot get bytes the message keeps', () => {
    const png = new Uint8Array([137, 80, 78, 71, 9, 9, 9]);
    async function keptPicture(ids = ['A']) {
      const sha = await sha256Hex(png);
      const kept = { kind: 'image' as const, originalName: 'plan.png', mediaType: 'image/png', sha256: sha, size: png.length, missingReason: null, thumbnail: false };
      await ingestBatch(db, batch('c1', 0, ids.map((id) => message(id, { attachments: [kept] })), { blobs: [{ sha256: sha, mediaType: 'image/png', base64: bytesToBase64(png) }] }));
      return { sha, kept, expired: { ...kept, mediaType: null, sha256: null, size: null, missingReason: 'expired: the page no longer holds it' } };
    }
    const versionsOf = async (id: string) => (await db.versions.toArray()).filter((v) => v.messageId === id).sort((x, y) => x.version - y.version);
    const versionsOfA = () => versionsOf('A');

    it('is no new version, and the capture does not count the picture missing', async () => {
      const { expired } = await keptPicture();
      const r = await ingestBatch(db, batch('c2', 0, [message('A', { attachments: [expired] })]), () => '2026-09-29T08:00:00.000Z');
      expect(r.newVersions).toBe(0);
      expect((await versionsOfA()).map((v) => v.version)).toEqual([1]);
      expect((await db.messages.get(['whatsapp:120363025246125244@g.us', 'A']))!.lastSeenAt).toBe('2026-09-29T08:00:00.000Z');
      expect((await db.captures.get('c2'))!.counts).toMatchObject({ messages: 1, attachments: 1, attachmentsMissing: 0 });
    });

    it('with another change, is a version that keeps the bytes', async () => {
      const { sha, expired } = await keptPicture();
      await ingestBatch(db, batch('c2', 0, [message('A', { text: 'plan, revised', edited: true, attachments: [expired] })]));
      const versions = await versionsOfA();
      expect(versions.map((v) => [v.kind, v.content.text, v.content.attachments[0]!.sha256, v.content.attachments[0]!.missingReason])).toEqual([
        ['original', 'text of A', sha, null],
        ['edited', 'plan, revised', sha, null],
      ]);
      // The stored fingerprint is that of what was stored: the same read again adds nothing.
      const again = await ingestBatch(db, batch('c2', 1, [message('A', { text: 'plan, revised', edited: true, attachments: [expired] })]));
      expect(again.newVersions).toBe(0);
    });

    it('is a version when the attachment is not the same one: another name, kind or count', async () => {
      const { expired } = await keptPicture(['A', 'B', 'C']);
      await ingestBatch(db, batch('c2', 0, [
        message('A', { attachments: [{ ...expired, originalName: 'other.png' }] }),
        message('B', { attachments: [{ ...expired, kind: 'document' }] }),
        message('C', { attachments: [expired, expired] }),
      ]));
      for (const id of ['A', 'B', 'C']) {
        const versions = await versionsOf(id);
        expect([id, versions.length]).toEqual([id, 2]);
        expect(versions[1]!.content.attachments.every((a) => a.sha256 === null)).toBe(true);
      }
    });
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

  describe('a batch assumed new (new thread, or all new so far in this capture)', () => {
    const T = 'whatsapp:120363025246125244@g.us';
    const versionsOf = async () => (await db.versions.orderBy('id').toArray()).map((v) => [v.messageId, v.version, v.kind, v.captureId]);

    it('is written without reading stored rows', async () => {
      const bulkGet = vi.spyOn(db.messages, 'bulkGet');
      await ingestBatch(db, batch('c1', 0, [message('A'), message('B', { pageOrder: 1 })]));
      const r = await ingestBatch(db, batch('c1', 1, [message('C'), message('C', { text: 'C, edited', edited: true }), message('D')]));
      expect(bulkGet).not.toHaveBeenCalled();
      expect(r).toMatchObject({ newMessages: 2, newVersions: 1, duplicateBatch: false });
      expect(await versionsOf()).toEqual([['A', 1, 'original', 'c1'], ['B', 1, 'original', 'c1'], ['C', 1, 'original', 'c1'], ['C', 2, 'edited', 'c1'], ['D', 1, 'original', 'c1']]);
      expect((await db.messages.get([T, 'C']))!.versionCount).toBe(2);
    });

    it('holding a stored message, is written as if read first, and nothing of the first try is kept', async () => {
      await ingestBatch(db, batch('c1', 0, [message('A', { text: 'meet at 3' }), message('U')]), () => '2026-09-28T15:00:00.000Z');
      const [a1, u1] = (await db.messages.bulkGet([[T, 'A'], [T, 'U']])) as MessageRow[];
      await ingestBatch(db, batch('c2', 0, [message('B')]), () => '2026-09-28T16:00:00.000Z');
      // c2 has seen only new messages, so this batch is assumed new; A and U are stored.
      const bulkAdd = vi.spyOn(db.messages, 'bulkAdd');
      const r = await ingestBatch(db, batch('c2', 1, [message('C'), message('A', { text: 'meet at 4', edited: true }), message('U')]), () => '2026-09-28T17:00:00.000Z');
      expect(bulkAdd).toHaveBeenCalledTimes(1);
      expect(r).toMatchObject({ newMessages: 1, newVersions: 1, duplicateBatch: false });
      expect(await versionsOf()).toEqual([['A', 1, 'original', 'c1'], ['U', 1, 'original', 'c1'], ['B', 1, 'original', 'c2'], ['C', 1, 'original', 'c2'], ['A', 2, 'edited', 'c2']]);
      expect(await db.messages.get([T, 'A'])).toEqual({ ...a1, versionCount: 2, latestFingerprint: expect.not.stringMatching(a1!.latestFingerprint), lastSeenAt: '2026-09-28T17:00:00.000Z' });
      expect(await db.messages.get([T, 'U'])).toEqual({ ...u1, lastSeenAt: '2026-09-28T17:00:00.000Z' });
      expect((await db.messages.get([T, 'C']))!).toMatchObject({ firstCaptureId: 'c2', versionCount: 1 });
      expect(await db.messages.count()).toBe(4);
      const c2 = (await db.captures.get('c2'))!;
      expect(c2.appliedSeqs).toEqual([0, 1]);
      expect(c2.counts).toMatchObject({ messages: 4, newMessages: 2, newVersions: 1 });
      // Once a capture has met a stored message, its batches are read first again.
      const bulkGet = vi.spyOn(db.messages, 'bulkGet');
      await ingestBatch(db, batch('c2', 2, [message('E')]));
      expect(bulkGet).toHaveBeenCalledTimes(1);
    });
  });

  it('rewrites the thread and capture rows it read with only the fields a batch changes', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A')]), () => '2026-09-28T15:00:00.000Z');
    const id = 'whatsapp:120363025246125244@g.us';
    await db.threads.update(id, { bundles: ['bundle-1'] });
    const [threadBefore, captureBefore] = [await db.threads.get(id), await db.captures.get('c2')];
    await ingestBatch(db, batch('c2', 4, [message('B')], { thread: { threadKey: '120363025246125244@g.us', title: '', kind: 'unknown', participants: [] } }), () => '2026-09-28T16:00:00.000Z');
    // revision: a new message can change the thread's deadlines (src/background/deadline-tally.ts).
    expect(await db.threads.get(id)).toEqual({ ...threadBefore, lastCapturedAt: '2026-09-28T16:00:00.000Z', revision: 1 });
    expect(await db.captures.get('c2')).toEqual({
      ...captureBefore,
      threadId: id,
      lastActivityAt: '2026-09-28T16:00:00.000Z',
      appliedSeqs: [4],
      counts: { ...captureBefore!.counts, messages: 1, newMessages: 1 },
    });
  });
});
