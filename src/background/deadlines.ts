/**
 * Forwarding deadlines (44 U.S.C. 2911): each message must reach the official record within
 * `deadlineDays` (default 20) of being sent. A message is forwarded when a records system
 * acknowledged a bundle carrying its newest version with a receipt (or the user confirmed the
 * email draft was sent). Per thread we show the earliest deadline among its unforwarded messages.
 */
import type { DeadlineTally, MessageRow, ThreadRow } from '../db/schema';

export const DAY_MS = 86_400_000;

export interface ThreadDeadline {
  threadId: string;
  platform: string;
  title: string;
  messages: number;
  notForwarded: number;
  /** ISO time of the earliest deadline among unforwarded messages, or null when none is pending. */
  earliestDeadline: string | null;
  state: 'forwarded' | 'due' | 'overdue' | 'undated';
  /** Whole days until the earliest deadline (negative when overdue). */
  daysLeft: number | null;
}

export function isForwarded(m: Pick<MessageRow, 'versionCount' | 'forwardedVersion'>): boolean {
  return (m.forwardedVersion ?? 0) >= m.versionCount;
}

export const emptyTally = (): DeadlineTally => ({ messages: 0, notForwarded: 0, earliestBase: null, undated: 0 });

/** Adds one message row to `tally` (in place), forwarded or not as `isForwarded` says. */
export function tallyMessage(tally: DeadlineTally, m: Pick<MessageRow, 'type' | 'sentAt' | 'firstSeenAt' | 'versionCount' | 'forwardedVersion'>): DeadlineTally {
  if (m.type !== 'message') return tally;
  tally.messages++;
  if (isForwarded(m)) return tally;
  tally.notForwarded++;
  const sent = m.sentAt ? Date.parse(m.sentAt) : Number.NaN;
  // A message whose send time the page did not show is counted from when we first saw it.
  const base = Number.isNaN(sent) ? Date.parse(m.firstSeenAt) : sent;
  if (Number.isNaN(sent)) tally.undated++;
  if (tally.earliestBase === null || base < tally.earliestBase) tally.earliestBase = base;
  return tally;
}

export function deadlineFromTally(thread: ThreadRow, tally: DeadlineTally, deadlineDays: number, now: number): ThreadDeadline {
  const earliest = tally.earliestBase === null ? null : tally.earliestBase + deadlineDays * DAY_MS;
  const daysLeft = earliest === null ? null : Math.floor((earliest - now) / DAY_MS);
  return {
    threadId: thread.id,
    platform: thread.platform,
    title: thread.title,
    messages: tally.messages,
    notForwarded: tally.notForwarded,
    earliestDeadline: earliest === null ? null : new Date(earliest).toISOString(),
    state: earliest === null ? 'forwarded' : earliest < now ? 'overdue' : tally.undated === tally.notForwarded ? 'undated' : 'due',
    daysLeft,
  };
}

export function threadDeadline(thread: ThreadRow, messages: MessageRow[], deadlineDays: number, now: number): ThreadDeadline {
  const tally = emptyTally();
  for (const m of messages) tallyMessage(tally, m);
  return deadlineFromTally(thread, tally, deadlineDays, now);
}

/** Plain words for a deadline state, as the popup and dashboard show it. */
export function deadlineWords(d: ThreadDeadline): string {
  if (d.state === 'forwarded') return 'forwarded';
  if (d.state === 'overdue') return `overdue by ${Math.max(1, -(d.daysLeft ?? 0))} day${-(d.daysLeft ?? 0) > 1 ? 's' : ''}`;
  const n = d.daysLeft ?? 0;
  return n <= 0 ? 'due today' : `due in ${n} day${n === 1 ? '' : 's'}`;
}

/** Threads the badge counts: due within three days, overdue included. */
export function dueSoon(list: ThreadDeadline[], now: number, withinDays = 3): ThreadDeadline[] {
  return list.filter((d) => d.earliestDeadline !== null && Date.parse(d.earliestDeadline) - now <= withinDays * DAY_MS);
}
