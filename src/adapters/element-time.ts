/**
 * Element times: date separators ("Thu, Sep 24, 2026", "Thu 24 Sept 2026", "Today",
 * "Monday"), the time a tile shows ("10:30", "10:30AM", "2:05 PM") and the full date older
 * builds put in the timestamp's `title` ("Thu, Sep 21 2023 10:30:15"). Pure functions over
 * strings; element.ts decides which applies. Facts: research notes messenger-dom.md §6 (date
 * separators, idx 33145874712) and Element's DateUtils (formatFullDateNoTime, formatFullDate,
 * formatTime: `_t` templates until 2023, `Intl.DateTimeFormat` since).
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
  second: number | null;
}

export type SeparatorDate =
  | { kind: 'date'; date: CalendarDate }
  | { kind: 'today' }
  | { kind: 'yesterday' }
  /** Element names the weekday for days within the last 6 (DateSeparator.getLabel). */
  | { kind: 'weekday'; weekday: number };

/** Lower case, no accents, no trailing dot: "Sept." → "sept", "Déc." → "dec". */
function norm(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\.$/, '');
}

// Element's own languages beyond English are many; these are en, de, fr, es, pt [U for all but en].
const TODAY = ['today', 'heute', "aujourd'hui", 'hoy', 'hoje'];
const YESTERDAY = ['yesterday', 'gestern', 'hier', 'ayer', 'ontem'];
const WEEKDAYS: readonly (readonly string[])[] = [
  ['sunday', 'sun', 'sonntag', 'so', 'dimanche', 'dim', 'domingo', 'dom'],
  ['monday', 'mon', 'montag', 'mo', 'lundi', 'lun', 'lunes', 'segunda-feira', 'segunda', 'seg'],
  ['tuesday', 'tue', 'tues', 'dienstag', 'di', 'mardi', 'mar', 'martes', 'terca-feira', 'terca', 'ter'],
  ['wednesday', 'wed', 'mittwoch', 'mi', 'mercredi', 'mer', 'miercoles', 'mie', 'quarta-feira', 'quarta', 'qua'],
  ['thursday', 'thu', 'thurs', 'donnerstag', 'do', 'jeudi', 'jeu', 'jueves', 'jue', 'quinta-feira', 'quinta', 'qui'],
  ['friday', 'fri', 'freitag', 'fr', 'vendredi', 'ven', 'viernes', 'vie', 'sexta-feira', 'sexta', 'sex'],
  ['saturday', 'sat', 'samstag', 'sa', 'samedi', 'sam', 'sabado', 'sab'],
];
const MONTHS: readonly (readonly string[])[] = [
  ['january', 'jan', 'januar', 'janvier', 'janv', 'enero', 'ene', 'janeiro'],
  ['february', 'feb', 'februar', 'fevrier', 'fevr', 'febrero', 'fev', 'fevereiro'],
  ['march', 'mar', 'marz', 'mrz', 'mars', 'marzo', 'marco'],
  ['april', 'apr', 'avril', 'avr', 'abril', 'abr'],
  ['may', 'mai', 'mayo', 'maio'],
  ['june', 'jun', 'juni', 'juin', 'junio', 'junho'],
  ['july', 'jul', 'juli', 'juillet', 'juil', 'julio', 'julho'],
  ['august', 'aug', 'aout', 'agosto', 'ago'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'setiembre', 'set', 'setembro'],
  ['october', 'oct', 'oktober', 'okt', 'octobre', 'octubre', 'outubro', 'out'],
  ['november', 'nov', 'novembre', 'noviembre', 'novembro'],
  ['december', 'dec', 'dezember', 'dez', 'decembre', 'diciembre', 'dic', 'dezembro'],
];
const FILLER = new Set(['de', 'del', 'of', 'the']);

const indexIn = (lists: readonly (readonly string[])[], word: string): number =>
  lists.findIndex((names) => names.includes(word));

export function isValidDate(d: CalendarDate): boolean {
  if (d.month < 1 || d.month > 12 || d.day < 1) return false;
  return d.day <= new Date(Date.UTC(d.year, d.month, 0)).getUTCDate();
}

