/**
 * Every schema version ever shipped must open with today's code and keep its rows; each
 * upgrade with a shape change has its own test, seeded in the version before it.
 */
import 'fake-indexeddb/auto';
import { openSchemaAt } from '../helpers/db';
import { describe, expect, it } from 'vitest';
import { openDb, SCHEMA_VERSIONS } from '../../src/db/schema';

describe('database schema', () => {
  it('lists versions in ascending order without gaps', () => {
    expect(SCHEMA_VERSIONS.map((v) => v.version)).toEqual(SCHEMA_VERSIONS.map((_, i) => i + 1));
  });

  for (const old of SCHEMA_VERSIONS) {
    it(`opens a database written by version ${old.version} and keeps its rows`, async () => {
      const name = `migrate-from-${old.version}`;
      const seeded = await openSchemaAt(name, old.version);
      await seeded.table('threads').add({ id: 'whatsapp:x', platform: 'whatsapp', threadKey: 'x', title: 'T', kind: 'group', participants: [], firstCapturedAt: 'a', lastCapturedAt: 'a' });
      await seeded.table('messages').add({ threadId: 'whatsapp:x', messageId: 'm1', type: 'message', sentAt: null, firstSeenAt: 'a', lastSeenAt: 'a', firstPageOrder: 0, firstCaptureId: 'c', versionCount: 1, latestFingerprint: 'f' });
      await seeded.table('versions').add({ threadId: 'whatsapp:x', messageId: 'm1', version: 1, kind: 'original', observedAt: 'a', captureId: 'c', fingerprint: 'f', content: {} });
      seeded.close();

      const db = openDb(name);
      await db.open();
      expect(db.verno).toBe(SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1]!.version);
      expect(await db.threads.get('whatsapp:x')).toMatchObject({ title: 'T' });
      expect(await db.messages.get(['whatsapp:x', 'm1'])).toMatchObject({ versionCount: 1 });
      // Versions stay append-only: the same version number cannot be written twice.
      await expect(db.versions.add({ threadId: 'whatsapp:x', messageId: 'm1', version: 1, kind: 'edited', observedAt: 'b', captureId: 'c', fingerprint: 'g', content: {} as never })).rejects.toThrow();
      db.close();
    });
  }

  it('v2 → v3: attachment metadata is readable from the new index without the bytes, and an upload queued with inline bytes keeps them', async () => {
    const name = 'migrate-2-to-3';
    const seeded = await openSchemaAt(name, 2);
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    await seeded.table('attachments').bulkAdd([
      { sha256: 'aa', mediaType: 'image/png', size: 5, bytes, firstSeenAt: 'a' },
      { sha256: 'bb', mediaType: 'video/mp4', size: 3, bytes: bytes.subarray(0, 3), firstSeenAt: 'a' },
    ]);
    await seeded.table('uploads').add({ id: 'z', exportId: 1, bagName: 'b', sha256: 'z', keyThumbprint: 'k', zip: bytes, endpoint: 'https://r.example', status: 'queued', attempts: 0, nextAttemptAt: 0, lastError: null, receipt: null, createdAt: 'a' });
    seeded.close();

    const db = openDb(name);
    await db.open();
    expect(await db.attachments.orderBy('[sha256+mediaType+size]').keys()).toEqual([['aa', 'image/png', 5], ['bb', 'video/mp4', 3]]);
    expect(await db.uploads.get('z')).toMatchObject({ file: null, zip: bytes, status: 'queued' });
    // A row written by v3 code is indexed as it is added.
    await db.attachments.add({ sha256: 'cc', mediaType: 'audio/ogg', size: 1, bytes: bytes.subarray(0, 1), firstSeenAt: 'b' });
    expect(await db.attachments.where('[sha256+mediaType+size]').equals(['cc', 'audio/ogg', 1]).primaryKeys()).toEqual(['cc']);
    db.close();
  });

  it('v4 → v5: exports are found by their download, and one with no download is kept unindexed', async () => {
    const name = 'migrate-4-to-5';
    const seeded = await openSchemaAt(name, 4);
    const row = (downloadId: number | null, route: string) => ({
      at: 'a', bagName: 'b', externalIdentifier: 'urn:x', fileName: 'b.zip', sha256: 's', keyThumbprint: 'k', threadIds: ['whatsapp:x'],
      messages: 1, attachments: 0, downloadId, scope: 'full', route, carried: [['whatsapp:x', 'm1', 1]], receipt: null,
    });
    await seeded.table('exports').bulkAdd([row(7, 'download'), row(null, 'upload')]);
    seeded.close();

    const db = openDb(name);
    await db.open();
    expect(await db.exports.count()).toBe(2);
    expect(await db.exports.where('downloadId').equals(7).first()).toMatchObject({ route: 'download', carried: [['whatsapp:x', 'm1', 1]] });
    expect(await db.exports.orderBy('downloadId').count()).toBe(1);
    expect(await db.exports.where('threadIds').equals('whatsapp:x').count()).toBe(2);
    db.close();
  });

  it('keeps a non-extractable signing key usable after a round trip', async () => {
    const db = openDb('keys');
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    await db.signingKeys.add({ id: 'device', pair, publicJwk: {}, thumbprint: 't', createdAt: 'a' });
    const back = await db.signingKeys.get('device');
    expect(back!.pair.privateKey.extractable).toBe(false);
    const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, back!.pair.privateKey, new Uint8Array([1]));
    expect(sig.byteLength).toBe(64);
  });
});
