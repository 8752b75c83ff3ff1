/**
 * WhatsApp Web date chips ("12/9/2025", "Today", "Ontem", "Thursday", "12 de setembro de 2025")
 * and the calendar date each stands for. Chips are the only date a media-only row has
 * (research notes messenger-dom.md §1 "System and date rows", idx 71042067677, 53351297503).
 */
import {
  dayNumber, fromDayNumber, isValidDate, parseNumericDate, resolveNumericDate, weekdayOf,
} from './whatsapp-time';
import type { CalendarDate, DayMonthOrder, NumericDate } from './whatsapp-time';

export type ChipValue =
  | { kind: 'numeric'; date: NumericDate }
  | { kind: 'long'; year: number | null; month: number; day: number; monthFirst: boolean }
  | { kind: 'today' }
  | { kind: 'yesterday' }
  | { kind: 'weekday'; weekday: number };

// en, pt, es. Chips are matched case-insensitively ("TODAY", "Today", "HOJE").
const TODAY = ['today', 'hoje', 'hoy'];
const YESTERDAY = ['yesterday', 'ontem', 'ayer'];
const WEEKDAYS: readonly (readonly string[])[] = [
  ['sunday', 'domingo'],
  ['monday', 'segunda-feira', 'segunda', 'lunes'],
  ['tuesday', 'terça-feira', 'terça', 'martes'],
  ['wednesday', 'quarta-feira', 'quarta', 'miércoles', 'miercoles'],
  ['thursday', 'quinta-feira', 'quinta', 'jueves'],
  ['friday', 'sexta-feira', 'sexta', 'viernes'],
  ['saturday', 'sábado', 'sabado'],
];
const MONTHS: readonly (readonly string[])[] = [
  ['january', 'jan', 'janeiro', 'enero', 'ene'],
  ['february', 'feb', 'fevereiro', 'fev', 'febrero'],
  ['march', 'mar', 'março', 'marco', 'marzo'],
  ['april', 'apr', 'abril', 'abr'],
  ['may', 'maio', 'mai', 'mayo'],
  ['june', 'jun', 'junho', 'junio'],
  ['july', 'jul', 'julho', 'julio'],
  ['august', 'aug', 'agosto', 'ago'],
  ['september', 'sep', 'sept', 'setembro', 'set', 'septiembre', 'setiembre'],
  ['october', 'oct', 'outubro', 'out', 'octubre'],
  ['november', 'nov', 'novembro', 'noviembre'],
  ['december', 'dec', 'dezembro', 'dez', 'diciembre', 'dic'],
];
const FILLER = new Set(['de', 'del', 'of', 'the']);

const indexIn = (lists: readonly (readonly string[])[], word: string): number =>
  lists.findIndex((names) => names.includes(word));

/** What a date chip says, or null when the text is not a date chip. */
export function parseChip(text: string): ChipValue | null {
  const t = text.trim().toLowerCase();
  if (TODAY.includes(t)) return { kind: 'today' };
  if (YESTERDAY.includes(t)) return { kind: 'yesterday' };
  const weekday = indexIn(WEEKDAYS, t);
  if (weekday >= 0) return { kind: 'weekday', weekday };
  const numeric = parseNumericDate(t);
  if (numeric) return { kind: 'numeric', date: numeric };
  // Long forms: "September 12, 2025", "12 September 2025", "12 de setembro de 2025",
  // optionally led by a weekday ("Friday, September 12, 2025").
  const tokens = t.split(/[\s,.]+/).filter((w) => w && !FILLER.has(w));
  if (tokens.length > 0 && indexIn(WEEKDAYS, tokens[0] ?? '') >= 0) tokens.shift();
  let month = -1, day = -1, year: number | null = null, monthAt = -1, dayAt = -1;
  for (const [i, w] of tokens.entries()) {
    const m = indexIn(MONTHS, w);
    if (m >= 0 && month < 0) [month, monthAt] = [m + 1, i];
    else if (/^\d{1,2}$/.test(w) && day < 0) [day, dayAt] = [Number(w), i];
    else if (/^\d{4}$/.test(w) && year === null) year = Number(w);
    else return null;
  }
  if (month < 0 || day < 1 || day > 31) return null;
  return { kind: 'long', year, month, day, monthFirst: monthAt < dayAt };
}

