/**
 * Which version of each message a bundle carried, and which a records system acknowledged (or the
 * user confirmed emailed), read from the exports that name the thread (schema v4 indexes them by
 * thread). An export records this once, in its own row; message rows are not rewritten, which at
 * 100,000 messages took longer than writing the bundle (docs/performance.md). Message rows keep
 * `carriedVersion` and `forwardedVersion` as earlier versions wrote them, and those count too.
 * An export whose download was interrupted (`downloadFailed`), or whose upload stands refused
 * (`uploadRefused`), counts as carrying nothing.
 */
import type { MessageRow, ThreadkeeperDb } from '../db/schema';

export interface ThreadMarks {
  /** messageId → newest version any bundle carried. */
  carried: Map<string, number>;
  /** messageId → newest version carried by a bundle with a receipt (or a confirmed email). */
  forwarded: Map<string, number>;
  /**
   * messageId → newest version carried by a bundle the records system acknowledged with a receipt
   * id: what a purge requires (an emailed bundle the user confirmed sending does not count).
   */
  receipted: Map<string, number>;
}

/** Call inside a transaction that includes `exports` when it must agree with other reads. */
export async function threadMarks(db: ThreadkeeperDb, threadId: string): Promise<ThreadMarks> {
  const marks: ThreadMarks = { carried: new Map(), forwarded: new Map(), receipted: new Map() };
  const raise = (map: Map<string, number>, messageId: string, version: number) => {
    if ((map.get(messageId) ?? 0) < version) map.set(messageId, version);
  };
  await db.exports.where('threadIds').equals(threadId).each((e) => {
    // A bundle whose download was interrupted never reached Downloads, and one whose upload the
    // records system refused (until it is retried) reached nobody: they carried nothing.
    if ((e.downloadFailed || e.uploadRefused) && !e.receipt) return;
    const receipted = typeof e.receipt?.receiptId === 'string';
    for (const [t, messageId, version] of e.carried) {
      if (t !== threadId) continue;
      raise(marks.carried, messageId, version);
      if (e.receipt) raise(marks.forwarded, messageId, version);
      if (receipted) raise(marks.receipted, messageId, version);
    }
  });
  return marks;
}

/** The rows (read from the database, changed in memory only) with the marks folded in. */
export function withMarks(messages: MessageRow[], marks: ThreadMarks): MessageRow[] {
  for (const m of messages) {
    m.carriedVersion = Math.max(m.carriedVersion ?? 0, marks.carried.get(m.messageId) ?? 0);
    m.forwardedVersion = Math.max(m.forwardedVersion ?? 0, marks.forwarded.get(m.messageId) ?? 0);
  }
  return messages;
}
