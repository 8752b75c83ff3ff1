/**
 * The deadline tally kept on each thread row, so that the popup, the dashboard and the badge do
 * not read every message of every thread each time (about 2 s with one thread of 100,000
 * messages: docs/performance.md). Correct by construction, not by timing:
 *  - every write that can change a thread's deadlines raises its `revision` in the same
 *    transaction (ingest, a receipt), and a tally counts only while its revision is the row's;
 *  - a tally is stored only if the row's revision is still the one read with the rows it was
 *    made from;
 *  - ingest carries a current tally forward by adding brand-new messages (new rows are never
 *    forwarded, unless an export names their id: then the tally is not `extendable`); a batch
 *    with a new version of a stored message drops it, and the next read makes it again.
 */
import type { MessageRow, StoredDeadlineTally, ThreadkeeperDb, ThreadRow } from '../db/schema';
import { emptyTally, tallyMessage } from './deadlines';
import { threadMarks, withMarks } from './marks';

/** The row's tally, if it is current. */
export function currentTally(thread: ThreadRow): StoredDeadlineTally | null {
  const t = thread.deadlineTally;
  return t && t.revision === (thread.revision ?? 0) ? t : null;
}

/**
 * What an ingest batch writes on the thread row besides its own fields: nothing when it added no
 * message and no version; else the next revision, and the tally with the added messages when it
 * can be carried forward.
 */
export function tallyAfterIngest(thread: ThreadRow, added: readonly MessageRow[], newVersions: number): Pick<ThreadRow, 'revision' | 'deadlineTally'> {
  if (added.length === 0 && newVersions === 0) return { revision: thread.revision, deadlineTally: thread.deadlineTally };
  const revision = (thread.revision ?? 0) + 1;
  const tally = currentTally(thread);
  if (!tally || !tally.extendable || newVersions > 0) return { revision, deadlineTally: undefined };
  const next: StoredDeadlineTally = { ...tally, revision };
  for (const m of added) tallyMessage(next, m);
  return { revision, deadlineTally: next };
}

/** Raises the revision of these threads (inside the caller's transaction, which must include threads). */
export async function touchThreads(db: ThreadkeeperDb, threadIds: Iterable<string>): Promise<void> {
  for (const id of new Set(threadIds)) {
    await db.threads.where('id').equals(id).modify((t) => {
      t.revision = (t.revision ?? 0) + 1;
      delete t.deadlineTally;
    });
  }
}

/**
 * The thread's tally: the stored one when current, else made from its message rows and the
 * exports that name it (read in one transaction with the row, for its revision) and stored if
 * nothing changed the thread meanwhile. Null when the thread is gone.
 */
export async function threadTally(db: ThreadkeeperDb, thread: ThreadRow): Promise<{ thread: ThreadRow; tally: StoredDeadlineTally } | null> {
  const kept = currentTally(thread);
  if (kept) return { thread, tally: kept };
  const read = await db.transaction('r', [db.threads, db.messages, db.exports], async () => {
    const row = await db.threads.get(thread.id);
    if (!row) return null;
    const [messages, marks] = await Promise.all([db.messages.where('threadId').equals(thread.id).toArray(), threadMarks(db, thread.id)]);
    const tally: StoredDeadlineTally = { ...emptyTally(), revision: row.revision ?? 0, extendable: true };
    const ids = new Set<string>();
    for (const m of withMarks(messages, marks)) {
      tallyMessage(tally, m);
      ids.add(m.messageId);
    }
    for (const id of marks.forwarded.keys()) if (!ids.has(id)) tally.extendable = false;
    return { row, tally };
  });
  if (!read) return null;
  await db.transaction('rw', db.threads, async () => {
    const now = await db.threads.get(thread.id);
    if (now && (now.revision ?? 0) === read.tally.revision) await db.threads.put({ ...now, deadlineTally: read.tally });
  });
  return { thread: read.row, tally: read.tally };
}
