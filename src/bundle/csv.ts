/**
 * messages.csv: one row per message (newest version), RFC 4180 quoting, UTF-8 with CRLF.
 * Cells that a spreadsheet would read as a formula are prefixed with an apostrophe.
 */
import type { ThreadRecord } from './thread-record';

const COLUMNS = [
  'thread_id', 'message_id', 'type', 'sent_at', 'sent_at_shown', 'sender', 'from_self', 'text',
  'deleted', 'edited', 'forwarded', 'version_count', 'reply_to_message_id', 'reactions', 'attachments',
] as const;

export function csvCell(value: string): string {
  const neutral = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(neutral) || neutral !== value ? `"${neutral.replace(/"/g, '""')}"` : neutral;
}

export function renderMessagesCsv(record: ThreadRecord): string {
  const rows = record.messages.map((m) =>
    [
      record.thread.id, m.id, m.type, m.sentAt ?? '', m.sentAtText ?? '', m.sender ?? '', String(m.fromSelf), m.text,
      String(m.deleted), String(m.edited), String(m.forwarded), String(m.versions.length), m.quote?.messageId ?? '',
      m.reactions.map((r) => `${r.emoji} ${r.count}`).join('; '),
      m.attachments.map((a) => a.sha256 ?? `missing: ${a.missingReason ?? ''}`).join('; '),
    ].map(csvCell).join(','),
  );
  return [COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
