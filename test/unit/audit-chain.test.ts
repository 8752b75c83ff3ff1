import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { openSchemaAt } from '../helpers/db';
import { sha256HexSync } from '../../src/shared/sha256-sync';
import { GENESIS, checkChain, entryHash, type ChainedEntry } from '../../src/shared/audit-chain';
import { openDb, SCHEMA_VERSIONS } from '../../src/db/schema';

function chain(n: number): ChainedEntry[] {
  const out: ChainedEntry[] = [];
  let prevHash = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const e = { seq, at: `2026-11-0${seq}T00:00:00.000Z`, action: 'export', details: { n: seq, title: 'Ünïcode ✓' }, prevHash };
    const hash = entryHash(e);
    out.push({ ...e, hash });
    prevHash = hash;
  }
  return out;
}

describe('synchronous SHA-256', () => {
  it.each(['', 'abc', 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 'ü'.repeat(1000), 'x'.repeat(55), 'y'.repeat(64)])('matches node:crypto for %#', (s) => {
    expect(sha256HexSync(s)).toBe(createHash('sha256').update(s).digest('hex'));
  });
});

describe('audit chain', () => {
  it('holds for an untouched log', () => {
    expect(checkChain(chain(5))).toEqual([]);
  });

  it('detects an edited entry, a removed entry and a reordering', () => {
    const edited = chain(4);
    edited[1] = { ...edited[1]!, details: { n: 99 } };
    expect(checkChain(edited).join(' ')).toMatch(/entry 2: its content does not match its hash/);

    const gap = chain(4);
    gap.splice(2, 1);
    expect(checkChain(gap).join(' ')).toMatch(/entry 4: expected entry 3/);

    const swapped = chain(4);
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    expect(checkChain(swapped).length).toBeGreaterThan(0);
  });
});

describe('schema version 2 migration', () => {
  it('opens a version-1 database: forwarding state added, existing audit entries chained in order', async () => {
    const name = 'migrate-v1-to-v2';
    const v1 = await openSchemaAt(name, 1);
    await v1.table('threads').add({ id: 'whatsapp:x', platform: 'whatsapp', threadKey: 'x', title: 'T', kind: 'group', participants: [], firstCapturedAt: 'a', lastCapturedAt: 'a' });
    await v1.table('messages').add({ threadId: 'whatsapp:x', messageId: 'm1', type: 'message', sentAt: null, firstSeenAt: 'a', lastSeenAt: 'a', firstPageOrder: 0, firstCaptureId: 'c', versionCount: 1, latestFingerprint: 'f' });
    await v1.table('exports').add({ at: 'a', bagName: 'b', fileName: 'b.zip', sha256: 's', keyThumbprint: 'k', threadIds: ['whatsapp:x'], messages: 1, attachments: 0, downloadId: 1 });
    for (const action of ['capture-started', 'capture-finished', 'export']) await v1.table('audit').add({ at: '2026-11-01T00:00:00.000Z', action, details: { a: action } });
    v1.close();

    const db = openDb(name);
    await db.open();
    expect(db.verno).toBe(SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1]!.version); // the newest schema (v3 added an attachment index, v4 an index of exports by thread)
    expect(await db.messages.get(['whatsapp:x', 'm1'])).toMatchObject({ carriedVersion: 0, forwardedVersion: 0, forwardedAt: null });
    expect(await db.threads.get('whatsapp:x')).toMatchObject({ bundles: [] });
    expect(await db.exports.toArray()).toEqual([expect.objectContaining({ scope: 'full', route: 'download', carried: [], receipt: null })]);
    const audit = (await db.audit.orderBy('seq').toArray()) as ChainedEntry[];
    expect(audit.map((e) => e.action)).toEqual(['capture-started', 'capture-finished', 'export']);
    expect(audit[0]!.prevHash).toBe(GENESIS);
    expect(checkChain(audit)).toEqual([]);
    expect(await db.uploads.count()).toBe(0);
    db.close();
  });
});
