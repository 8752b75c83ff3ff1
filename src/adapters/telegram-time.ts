/**
 * Web A's sticky day headers ("Today", "Monday", "September 24", "December 30, 2025") and the
 * calendar date each stands for. Web A shows no absolute time in a static page: the time's
 * `title` is only filled on mouseenter (telegram-tt MessageMeta.tsx), so a message's date is its
 * `.message-date-group` header (idx 61413608151) and its time the `.message-time` text.
 *
 * telegram-tt writes the header with `formatHumanDate` (util/dates/dateFormat.ts): "Today",
 * "Yesterday", a weekday name within six days of today, else `toLocaleString(lang, {month:
 * 'long', day: 'numeric'})` with the year only when it is not the current one. Those words are
 * relative to the day the page was drawn, so they are resolved against the reader's clock at
 * capture time. English only [U: other interface languages give null dates].
 */
import { toLocalIso } from '../shared/time';
import type { Clock } from './telegram-parts';

export interface CalendarDate {
  year: number;
  month: number; // 1-12
  day: number;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june',
  'july', 'august', 'september', 'october', 'november', 'december',
];

function isValid(d: CalendarDate): boolean {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= new Date(d.year, d.month, 0).getDate();
}

function localDay(date: Date, shiftDays = 0): CalendarDate {
  const d = new Date(date.getFullYear(), date.getMonth(), date.getDate() + shiftDays);
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate() };
}

/**
 * The date a Web A day header names, seen from `now` (the capture's local date):
 * - "Today" / "Yesterday" (any case);
 * - a weekday: the last such day before yesterday, within the six days before today (Web A
 *   names weekdays only that close, and never today's or yesterday's);
 * - "September 24" (this year, as Web A omits only the current year) or "September 24, 2025";
 *   a leading weekday ("Thursday, September 24, 2026") is allowed.
 * Anything else (scheduled headers, other languages) is null.
 */
export function parseDayHeader(text: string, now: Date): CalendarDate | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (t === 'today') return localDay(now);
  if (t === 'yesterday') return localDay(now, -1);
  const weekday = WEEKDAYS.indexOf(t);
  if (weekday >= 0) {
    for (let back = 2; back <= 6; back++) {
      const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - back);
      if (d.getDay() === weekday) return localDay(d);
    }
    return null;
  }
  const m = /^(?:[a-z]+, )?([a-z]+) (\d{1,2})(?:, (\d{4}))?$/.exec(t);
  if (!m) return null;
  const month = MONTHS.indexOf(m[1] ?? '') + 1;
  if (month === 0) return null;
  const date = { year: m[3] ? Number(m[3]) : now.getFullYear(), month, day: Number(m[2]) };
  return isValid(date) ? date : null;
}

/** Local wall-clock time on that date as ISO 8601 with the browser's offset, seconds `:00`. */
export function toSentAt(date: CalendarDate, clock: Clock): string {
  return toLocalIso(new Date(date.year, date.month - 1, date.day, clock.hour, clock.minute, 0));
}

/** Web K's `data-timestamp` (server `message.date`, Unix seconds; idx 67135349288, 60339295206). */
export function fromUnixSeconds(value: string | null): string | null {
  if (value === null || !/^\d{1,12}$/.test(value.trim())) return null;
  const ms = Number(value.trim()) * 1000;
  return ms > 0 ? toLocalIso(new Date(ms)) : null;
}
