/**
 * Storage quota exhausted (issue #6): a batch that cannot be written is refused as a whole, in
 * plain words, and what was kept before stays. IndexedDB reports a full disk as a
 * QuotaExceededError DOMException, which Dexie hands on as its own QuotaExceededError (when a
 * write throws) or as an AbortError whose `inner` is the quota error (when the commit fails, as
 * Chromium does); the user must be told the same thing either way.
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { describeError } from '../../src/background/errors';
import { batch, captureRow, message } from './factories';

const PLAIN = /no more storage space for Threadkeeper; free disk space and try again \(what was already kept is safe\)/;

let db: ThreadkeeperDb;
let n = 0;
const realPut = IDBObjectStore.prototype.put;
const realAdd = IDBObjectStore.prototype.add;

/** From now on every write to IndexedDB fails as a full disk does. */
function fillTheDisk(): void {
  const full = function (): never {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  };
  IDBObjectStore.prototype.put = full;
  IDBObjectStore.prototype.add = full;
}

beforeEach(async () => {
  db = openDb(`storage-full-${n++}`);
  await db.captures.bulkAdd([captureRow('c1'), captureRow('c2')]);
});

afterEach(() => {
  IDBObjectStore.prototype.put = realPut;
  IDBObjectStore.prototype.add = realAdd;
});

describe('a full disk', () => {
  it('refuses the batch as a whole, says so plainly, and keeps what was kept before', async () => {
    await ingestBatch(db, batch('c1', 0, [message('A', { text: 'the permit number is 42' })]));
    fillTheDisk();
    const err = await ingestBatch(db, batch('c1', 1, [message('B'), message('A', { text: 'the permit number is 43', edited: true })])).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).not.toBeNull();
    expect(describeError(err)).toMatch(PLAIN);
    IDBObjectStore.prototype.put = realPut;
    IDBObjectStore.prototype.add = realAdd;
    // Nothing of the refused batch, everything of the one before.
    expect((await db.messages.toArray()).map((m) => [m.messageId, m.versionCount])).toEqual([['A', 1]]);
    expect((await db.versions.toArray()).map((v) => v.content.text)).toEqual(['the permit number is 42']);
    expect((await db.captures.get('c1'))!.appliedSeqs).toEqual([0]);
    // With space again, the same batch goes in (the content script sends it again).
    await ingestBatch(db, batch('c1', 1, [message('B'), message('A', { text: 'the permit number is 43', edited: true })]));
    expect((await db.versions.orderBy('id').toArray()).map((v) => [v.messageId, v.version, v.content.text])).toEqual([
      ['A', 1, 'the permit number is 42'],
      ['B', 1, 'text of B'],
      ['A', 2, 'the permit number is 43'],
    ]);
  });

  it('reads the same whichever way IndexedDB reports it', () => {
    const dom = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    expect(describeError(dom)).toMatch(PLAIN);
    expect(describeError(new Dexie.QuotaExceededError('The quota has been exceeded.', dom))).toMatch(PLAIN);
    // Chromium: the commit fails, the transaction aborts, and Dexie's AbortError carries the cause.
    expect(describeError(new Dexie.AbortError('Transaction aborted', dom))).toMatch(PLAIN);
    expect(describeError(new Error('wrapped', { cause: dom }))).toMatch(PLAIN);
    // A bulk write whose requests failed one by one.
    expect(describeError(new Dexie.BulkError('bulkAdd(): 2 of 2 operations failed', { 0: dom, 1: dom }))).toMatch(PLAIN);
    expect(describeError(new Dexie.BulkError('bulkAdd(): 1 of 2 operations failed', { 1: new Dexie.ConstraintError('Key already exists') }))).not.toMatch(PLAIN);
    // Other errors keep their own words.
    expect(describeError(new Dexie.AbortError('Transaction aborted'))).not.toMatch(PLAIN);
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});
