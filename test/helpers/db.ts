/** Test databases written by an older schema version, as a user upgrading from it would have them. */
import Dexie from 'dexie';
import { SCHEMA_VERSIONS } from '../../src/db/schema';

/** Opens `name` with the schema versions up to `version` (and none after): seed it, close it, then open it with openDb. */
export async function openSchemaAt(name: string, version: number): Promise<Dexie> {
  const db = new Dexie(name);
  for (const v of SCHEMA_VERSIONS.filter((s) => s.version <= version)) db.version(v.version).stores(v.stores);
  await db.open();
  return db;
}
