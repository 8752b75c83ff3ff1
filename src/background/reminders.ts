/**
 * Deadline reminders: the toolbar badge counts threads due within three days (overdue
 * included), refreshed hourly and after every capture, export and receipt; one notification a
 * day at most when a deadline is within a day or passed — never a stream of them.
 */
import browser from 'webextension-polyfill';
import { db } from './context';
import { loadSettings } from './settings';
import { DAY_MS, deadlineFromTally, deadlineWords, dueSoon, type ThreadDeadline } from './deadlines';
import { threadTally } from './deadline-tally';

export const DEADLINE_ALARM = 'tk-deadlines';

/**
 * Every thread's deadline. Each thread's tally is kept on its row between calls and made again
 * from its messages only after a write changed them (src/background/deadline-tally.ts).
 */
export async function threadDeadlines(now = Date.now()): Promise<ThreadDeadline[]> {
  const { deadlineDays } = await loadSettings();
  const threads = await db.threads.toArray();
  const out: ThreadDeadline[] = [];
  for (const t of threads) {
    const found = await threadTally(db, t);
    if (found) out.push(deadlineFromTally(found.thread, found.tally, deadlineDays, now));
  }
  const rank = (d: ThreadDeadline) => (d.earliestDeadline ? Date.parse(d.earliestDeadline) : Number.POSITIVE_INFINITY);
  return out.sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title));
}

export async function refreshReminders(now = Date.now()): Promise<void> {
  const list = await threadDeadlines(now);
  const soon = dueSoon(list, now);
  await browser.action.setBadgeText({ text: soon.length ? String(soon.length) : '' });
  if (soon.length) await browser.action.setBadgeBackgroundColor({ color: soon.some((d) => d.state === 'overdue') ? '#a00' : '#c77700' });

  const urgent = list.filter((d) => d.earliestDeadline !== null && Date.parse(d.earliestDeadline) - now <= DAY_MS);
  if (urgent.length === 0) return;
  const today = new Date(now).toISOString().slice(0, 10);
  const { lastDeadlineNotice } = await browser.storage.local.get('lastDeadlineNotice');
  if (lastDeadlineNotice === today) return;
  await browser.storage.local.set({ lastDeadlineNotice: today });
  const first = urgent[0]!;
  await browser.notifications.create('tk-deadline', {
    type: 'basic',
    iconUrl: browser.runtime.getURL('icons/icon-128.png'),
    title: 'Threadkeeper: records to forward',
    message: urgent.length === 1
      ? `“${first.title}”: ${first.notForwarded} message${first.notForwarded === 1 ? '' : 's'} ${deadlineWords(first)}.`
      : `${urgent.length} conversations have messages due within a day or overdue. Open the dashboard to forward them.`,
    priority: 1,
  });
}
