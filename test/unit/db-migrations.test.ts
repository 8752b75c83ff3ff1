/**
 * Every schema version ever shipped must open with today's code and keep its rows.
 * Today there is one version; when version 2 arrives, seed the version-1 shape here.
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { openDb, SCHEMA_VERSIONS } from '../../src/db/schema';

describe('database schema', () => {
  it('lists versions in ascending order without gaps', () => {
    expect(SCHEMA_VERSIONS.map((v) => v.version)).toEqual(SCHEMA_VERSIONS.map((_, i) => i + 1));
  });

  for (const old of SCHEMA_VERSIONS) {
    it(`opens a database written by version ${old.version} and keeps its rows`, async () => {
      const name = `migrate-from-${old.version}`;
      const seeded = new Dexie(name);
      for (const v of SCHEMA_VERSIONS.filter((s) => s.version <= old.version)) seeded.version(v.version).stores(v.stores);
      await seeded.open();
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
