/**
 * Which version of each message a bundle carried, and which a records system acknowledged (or the
 * user confirmed emailed), read from the exports that name the thread (schema v4 indexes them by
 * thread). An export records this once, in its own row; message rows are not rewritten, which at
 * 100,000 messages took longer than writing the bundle (docs/performance.md). Message rows keep
 * `carriedVersion` and `forwardedVersion` as earlier versions wrote them, and those count too.
 */
import type { MessageRow, ThreadkeeperDb } from '../db/schema';

export interface ThreadMarks {
  /** messageId → newest version any bundle carried. */
  carried: Map<string, number>;
  /** messageId → newest version carried by a bundle with a receipt (or a confirmed email). */
  forwarded: Map<string, number>;
}

/** Call inside a transaction that includes `exports` when it must agree with other reads. */
export async function threadMarks(db: ThreadkeeperDb, threadId: string): Promise<ThreadMarks> {
  const marks: ThreadMarks = { carried: new Map(), forwarded: new Map() };
  await db.exports.where('threadIds').equals(threadId).each((e) => {
    for (const [t, messageId, version] of e.carried) {
      if (t !== threadId) continue;
      if ((marks.carried.get(messageId) ?? 0) < version) marks.carried.set(messageId, version);
      if (e.receipt && (marks.forwarded.get(messageId) ?? 0) < version) marks.forwarded.set(messageId, version);
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
