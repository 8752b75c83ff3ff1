/**
 * Turns the database rows of one thread into the files of its folder in the bag:
 * thread.json (the canonical record), transcript.html, messages.csv and the attachments.
 * Pure: same rows in, same bytes out. The JSON shape is documented in docs/bundle-format.md
 * and pinned by docs/thread.schema.json.
 */
import type { AttachmentRow, CaptureRow, MessageContent, MessageRow, ThreadRow, VersionRow } from '../db/schema';
import type { CapturedAttachmentRef } from '../shared/model';
import { renderTranscript } from './transcript';
import { renderMessagesCsv } from './csv';
import { matchQuotes } from '../shared/quote-match';

export const THREAD_FORMAT = 'threadkeeper-thread';
export const THREAD_FORMAT_VERSION = 1;

export interface ThreadRows {
  thread: ThreadRow;
  messages: MessageRow[];
  versions: VersionRow[];
  attachments: Map<string, AttachmentRow>;
  captures: CaptureRow[];
  /**
   * Stored attachments left out of this record, by SHA-256, with the reason its readers see (a
   * stored copy damaged since capture). They are listed as attachments without a path.
   */
  leftOut?: ReadonlyMap<string, string>;
}

export interface RecordAttachment {
  /** Path relative to the thread folder, or null when the bytes could not be had. */
  path: string | null;
  sha256: string | null;
  mediaType: string | null;
  size: number | null;
  kind: CapturedAttachmentRef['kind'];
  /** The name the page showed (untrusted; never used as a file name). */
  originalName: string | null;
  thumbnail: boolean;
  missingReason: string | null;
  /** Messages (by id) that carry this attachment. */
  messageIds: string[];
}

export interface RecordVersion extends MessageContent {
  version: number;
  kind: VersionRow['kind'];
  observedAt: string;
  captureId: string;
}

export interface RecordMessage extends MessageContent {
  id: string;
  type: 'message' | 'event';
  firstSeenAt: string;
  lastSeenAt: string;
  /** Every observed version, oldest first; the fields above repeat the newest. */
  versions: RecordVersion[];
}

