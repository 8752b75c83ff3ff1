/**
 * What exports carried and what was forwarded is read from the export rows (schema v4 indexes
 * them by thread), not copied onto message rows; what versions before v4 wrote on message rows
 * still counts. Incremental exports and forwarding deadlines read it this way.
 */
import 'fake-indexeddb/auto';
import { openSchemaAt } from '../helpers/db';
import { describe, expect, it } from 'vitest';
import { openDb, type MessageRow } from '../../src/db/schema';
import { threadMarks, withMarks } from '../../src/background/marks';
import { loadThreadRows } from '../../src/background/export';
import { threadDeadline } from '../../src/background/deadlines';
import { ingestBatch } from '../../src/background/ingest';
import { batch, captureRow, exportRow, message } from './factories';

const T = 'whatsapp:120363025246125244@g.us';
const OTHER = 'telegram:42';


describe('thread marks (what bundles carried, what was forwarded)', () => {
  it('reads the exports that name the thread: the newest version carried, and forwarded only with a receipt', async () => {
    const db = openDb('marks-1');
    await db.exports.bulkAdd([
      exportRow([[T, 'a', 1], [T, 'b', 1], [OTHER, 'a', 7]], { receiptId: 'r1' }),
      exportRow([[T, 'b', 2], [T, 'c', 1]]),
      exportRow([[OTHER, 'z', 1]], { receiptId: 'r2' }),
      exportRow([[T, 'd', 1]], { kind: 'email-confirmed-by-user', confirmedAt: '2026-11-21T10:00:00.000Z' }),
    ]);
    const marks = await threadMarks(db, T);
    expect(Object.fromEntries(marks.carried)).toEqual({ a: 1, b: 2, c: 1, d: 1 });
    expect(Object.fromEntries(marks.forwarded)).toEqual({ a: 1, b: 1, d: 1 });
    // A purge needs the records system's receipt: a confirmed email draft is forwarded, not receipted.
    expect(Object.fromEntries(marks.receipted)).toEqual({ a: 1, b: 1 });
    expect(Object.fromEntries((await threadMarks(db, OTHER)).forwarded)).toEqual({ a: 7, z: 1 });
    db.close();
  });

  it('keeps what a message row already says (written before schema v4) as a floor', () => {
    const row = (id: string, over: Partial<MessageRow>): MessageRow => ({
      threadId: T, messageId: id, type: 'message', sentAt: '2026-11-01T12:00:00.000Z', firstSeenAt: 'a', lastSeenAt: 'a', firstPageOrder: 0,
      firstCaptureId: 'c', versionCount: 2, latestFingerprint: '', carriedVersion: 0, forwardedVersion: 0, forwardedAt: null, ...over,
    });
    const rows = withMarks([row('a', { carriedVersion: 2, forwardedVersion: 2 }), row('b', {}), row('c', {})], { carried: new Map([['a', 1], ['b', 2]]), forwarded: new Map([['b', 2]]), receipted: new Map() });
    expect(rows.map((m) => [m.messageId, m.carriedVersion, m.forwardedVersion])).toEqual([['a', 2, 2], ['b', 2, 2], ['c', 0, 0]]);
    const d = threadDeadline({ id: T, platform: 'whatsapp', threadKey: 'x', title: 'T', kind: 'group', participants: [], firstCapturedAt: 'a', lastCapturedAt: 'a', bundles: [] }, rows, 20, Date.parse('2026-11-10T00:00:00.000Z'));
    expect(d).toMatchObject({ messages: 3, notForwarded: 1 });
  });

  it('an incremental export leaves out what an export row says was carried, without any message row saying so', async () => {
    const db = openDb('marks-2');
    await db.captures.add(captureRow('c1', { startedAt: '2026-10-01T10:00:00.000Z' }));
    await ingestBatch(db, batch('c1', 0, [message('M1', { pageOrder: 0 }), message('M2', { pageOrder: 1 }), message('M3', { pageOrder: 2 })]));
    await ingestBatch(db, batch('c1', 1, [message('M2', { text: 'edited', edited: true, pageOrder: 1 })]));
    await db.exports.add(exportRow([[T, 'M1', 1], [T, 'M2', 1]]));
    expect((await db.messages.toArray()).every((m) => m.carriedVersion === 0)).toBe(true);
    const rows = await loadThreadRows(db, T, 'incremental');
    // M2 has a version no bundle carried (its edit), M3 was never carried.
    expect(rows.messages.map((m) => m.messageId).sort()).toEqual(['M2', 'M3']);
    db.close();
  });

  it('v3 → v4: exports written before the index are found by thread', async () => {
    const name = 'migrate-3-to-4';
    const seeded = await openSchemaAt(name, 3);
    await seeded.table('exports').add(exportRow([[T, 'a', 3]], { receiptId: 'r' }));
    seeded.close();
    const db = openDb(name);
    await db.open();
    expect(Object.fromEntries((await threadMarks(db, T)).forwarded)).toEqual({ a: 3 });
    db.close();
  });
});
