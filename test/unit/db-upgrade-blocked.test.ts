/**
 * An upgrade while an older copy holds the database open (issue #6): nothing lost, and the user
 * told. fake-indexeddb implements `versionchange` and `blocked` as browsers do.
 */
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { openDb, SCHEMA_VERSIONS } from '../../src/db/schema';
import { DB_BLOCKED, watchOpen } from '../../src/db/open-watch';

const first = SCHEMA_VERSIONS[0]!;
const latest = SCHEMA_VERSIONS[SCHEMA_VERSIONS.length - 1]!.version;
const thread = { id: 'whatsapp:x', platform: 'whatsapp', threadKey: 'x', title: 'Bridge', kind: 'group', participants: [], firstCapturedAt: 'a', lastCapturedAt: 'a' };

async function seedVersion1(name: string): Promise<void> {
  const old = new Dexie(name);
  old.version(first.version).stores(first.stores);
  await old.table('threads').add(thread);
  old.close();
}

describe('opening a newer schema while an older copy has the database open', () => {
  it('a connection that never lets go blocks the upgrade: the reason is given, and once it closes everything is there', async () => {
    const name = 'blocked-upgrade';
    await seedVersion1(name);
    // An older page that ignores versionchange (raw IndexedDB, no handler).
    const holder = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(name, first.version * 10); // Dexie stores version × 10
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });

    const db = openDb(name);
    const told: (string | null)[] = [];
    const watch = watchOpen(db, (p) => told.push(p));
    expect(watch.problem()).toBeNull();
    let opened = false;
    const opening = db.open().then(() => (opened = true));
    await expect.poll(() => watch.problem()).toBe(DB_BLOCKED);
    expect(opened).toBe(false);

    holder.close();
    await opening;
    expect(watch.problem()).toBeNull();
    expect(told).toEqual([DB_BLOCKED, null]);
    expect(db.verno).toBe(latest);
    expect(await db.threads.get('whatsapp:x')).toMatchObject({ title: 'Bridge' });
    db.close();
  });

  it('an older Dexie connection (an old service worker) steps aside: no block, nothing lost', async () => {
    const name = 'polite-upgrade';
    await seedVersion1(name);
    const old = new Dexie(name);
    old.version(first.version).stores(first.stores);
    await old.open();

    const db = openDb(name);
    const watch = watchOpen(db);
    await db.open();
    expect(watch.problem()).toBeNull();
    expect(old.isOpen()).toBe(false);
    expect(await db.threads.get('whatsapp:x')).toMatchObject({ title: 'Bridge' });
    db.close();
  });
});