export interface ThreadRecord {
  format: typeof THREAD_FORMAT;
  formatVersion: typeof THREAD_FORMAT_VERSION;
  thread: {
    id: string;
    platform: string;
    threadKey: string;
    title: string;
    kind: ThreadRow['kind'];
    firstCapturedAt: string;
    lastCapturedAt: string;
  };
  participants: ThreadRow['participants'];
  /** External identifiers of earlier bundles that carried this thread (an incremental bundle builds on them). */
  previousBundles: string[];
  messages: RecordMessage[];
  attachments: RecordAttachment[];
  captures: {
    id: string;
    mode: CaptureRow['mode'];
    status: CaptureRow['status'];
    startedAt: string;
    finishedAt: string | null;
    pageUrl: string;
    adapter: string;
    extensionVersion: string;
    browser: string;
    reachedBeginning: boolean;
    incompleteReason: string | null;
    error: string | null;
    counts: CaptureRow['counts'];
  }[];
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp', 'image/svg+xml': 'svg',
  'image/heic': 'heic', 'video/mp4': 'mp4', 'video/webm': 'webm', 'video/quicktime': 'mov',
  'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'audio/mp4': 'm4a', 'audio/webm': 'weba', 'audio/wav': 'wav',
  'application/pdf': 'pdf', 'text/plain': 'txt', 'application/zip': 'zip',
  'application/msword': 'doc', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt', 'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

/**
 * A generated ASCII file name: never derived from the name the page showed (which is kept in
 * `originalName` only), so no hostile name (`../`, `C:\x`, `CON`, look-alike slashes, control
 * characters, 500 characters) can reach a path. The first 16 hex digits of the SHA-256, or all 64
 * (`fullHash`) for files whose first 16 collide (see attachmentPaths).
 */
export function attachmentFileName(sha256: string, mediaType: string, fullHash = false): string {
  const base = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  return `attachments/${fullHash ? sha256 : sha256.slice(0, 16)}.${EXTENSIONS[base] ?? 'bin'}`;
}

/**
 * One path per stored file, unique in the thread. Two files whose SHA-256 share the first 16
 * hex digits would get one short name and the bag could not be written; finding such a pair
 * costs about 2^32 hashes, within reach of a participant who wants a thread never exported. So
 * the files of a colliding short name get the full hash (hex: no two differ only by case).
 */
function attachmentPaths(stored: { sha256: string; mediaType: string }[]): Map<string, string> {
  const claims = new Map<string, number>();
  for (const a of stored) {
    const short = attachmentFileName(a.sha256, a.mediaType);
    claims.set(short, (claims.get(short) ?? 0) + 1);
  }
  return new Map(stored.map((a) => {
    const short = attachmentFileName(a.sha256, a.mediaType);
    return [a.sha256, claims.get(short)! > 1 ? attachmentFileName(a.sha256, a.mediaType, true) : short];
  }));
}

function epoch(iso: string | null): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * Page order of first sight, then send time. A message without a usable time (an event row)
 * takes the time of the message before it, so sorting by time never tears it from its place.
 */
export function orderMessages(messages: MessageRow[], captureOrder: Map<string, number>): MessageRow[] {
  const seen = [...messages].sort(
    (a, b) =>
      (captureOrder.get(a.firstCaptureId) ?? 0) - (captureOrder.get(b.firstCaptureId) ?? 0) ||
      a.firstPageOrder - b.firstPageOrder ||
      (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0),
  );
  let last = Number.NEGATIVE_INFINITY;
  const keyed = seen.map((m, i) => {
    const t = epoch(m.sentAt);
    if (t !== null) last = t;
    return { m, t: t ?? last, i };
  });
  keyed.sort((a, b) => a.t - b.t || a.i - b.i);
  return keyed.map((k) => k.m);
}

const SELF_WORDS = ['You', 'Você', 'Tú'];

/** What linking a quote needs of a message (a RecordMessage has it; so does a plan's view of its newest version). */
type QuoteView = Pick<RecordMessage, 'id' | 'type' | 'quote' | 'sender' | 'fromSelf' | 'text'>;

/**
 * Quotes the page could not link (their original was not on screen in the same read) are
 * matched here against the whole thread (src/shared/quote-match.ts): the owner's quotes say
 * "You" (or the page's word for it) or the owner's name. Returns the link found for each
 * message (by position) whose quote had none.
 */
function quoteLinks(messages: QuoteView[], selfNames: string[]): Map<number, string> {
  return matchQuotes(messages, (m) => m.id, (c, author) => (SELF_WORDS.includes(author) || selfNames.includes(author) ? c.fromSelf : c.sender === author));
}

/** quoteLinks applied: each unlinked quote that matches an earlier message gets its id. */
export function linkQuotes(messages: RecordMessage[], selfNames: string[]): void {
  for (const [i, id] of quoteLinks(messages, selfNames)) messages[i]!.quote = { ...messages[i]!.quote!, messageId: id };
}

/**
 * Everything about a thread's record except the messages themselves, worked out from its rows
 * in one pass over them: message order, quote links, the attachment list with its paths, the
 * captures. The messages are then made one at a time (recordMessage), in order: so a renderer
 * can write each and drop its rows (`order` and `versions` entries) before making the next,
 * instead of holding the rows, the whole record and its text at once.
 */
export interface ThreadPlan {
  head: Pick<ThreadRecord, 'format' | 'formatVersion' | 'thread' | 'participants' | 'previousBundles'>;
  /** Message rows in record order. A renderer may clear an entry once the message is made. */
  order: (MessageRow | undefined)[];
  /** Each message's versions, oldest first. A renderer may delete an entry once the message is made. */
  versions: Map<string, VersionRow[]>;
  /** Quote links found across the thread, by position in `order`. */
  quoteLinks: Map<number, string>;
  attachments: RecordAttachment[];
  captures: ThreadRecord['captures'];
  /** How many of the messages are messages (not events). */
  messageCount: number;
}

/** Plans a thread's record. Keeps no reference to `rows` itself, only to its row objects. */
export function planThread(rows: ThreadRows): ThreadPlan {
  const captures = [...rows.captures].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1));
  const captureOrder = new Map(captures.map((c, i) => [c.id, i]));
  const versions = new Map<string, VersionRow[]>();
  for (const v of rows.versions) {
    const list = versions.get(v.messageId) ?? [];
    list.push(v);
    versions.set(v.messageId, list);
  }

  const attachmentIndex = new Map<string, RecordAttachment>();
  const missing: RecordAttachment[] = [];
  const order = orderMessages(rows.messages, captureOrder);
  let messageCount = 0;
  const views: QuoteView[] = order.map((m) => {
    const list = (versions.get(m.messageId) ?? []).sort((a, b) => a.version - b.version);
    versions.set(m.messageId, list);
    const latest = list[list.length - 1];
    if (!latest) throw new Error(`message ${m.messageId} has no versions`);
    if (m.type === 'message') messageCount++;
    for (const v of list) {
      for (const a of v.content.attachments) {
        if (a.sha256 && rows.attachments.has(a.sha256) && !rows.leftOut?.has(a.sha256)) {
          const stored = rows.attachments.get(a.sha256)!;
          const entry = attachmentIndex.get(a.sha256) ?? {
            path: null, // set below, once every stored file of the thread is known
            sha256: a.sha256,
            mediaType: stored.mediaType,
            size: stored.size,
            kind: a.kind,
            originalName: a.originalName,
            thumbnail: a.thumbnail,
            missingReason: null,
            messageIds: [],
          };
          if (!entry.messageIds.includes(m.messageId)) entry.messageIds.push(m.messageId);
          attachmentIndex.set(a.sha256, entry);
        } else if (v === latest) {
          missing.push({
            path: null, sha256: a.sha256, mediaType: a.mediaType, size: a.size, kind: a.kind,
            originalName: a.originalName, thumbnail: a.thumbnail,
            missingReason: (a.sha256 !== null ? rows.leftOut?.get(a.sha256) : undefined) ?? a.missingReason ?? 'bytes not kept', messageIds: [m.messageId],
          });
        }
      }
    }
    const c = latest.content;
    return { id: m.messageId, type: m.type, quote: c.quote, sender: c.sender, fromSelf: c.fromSelf, text: c.text };
  });

  const paths = attachmentPaths([...attachmentIndex.keys()].map((sha256) => ({ sha256, mediaType: rows.attachments.get(sha256)!.mediaType })));
  for (const [sha256, entry] of attachmentIndex) entry.path = paths.get(sha256)!;
  const attachments = [...attachmentIndex.values()].sort((a, b) => (a.path! < b.path! ? -1 : 1));
  return {
    head: {
      format: THREAD_FORMAT,
      formatVersion: THREAD_FORMAT_VERSION,
      thread: {
        id: rows.thread.id,
        platform: rows.thread.platform,
        threadKey: rows.thread.threadKey,
        title: rows.thread.title,
        kind: rows.thread.kind,
        firstCapturedAt: rows.thread.firstCapturedAt,
        lastCapturedAt: rows.thread.lastCapturedAt,
      },
      participants: rows.thread.participants,
      previousBundles: [...(rows.thread.bundles ?? [])],
    },
    order,
    versions,
    quoteLinks: quoteLinks(views, rows.thread.participants.filter((p) => p.self).map((p) => p.name)),
    attachments: [...attachments, ...missing],
    captures: captures.map((c) => ({
      id: c.id, mode: c.mode, status: c.status, startedAt: c.startedAt, finishedAt: c.finishedAt,
      pageUrl: c.pageUrl, adapter: c.adapter, extensionVersion: c.extensionVersion, browser: c.browser,
      reachedBeginning: c.reachedBeginning, incompleteReason: c.incompleteReason, error: c.error, counts: c.counts,
    })),
    messageCount,
  };
}

