/**
 * messages.csv: one row per message (newest version), RFC 4180 quoting, UTF-8 with CRLF.
 * Cells that a spreadsheet could read as a formula are neutralised as OWASP ("CSV Injection")
 * recommends: an apostrophe in front, and the cell quoted. Every other character is kept as it
 * is (thread.json holds the exact text in any case): a spreadsheet cell is a paragraph of its
 * own, so a bidi control cannot reorder the cells beside it; a lone surrogate, which UTF-8
 * cannot carry, becomes U+FFFD when the file is encoded.
 */
import type { RecordMessage, ThreadRecord } from './thread-record';

const COLUMNS = [
  'thread_id', 'message_id', 'type', 'sent_at', 'sent_at_shown', 'sender', 'from_self', 'text',
  'deleted', 'edited', 'forwarded', 'version_count', 'reply_to_message_id', 'reactions', 'attachments',
  'truncated',
] as const;

/**
 * A formula, or the start of one: a first character `=`, `+`, `-`, `@`, tab or CR (OWASP), NUL
 * (ASVS 5.0, 1.2.10) or LF; and any of the four signs after leading white space, control or
 * invisible format characters, which spreadsheets may skip or trim before they look (LibreOffice
 * trims spaces on import when asked to). The fullwidth signs (U+FF1D, U+FF0B, U+FF0D, U+FF20) are
 * cheap insurance: no spreadsheet is known to read them as formula signs, and an apostrophe too
 * many costs nothing.
 */
const FORMULA_START = /^[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n\0]/u;

export function csvCell(value: string): string {
  const neutral = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(neutral) || neutral !== value ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}

/** The header line, without its line break. */
export const CSV_HEADER = COLUMNS.join(',');

/** One message's row, without its line break (every line, the header's too, ends in CRLF). */
export function csvRow(threadId: string, m: RecordMessage): string {
  return [
    threadId, m.id, m.type, m.sentAt ?? '', m.sentAtText ?? '', m.sender ?? '', String(m.fromSelf), m.text,
    String(m.deleted), String(m.edited), String(m.forwarded), String(m.versions.length), m.quote?.messageId ?? '',
    m.reactions.map((r) => `${r.emoji} ${r.count}`).join('; '),
    m.attachments.map((a) => a.sha256 ?? `missing: ${a.missingReason ?? ''}`).join('; '),
    String(m.truncated === true),
  ].map(csvCell).join(',');
}

export function renderMessagesCsv(record: ThreadRecord): string {
  return [CSV_HEADER, ...record.messages.map((m) => csvRow(record.thread.id, m))].join('\r\n') + '\r\n';
}
