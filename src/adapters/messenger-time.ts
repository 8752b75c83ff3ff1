/**
 * Facebook Messenger times. The page shows no machine-readable time: only separator rows
 * ("Jul 11, 2025, 5:35 PM", research §6) and, in builds that have them, accessibility labels
 * on each message ("Enter, Message sent 5:35 PM by Ana: …", idx 63335914929, 68836771189;
 * "At June 11, 2026, 8:59 AM, You: …", idx 71261577916). Recent times are relative ("5:35 PM"
 * today, "Yesterday at 5:35 PM", "Wed 5:35 PM" within the week), so they are resolved against
 * the capture clock, in the browser's zone, which is the zone the page rendered them in.
 * English (en-US and en-GB orders) only [U: other locales are not parsed].
 */

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Index of the full name `word` is, or abbreviates to 3+ letters ("Sep", "Sept", "Wed"); else null. */
function nameIndex(names: readonly string[], word: string): number | null {
  const w = word.toLowerCase().replace(/\.$/, '');
  if (w.length < 3) return null;
  const i = names.findIndex((n) => n.startsWith(w));
  return i >= 0 ? i : null;
}

/** `…<date part>[,| at ]<h:mm>[ AM|PM]` (\s also covers the narrow no-break space before PM). */
const TRAILING_TIME = /^(.*?)(?:,?\s+at\s+|,\s*|\s+|^)(\d{1,2})[:.](\d{2})(?:\s*([ap])\.?\s?m\.?)?$/i;

/**
 * The local instant a Messenger time text stands for, or null when it is not one we know.
 * `now` anchors "today", "yesterday", weekdays and dates shown without a year.
 */
export function parseMessengerTime(text: string, now: Date): Date | null {
  const t = text.replace(/[\u00a0\u202f]/g, ' ').replace(/\s+/g, ' ').trim();
  const m = TRAILING_TIME.exec(t);
  if (!m) return null;
  let hour = Number(m[2]);
  const minute = Number(m[3]);
  const meridiem = m[4]?.toLowerCase();
  if (minute > 59) return null;
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  } else if (hour > 23) return null;

  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  // Day arithmetic through the Date constructor: day 0 is the last day of the month before.
  const at = (y: number, mo: number, d: number): Date => new Date(y, mo, d, hour, minute, 0, 0);
  const datePart = (m[1] ?? '').replace(/,$/, '').trim();
  const words = datePart.split(/[\s,]+/).filter(Boolean);
  if (words.length === 0 || /^today$/i.test(datePart)) return at(today.getFullYear(), today.getMonth(), today.getDate());
  if (/^yesterday$/i.test(datePart)) return at(today.getFullYear(), today.getMonth(), today.getDate() - 1);

  // A leading weekday: alone it means the last such day before today (Messenger names
  // weekdays only within the past week; today's times show no day at all).
  const weekday = nameIndex(WEEKDAYS, words[0] ?? '');
  if (weekday !== null) {
    words.shift();
    if (words.length === 0) {
      const back = (today.getDay() - weekday + 7) % 7 || 7;
      return at(today.getFullYear(), today.getMonth(), today.getDate() - back);
    }
  }

  // "Jul 11, 2025", "July 11", "11 Jul 2025", "11 July".
  let month: number | null = null;
  let day: number | null = null;
  let year: number | null = null;
  for (const w of words) {
    const mo = nameIndex(MONTHS, w);
    if (mo !== null && month === null) month = mo;
    else if (/^\d{1,2}$/.test(w) && day === null) day = Number(w);
    else if (/^\d{4}$/.test(w) && year === null) year = Number(w);
    else return null;
  }
  if (month === null || day === null || day < 1 || day > 31) return null;
  if (year === null) {
    // No year: this year, unless that would be in the future, then last year.
    year = today.getFullYear();
    if (new Date(year, month, day) > today) year -= 1;
  }
  const date = new Date(year, month, day, hour, minute, 0, 0);
  return date.getDate() === day ? date : null;
}