/** The record of the message at position `i` of the plan (its rows must still be there). */
export function recordMessage(plan: ThreadPlan, i: number): RecordMessage {
  const m = plan.order[i];
  const versions = m && plan.versions.get(m.messageId);
  if (!m || !versions) throw new Error(`message ${i} of the thread was already written`);
  const latest = versions[versions.length - 1]!;
  const message: RecordMessage = {
    id: m.messageId,
    type: m.type,
    firstSeenAt: m.firstSeenAt,
    lastSeenAt: m.lastSeenAt,
    ...latest.content,
    versions: versions.map((v) => ({ version: v.version, kind: v.kind, observedAt: v.observedAt, captureId: v.captureId, ...v.content })),
  };
  const link = plan.quoteLinks.get(i);
  if (link !== undefined) message.quote = { ...message.quote!, messageId: link };
  return message;
}

export function buildThreadRecord(rows: ThreadRows): ThreadRecord {
  const plan = planThread(rows);
  return {
    ...plan.head,
    messages: plan.order.map((_, i) => recordMessage(plan, i)),
    attachments: plan.attachments,
    captures: plan.captures,
  };
}

export interface ThreadFiles {
  record: ThreadRecord;
  /** Paths relative to the thread folder. */
  files: { path: string; bytes: Uint8Array<ArrayBufferLike> }[];
}

export async function renderThreadFiles(rows: ThreadRows): Promise<ThreadFiles> {
  const record = buildThreadRecord(rows);
  const enc = new TextEncoder();
  const files: ThreadFiles['files'] = [
    { path: 'thread.json', bytes: enc.encode(JSON.stringify(record, null, 2) + '\n') },
    { path: 'transcript.html', bytes: enc.encode(await renderTranscript(record)) },
    { path: 'messages.csv', bytes: enc.encode(renderMessagesCsv(record)) },
  ];
  for (const a of record.attachments) {
    if (a.path && a.sha256) files.push({ path: a.path, bytes: rows.attachments.get(a.sha256)!.bytes });
  }
  return { record, files };
}
