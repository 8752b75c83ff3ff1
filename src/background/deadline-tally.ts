/**
 * The tallies kept on each thread row, so that the popup, the dashboard and the badge do not read
 * every message (or version) of a thread each time they show it: its deadline tally (about 2 s
 * with one thread of 100,000 messages) and how many attachments it keeps (the popup on that chat
 * took 7–8 s: docs/performance.md). Correct by construction, not by timing:
 *  - every write that can change a thread's deadlines raises its `revision` in the same
 *    transaction (ingest, a receipt), and a tally counts only while its revision is the row's;
 *  - a tally is stored only if the row's revision is still the one read with the rows it was
 *    made from;
 *  - ingest carries a current tally forward by adding brand-new messages (new rows are never
 *    forwarded, unless an export names their id: then the tally is not `extendable`); a batch
 *    with a new version of a stored message keeps it only while no message of the thread is
 *    forwarded (an edit then changes nothing: the message was not forwarded and stays so, and its
 *    send time, hence its deadline, stays) and no edit gave a message a send time it lacked;
 *    otherwise it drops it, and the next read makes it again;
 *  - the attachment count goes forward when every attachment the batch's new versions refer to
 *    was not stored before the batch (then no version anywhere referred to it: a version's bytes
 *    are stored with it and deleted only when nothing refers to them); a receipt does not change
 *    it, so it moves to the receipt's revision.
 */
import type { MessageRow, StoredDeadlineTally, ThreadkeeperDb, ThreadRow, VersionRow } from '../db/schema';
import { emptyTally, tallyMessage } from './deadlines';
import { threadMarks, withMarks } from './marks';

/** A tally kept on the row, if it was made at the row's current revision. */
function current<T extends { revision: number }>(thread: ThreadRow, tally: T | undefined): T | null {
  return tally && tally.revision === (thread.revision ?? 0) ? tally : null;
}

/** The row's deadline tally, if it is current. */
export const currentTally = (thread: ThreadRow): StoredDeadlineTally | null => current(thread, thread.deadlineTally);

/** The row's attachment count, if it is current. */
export const currentAttachmentTally = (thread: ThreadRow): { revision: number; count: number } | null => current(thread, thread.attachmentTally);

/** The distinct attachments (SHA-256) these versions refer to, added to `into`. */
export function attachmentHashes(versions: Iterable<VersionRow>, into = new Set<string>()): Set<string> {
  for (const v of versions) for (const a of v.content.attachments) if (a.sha256) into.add(a.sha256);
  return into;
}

/** Writes `patch` on the thread's row if its revision is still `revision` (what the tally was made from). */
async function keepIfUnchanged(db: ThreadkeeperDb, threadId: string, revision: number, patch: Pick<ThreadRow, 'deadlineTally' | 'attachmentTally'>): Promise<void> {
  await db.transaction('rw', db.threads, async () => {
    const now = await db.threads.get(threadId);
    if (now && (now.revision ?? 0) === revision) await db.threads.put({ ...now, ...patch });
  });
}

/**
 * What an ingest batch writes on the thread row besides its own fields: nothing when it added no
 * message and no version; else the next revision, and the tally with the added messages when it
 * can be carried forward.
 */
export function tallyAfterIngest(
  thread: ThreadRow,
  batch: { added: readonly MessageRow[]; newVersions: number; sendTimeLearned?: boolean; versions: readonly VersionRow[]; storedBefore: ReadonlySet<string> },
): Pick<ThreadRow, 'revision' | 'deadlineTally' | 'attachmentTally'> {
  const { added, newVersions, versions, storedBefore } = batch;
  if (added.length === 0 && newVersions === 0) return { revision: thread.revision, deadlineTally: thread.deadlineTally, attachmentTally: thread.attachmentTally };
  const revision = (thread.revision ?? 0) + 1;

  const tally = currentTally(thread);
  let deadlineTally: StoredDeadlineTally | undefined;
  // New versions leave the deadlines as they were while nothing in the thread is forwarded and
  // no send time was learned (see the rules above); the first look after an edit of a huge thread
  // then needs no reading of every message (about 2 s at 100,000 messages).
  const versionsChangeNothing = newVersions === 0 || (tally !== null && tally.notForwarded === tally.messages && batch.sendTimeLearned !== true);
  if (tally && tally.extendable && versionsChangeNothing) {
    deadlineTally = { ...tally, revision };
    for (const m of added) tallyMessage(deadlineTally, m);
  }

  const counted = currentAttachmentTally(thread);
  let attachmentTally: ThreadRow['attachmentTally'];
  const referenced = attachmentHashes(versions);
  if (counted && [...referenced].every((h) => !storedBefore.has(h))) attachmentTally = { revision, count: counted.count + referenced.size };
  return { revision, deadlineTally, attachmentTally };
}

/** Raises the revision of these threads after a receipt (inside the caller's transaction, which must include threads). */
export async function touchThreads(db: ThreadkeeperDb, threadIds: Iterable<string>): Promise<void> {
  for (const id of new Set(threadIds)) {
    await db.threads.where('id').equals(id).modify((t) => {
      const counted = currentAttachmentTally(t);
      t.revision = (t.revision ?? 0) + 1;
      delete t.deadlineTally;
      // Forwarding changes no version: the attachment count still holds.
      if (counted) t.attachmentTally = { revision: t.revision, count: counted.count };
      else delete t.attachmentTally;
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
  await keepIfUnchanged(db, thread.id, read.tally.revision, { deadlineTally: read.tally });
  return { thread: read.row, tally: read.tally };
}

/**
 * How many distinct attachments the thread's versions refer to: the row's kept count when
 * current, else counted from its versions (in one transaction with the row, for its revision)
 * and kept if nothing changed the thread meanwhile.
 */
export async function threadAttachmentCount(db: ThreadkeeperDb, thread: ThreadRow): Promise<number> {
  const kept = currentAttachmentTally(thread);
  if (kept) return kept.count;
  const read = await db.transaction('r', [db.threads, db.versions], async () => {
    const row = await db.threads.get(thread.id);
    const hashes = new Set<string>();
    // A cursor, not toArray(): the versions are not all held at once.
    await db.versions.where('threadId').equals(thread.id).each((v) => attachmentHashes([v], hashes));
    return { revision: row ? (row.revision ?? 0) : null, count: hashes.size };
  });
  if (read.revision !== null) await keepIfUnchanged(db, thread.id, read.revision, { attachmentTally: { revision: read.revision, count: read.count } });
  return read.count;
}
