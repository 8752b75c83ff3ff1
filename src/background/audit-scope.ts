/**
 * Which of the audit log a bundle carries in full. A bundle is often handed on (to the records
 * system, to a requester under FOIA), so the log it carries must not tell the story of the
 * user's other conversations: an entry about another thread is carried withheld — its sequence
 * number and hashes (and, for committed entries, its time and action), without its details —
 * so the verifier still checks the whole chain (src/shared/audit-chain.ts).
 *
 * Carried in full: entries that name one of the bundle's threads (`threadId`, or `threadIds`
 * including one), one of their captures (`captureId`) or an export that carried one of them
 * (`exportId`); and changes of settings, which are about no conversation. An entry that names a
 * thread is decided by that thread alone: an export of several threads together is written as
 * one entry per thread (src/background/exporter.ts), each naming its export too, so the entry
 * about another thread of a shared export stays withheld. Everything else is withheld,
 * including entries this code does not know (a safe default for actions added later). Entries
 * written before that change name every thread of a shared export in `threadIds`, and are
 * carried whole in a bundle of any of them.
 */
import type { AuditRow, ThreadkeeperDb } from '../db/schema';
import { carried, withhold, type CarriedEntry, type ChainedEntry } from '../shared/audit-chain';

/** Actions about the extension as a whole, never about a conversation: carried in full. */
const GLOBAL_ACTIONS = new Set(['settings-changed']);

export interface AuditScope {
  threadIds: ReadonlySet<string>;
  captureIds: ReadonlySet<string>;
  exportIds: ReadonlySet<number>;
}

/** Whether an entry concerns the threads of `scope` (see the module comment). */
export function concerns(entry: Pick<AuditRow, 'action' | 'details'>, scope: AuditScope): boolean {
  if (GLOBAL_ACTIONS.has(entry.action)) return true;
  const d = entry.details;
  const named = typeof d.threadId === 'string' ? [d.threadId] : Array.isArray(d.threadIds) ? d.threadIds : null;
  // Named threads decide: the entry about another thread of a shared export names that export too.
  if (named) return named.some((t) => typeof t === 'string' && scope.threadIds.has(t));
  if (typeof d.captureId === 'string' && scope.captureIds.has(d.captureId)) return true;
  if (typeof d.exportId === 'number' && scope.exportIds.has(d.exportId)) return true;
  return false;
}

/** The scope of a bundle of these threads: their captures and the exports that carried them, read from the database. */
export async function auditScope(db: ThreadkeeperDb, threadIds: string[]): Promise<AuditScope> {
  const [captureIds, exportIds] = threadIds.length === 0
    ? [[], []]
    : await Promise.all([db.captures.where('threadId').anyOf(threadIds).primaryKeys(), db.exports.where('threadIds').anyOf(threadIds).primaryKeys()]);
  return { threadIds: new Set(threadIds), captureIds: new Set(captureIds), exportIds: new Set(exportIds as number[]) };
}

/** The log as a bundle of `scope`'s threads carries it: every entry, in order, each in full or withheld. */
export function auditForBundle(log: readonly AuditRow[], scope: AuditScope): CarriedEntry[] {
  return log.map((row) => {
    const entry = row as ChainedEntry;
    return concerns(row, scope) ? carried(entry) : withhold(entry);
  });
}
