/** Shared handles of the service worker: the database and the audit log writer. */
import { openDb } from '../db/schema';

export const db = openDb();

export async function audit(action: string, details: Record<string, unknown>): Promise<void> {
  try {
    await db.audit.add({ at: new Date().toISOString(), action, details });
  } catch (err) {
    console.error('Threadkeeper could not write its audit log', err);
  }
}
