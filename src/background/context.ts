/** Shared handles of the service worker: the database and the audit log writer. */
import browser from 'webextension-polyfill';
import { openDb } from '../db/schema';
import { watchOpen } from '../db/open-watch';
import { GENESIS, commitEntry } from '../shared/audit-chain';

export const db = openDb();
/** Whether the database can be used (an upgrade blocked by an older copy cannot). */
export const dbState = watchOpen(db, (problem) => {
  // Said on the toolbar too, for a user who does not open the popup.
  void browser.action.setTitle({ title: problem ? `Threadkeeper: ${problem}` : '' }).catch(() => undefined);
  if (problem) void browser.action.setBadgeText({ text: '!' }).catch(() => undefined);
});

/**
 * Appends an entry to the hash-chained audit log, and fails when it cannot. The hash is computed
 * synchronously inside the transaction, so two writers cannot both link to the same previous
 * entry. Entries are committed (src/shared/audit-chain.ts): a bundle can carry one about another
 * conversation without its details.
 *
 * Called inside a transaction whose tables include `db.audit`, the entry is written in that
 * transaction (Dexie nests it): the act and its entry are committed together or not at all. That
 * is how a purge, a recorded export and a receipt are written, so a worker stopped, or a disk
 * full, between the act and its entry cannot leave an act the audit log does not show.
 */
export async function appendAudit(action: string, details: Record<string, unknown>): Promise<void> {
  const clean = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  await db.transaction('rw', db.audit, async () => {
    const last = await db.audit.orderBy('seq').last();
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS;
    const at = new Date().toISOString();
    await db.audit.add(commitEntry(seq, at, action, clean, prevHash));
  });
}

/**
 * An audit entry on its own, best effort: for what is already done or did not happen (a capture
 * started, an export that failed, a refused message), whose caller must go on either way. A
 * failure is logged, not thrown.
 */
export async function audit(action: string, details: Record<string, unknown>): Promise<void> {
  try {
    await appendAudit(action, details);
  } catch (err) {
    console.error('Threadkeeper could not write its audit log', err);
  }
}