// ---- Chip dates ---------------------------------------------------------------------------

export interface ChipSlot {
  value: ChipValue;
  /** Row index of the chip on the page. */
  position: number;
  /** A pre-plain-text date from a row in this chip's section (rows up to the next chip). */
  evidence: CalendarDate | null;
}

export interface DatedPoint {
  position: number;
  date: CalendarDate;
}

/**
 * The calendar date of each chip (null when the page does not tell):
 * - numeric and long chips say it (a long chip without a year takes the year of the
 *   nearest dated row);
 * - a relative chip with a dated row in its section takes that row's date;
 * - otherwise "today" is anchored by a Today section's dated row (or a Yesterday one's + 1):
 *   Yesterday = today − 1 and a weekday is that weekday within the 7 days before today;
 * - failing that, a weekday chip is placed between its dated neighbours: the last such
 *   weekday before the nearest dated row below it, or else the first after the nearest
 *   dated row above it. Today/Yesterday with no anchor stay null rather than guess.
 */
export function resolveChipDates(
  chips: readonly ChipSlot[],
  points: readonly DatedPoint[],
  order: DayMonthOrder,
): (CalendarDate | null)[] {
  const nearestYear = (position: number): number | null => {
    const sorted = [...points].sort((a, b) => Math.abs(a.position - position) - Math.abs(b.position - position));
    return sorted[0]?.date.year ?? null;
  };
  const out = chips.map((chip): CalendarDate | null => {
    const v = chip.value;
    if (v.kind === 'numeric') return resolveNumericDate(v.date, order) ?? chip.evidence;
    if (v.kind === 'long') {
      const year = v.year ?? chip.evidence?.year ?? nearestYear(chip.position);
      const date = year === null ? null : { year, month: v.month, day: v.day };
      return date && isValidDate(date) ? date : chip.evidence;
    }
    return chip.evidence;
  });

  let today: number | null = null;
  for (const [i, chip] of chips.entries()) {
    const known = out[i];
    if (!known || today !== null) continue;
    if (chip.value.kind === 'today') today = dayNumber(known);
    if (chip.value.kind === 'yesterday') today = dayNumber(known) + 1;
  }

  const dated = (): DatedPoint[] => [
    ...points,
    ...chips.flatMap((c, i) => (out[i] ? [{ position: c.position, date: out[i] }] : [])),
  ];
  for (const [i, chip] of chips.entries()) {
    if (out[i]) continue;
    const v = chip.value;
    if (v.kind === 'today' && today !== null) out[i] = fromDayNumber(today);
    else if (v.kind === 'yesterday' && today !== null) out[i] = fromDayNumber(today - 1);
    else if (v.kind === 'weekday') {
      if (today !== null) {
        out[i] = fromDayNumber(today - 7 + ((v.weekday - weekdayOf(fromDayNumber(today - 7)) + 7) % 7));
        continue;
      }
      const all = dated();
      const below = all.filter((p) => p.position > chip.position).sort((a, b) => a.position - b.position)[0];
      const above = all.filter((p) => p.position < chip.position).sort((a, b) => b.position - a.position)[0];
      if (below) {
        const b = dayNumber(below.date) - 1;
        out[i] = fromDayNumber(b - ((weekdayOf(fromDayNumber(b)) - v.weekday + 7) % 7));
      } else if (above) {
        const a = dayNumber(above.date) + 1;
        out[i] = fromDayNumber(a + ((v.weekday - weekdayOf(fromDayNumber(a)) + 7) % 7));
      }
    }
  }
  return out;
}
