/**
 * WhatsApp Web times: the `data-pre-plain-text` prefix, the visible time in a bubble, calendar
 * arithmetic, and which of day and month comes first. Pure functions over strings; whatsapp.ts
 * gathers the page's evidence. Date chips are in whatsapp-chips.ts. Facts: research notes
 * messenger-dom.md §1 "data-pre-plain-text" (idx 58239925124, 71042067677, 69784540129).
 */
import { toLocalIso } from '../shared/time';

export interface CalendarDate {
  year: number;
  month: number; // 1-12
  day: number;
}

export interface ClockTime {
  hour: number; // 0-23
  minute: number;
  twelveHour: boolean;
}

export type DayMonthOrder = 'DMY' | 'MDY';

/** A numeric date before we know whether it is D/M or M/D. */
export interface NumericDate {
  first: number;
  second: number;
  third: number;
  /** `2026/09/28` style: year, month, day; needs no order. */
  yearFirst: boolean;
}

export interface PrePlainText {
  /** The bracketed part as shown, e.g. "[10:54 PM, 12/9/2025]". */
  bracket: string;
  time: ClockTime;
  date: NumericDate;
  sender: string;
}

/** `[10:54 PM, 12/9/2025] Name: ` — sender may itself contain ": ", so the last one ends it. */
const PRE_PLAIN = /^\s*(\[\s*([^\]]*?)\s*,\s*([^\]]*?)\s*\])\s*([\s\S]*?)\s*:\s*$/;
/** 10:54 PM, 22:54, 10.54, 10:54 p.m. (\s also matches the U+202F narrow space Chrome puts before PM). */
const CLOCK = /^(\d{1,2})[:.](\d{2})(?:[:.]\d{2})?(?:\s*([ap])\.?\s?m\.?)?$/i;
const NUMERIC_DATE = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})\.?$/;

export function parseClock(text: string): ClockTime | null {
  const m = CLOCK.exec(text.trim());
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2]);
  const meridiem = m[3]?.toLowerCase();
  if (minute > 59) return null;
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  } else if (hour > 23) return null;
  return { hour, minute, twelveHour: meridiem !== undefined };
}

export function parseNumericDate(text: string): NumericDate | null {
  const m = NUMERIC_DATE.exec(text.trim());
  if (!m) return null;
  const [first, second, third] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const yearFirst = (m[1] ?? '').length === 4;
  if (!yearFirst && (m[1] ?? '').length > 2) return null;
  return { first, second, third, yearFirst };
}

/** Parses the pre-plain-text prefix; null when it is not in the `[time, date] sender: ` shape. */
export function parsePrePlainText(value: string): PrePlainText | null {
  const m = PRE_PLAIN.exec(value);
  if (!m) return null;
  const [, bracket = '', a = '', b = '', sender = ''] = m;
  // Locales put the time first; accept the date first too rather than lose the row's time.
  const time = parseClock(a) ?? parseClock(b);
  const date = parseNumericDate(b) ?? parseNumericDate(a);
  if (!time || !date) return null;
  return { bracket: bracket.trim(), time, date, sender: sender.trim() };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * By arithmetic, not a Date per call: every read checks every date on the page several times.
 * Years 0–99 count as 1900–1999, as Date.UTC reads them (what this did before).
 */
export function isValidDate(d: CalendarDate): boolean {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  const y = d.year >= 0 && d.year <= 99 ? 1900 + d.year : d.year;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d.day <= (d.month === 2 && leap ? 29 : DAYS_IN_MONTH[d.month - 1]!);
}

/** The calendar date a numeric date means under `order`; null when that reading is impossible. */
export function resolveNumericDate(n: NumericDate, order: DayMonthOrder): CalendarDate | null {
  const fullYear = (y: number): number => (y < 100 ? 2000 + y : y);
  const date = n.yearFirst
    ? { year: n.first, month: n.second, day: n.third }
    : order === 'DMY'
      ? { year: fullYear(n.third), month: n.second, day: n.first }
      : { year: fullYear(n.third), month: n.first, day: n.second };
  return isValidDate(date) ? date : null;
}

/** Days since 1970-01-01 (UTC arithmetic, so daylight saving never shifts a day). */
export function dayNumber(d: CalendarDate): number {
  return Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;
}

export function fromDayNumber(n: number): CalendarDate {
  const t = new Date(n * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(d: CalendarDate): number {
  return new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay();
}

export function isoDay(d: CalendarDate): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.year, 4)}-${p(d.month)}-${p(d.day)}`;
}

/** Local wall-clock time on that date, as ISO 8601 with the browser's offset, seconds :00. */
export function toSentAt(date: CalendarDate, time: ClockTime): string {
  return toLocalIso(new Date(date.year, date.month - 1, date.day, time.hour, time.minute, 0));
}

// ---- Day/month order ----------------------------------------------------------------------

export interface OrderEvidence {
  /** Numeric dates on the page in document order: pre-plain-text dates and numeric chips. */
  numericDates: NumericDate[];
  /** Long-form chips: was the month name written before the day? */
  longChipsMonthFirst: boolean[];
  /** `document.documentElement.lang`. */
  lang: string | null;
  /** Any 12-hour time (AM/PM) on the page. */
  twelveHour: boolean;
}

export type OrderRule = 'component-over-12' | 'long-chip' | 'chronology' | 'lang' | 'clock' | 'default';

/**
 * D/M or M/D, from the page's own evidence, strongest first:
 * 1. a day/month component over 12 (first decisive date wins);
 * 2. a long-form date chip: month name before the day ⇒ M/D;
 * 3. chronology: rows are in time order, so if exactly one reading keeps the dates
 *    non-decreasing, it is that one;
 * 4. `<html lang>`: en-US ⇒ M/D, any other language with or without region (pt-BR, en-GB,
 *    de …) ⇒ D/M, bare "en" says nothing;
 * 5. a 12-hour clock ⇒ M/D (the US is the big 12-hour, month-first user);
 * 6. otherwise D/M, the order of most 24-hour locales.
 */
export function resolveDayMonthOrder(e: OrderEvidence): { order: DayMonthOrder; rule: OrderRule } {
  const ambiguous = e.numericDates.filter((d) => !d.yearFirst);
  for (const d of ambiguous) {
    if (d.first > 12 && d.second <= 12) return { order: 'DMY', rule: 'component-over-12' };
    if (d.second > 12 && d.first <= 12) return { order: 'MDY', rule: 'component-over-12' };
  }
  const long = e.longChipsMonthFirst[0];
  if (long !== undefined) return { order: long ? 'MDY' : 'DMY', rule: 'long-chip' };
  const chronological = (['DMY', 'MDY'] as const).filter((order) => {
    // year·10⁴ + month·10² + day orders valid dates as the calendar does, without a Date.
    let last = -Infinity;
    for (const d of ambiguous) {
      const date = resolveNumericDate(d, order);
      const key = date ? date.year * 10_000 + date.month * 100 + date.day : Number.NaN;
      if (!(key >= last)) return false;
      last = key;
    }
    return true;
  });
  if (chronological.length === 1 && chronological[0]) return { order: chronological[0], rule: 'chronology' };
  const lang = e.lang?.trim().toLowerCase().replace('_', '-') ?? '';
  if (lang === 'en-us') return { order: 'MDY', rule: 'lang' };
  if (lang !== '' && lang !== 'en') return { order: 'DMY', rule: 'lang' };
  if (e.twelveHour) return { order: 'MDY', rule: 'clock' };
  return { order: 'DMY', rule: 'default' };
}