/** "Thu, Sep 24, 2026", "Thu, Sep 24 2026", "Thu 24 Sept 2026", "Do., 24. Sept. 2026" → the date; null otherwise. */
export function parseAbsoluteDate(text: string): CalendarDate | null {
  const tokens = text.split(/[\s,]+/).map(norm).filter((w) => w && !FILLER.has(w));
  // A leading weekday ("Thu", "mar." in French) is dropped when a month follows it.
  if (tokens.length > 1 && indexIn(WEEKDAYS, tokens[0] ?? '') >= 0 && tokens.slice(1).some((w) => indexIn(MONTHS, w) >= 0)) tokens.shift();
  let month = -1;
  let day = -1;
  let year = -1;
  for (const w of tokens) {
    const m = indexIn(MONTHS, w);
    if (m >= 0 && month < 0) month = m + 1;
    else if (/^\d{1,2}$/.test(w) && day < 0) day = Number(w);
    else if (/^\d{4}$/.test(w) && year < 0) year = Number(w);
    else return null;
  }
  const date = { year, month, day };
  return year > 0 && isValidDate(date) ? date : null;
}

/** A date separator's label: a date, or a day named relative to today; null when it is not a date. */
export function parseSeparator(label: string): SeparatorDate | null {
  const t = norm(label.trim());
  if (TODAY.includes(t)) return { kind: 'today' };
  if (YESTERDAY.includes(t)) return { kind: 'yesterday' };
  const weekday = indexIn(WEEKDAYS, t);
  if (weekday >= 0) return { kind: 'weekday', weekday };
  const date = parseAbsoluteDate(label);
  return date ? { kind: 'date', date } : null;
}

/** "10:30", "10:30:15", "10:30AM" (Element's own 12-hour form until 2023), "2:05 PM", "2:05 p.m.". */
const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(?:([ap])\.?\s?m\.?)?$/i;

export function parseClock(text: string): ClockTime | null {
  const m = CLOCK.exec(text.trim());
  if (!m) return null;
  let hour = Number(m[1]);
  const minute = Number(m[2]);
  const second = m[3] === undefined ? null : Number(m[3]);
  const meridiem = m[4]?.toLowerCase();
  if (minute > 59 || (second !== null && second > 59)) return null;
  if (meridiem) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  } else if (hour > 23) return null;
  return { hour, minute, second };
}

/** The timestamp `title` of older builds: a full date and a time with seconds. */
export function parseFullDate(text: string): { date: CalendarDate; time: ClockTime } | null {
  const m = /^(.*?)[\s,]+(\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?\s?m\.?)?)$/i.exec(text.trim());
  if (!m?.[1] || !m[2]) return null;
  const date = parseAbsoluteDate(m[1]);
  const time = parseClock(m[2]);
  return date && time ? { date, time } : null;
}

/** Days since 1970-01-01 (UTC arithmetic, so daylight saving never shifts a day). */
export function dayNumber(d: CalendarDate): number {
  return Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;
}

export function fromDayNumber(n: number): CalendarDate {
  const t = new Date(n * 86_400_000);
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function localDate(d: Date): CalendarDate {
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate() };
}

/**
 * The date a relative separator stands for, counted from `today` (the reader's clock): a
 * weekday is the nearest such day at least 2 days back, as Element names weekdays only within
 * the last 6 days (0 and 1 days back are Today and Yesterday; older days get the full date).
 */
export function resolveSeparator(sep: SeparatorDate, today: CalendarDate): CalendarDate {
  const t = dayNumber(today);
  if (sep.kind === 'date') return sep.date;
  if (sep.kind === 'today') return today;
  if (sep.kind === 'yesterday') return fromDayNumber(t - 1);
  let back = 2;
  while (new Date((t - back) * 86_400_000).getUTCDay() !== sep.weekday) back++; // at most 8
  return fromDayNumber(t - back);
}

/** Local wall-clock time on that date as ISO 8601 with the browser's offset. */
export function toSentAt(date: CalendarDate, time: ClockTime): string {
  return toLocalIso(new Date(date.year, date.month - 1, date.day, time.hour, time.minute, time.second ?? 0));
}

export function isoDay(d: CalendarDate): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.year, 4)}-${p(d.month)}-${p(d.day)}`;
}
