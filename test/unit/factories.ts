/** Builders for test data shaped like what the WhatsApp adapter sends. */
import type { CapturedMessage, CapturedThread } from '../../src/shared/model';
import type { ContentBatch } from '../../src/shared/protocol';
import type { CaptureRow, ExportRow, ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';

export const thread: CapturedThread = {
  threadKey: '120363025246125244@g.us',
  title: 'Permits',
  kind: 'group',
  participants: [{ name: 'Ana', self: false }, { name: 'You', self: true }],
};

export function message(id: string, over: Partial<CapturedMessage> = {}): CapturedMessage {
  return {
    messageId: id,
    type: 'message',
    sender: 'Ana',
    fromSelf: false,
    sentAt: '2026-09-28T10:30:00-04:00',
    sentAtText: '[10:30 AM, 9/28/2026]',
    text: `text of ${id}`,
    links: [],
    deleted: false,
    edited: false,
    forwarded: false,
    quote: null,
    reactions: [],
    attachments: [],
    direction: null,
    pageOrder: 0,
    ...over,
  };
}

export function batch(captureId: string, seq: number, messages: CapturedMessage[], over: Partial<ContentBatch> = {}): ContentBatch {
  return { type: 'content/batch', captureId, adapter: 'whatsapp', seq, thread, messages, blobs: [], ...over };
}

/** A running manual capture record, as the background creates one. */
export function captureRow(id: string, over: Partial<CaptureRow> = {}): CaptureRow {
  return {
    id, threadId: null, tabId: 1, pageUrl: 'https://web.whatsapp.com/', adapter: 'whatsapp', mode: 'manual',
    startedAt: new Date().toISOString(), finishedAt: null, status: 'running', reachedBeginning: false,
    incompleteReason: null, error: null, extensionVersion: '0.1.0', browser: 'Chrome/156 test', appliedSeqs: [],
    phase: 'reading', oldestSentAt: null, endReason: null, selector: null,
    counts: { messages: 0, events: 0, newMessages: 0, newEvents: 0, newVersions: 0, attachments: 0, attachmentsMissing: 0 },
    ...over,
  };
}

/** An export row carrying these message versions (threads named by them unless given), with a receipt if given. */
export function exportRow(carried: ExportRow['carried'], receipt: ExportRow['receipt'] = null, threadIds = [...new Set(carried.map(([t]) => t))], over: Partial<ExportRow> = {}): ExportRow {
  return {
    at: '2026-11-20T10:00:00.000Z', bagName: 'b', externalIdentifier: 'urn:x', fileName: 'b.zip', sha256: 's', keyThumbprint: 'k',
    threadIds, messages: carried.length, attachments: 0, downloadId: null, scope: 'full', route: 'upload', carried, receipt, ...over,
  };
}

/** Stores a thread `key` of two messages (`<key>-1`, `<key>-2`) as a capture would; returns its thread id. */
export async function capturedThread(db: ThreadkeeperDb, key: string): Promise<string> {
  await db.captures.add(captureRow(`c-${key}`));
  await ingestBatch(db, batch(`c-${key}`, 0, [message(`${key}-1`), message(`${key}-2`)], { thread: { ...thread, threadKey: key, title: key } }));
  return `whatsapp:${key}`;
}
