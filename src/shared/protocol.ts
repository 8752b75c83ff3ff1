/**
 * The whole runtime protocol of the extension, in one place.
 *
 * Three directions, each a discriminated union with a direction prefix:
 *   content/*  content script  → background   (untrusted: scraped data; validated by schema)
 *   popup/*    extension pages → background   (own origin only; validated by schema too)
 *   bg/*       background      → content script
 *
 * The background checks the SENDER first (src/background/boundary.ts), then parses the payload
 * with the schemas below, and only then touches the database.
 */
import type { BundleResult } from '../background/exporter';
import { PLATFORM_IDS, type CapturedMessage, type CapturedThread, type PlatformId } from './model';
import {
  absentOr,
  arr,
  bool,
  int,
  literal,
  nullable,
  obj,
  str,
  type Infer,
  type Schema,
} from './schema';

// Limits: generous for real chats (a message may be a megabyte-long paste) but bounded, so a
// hostile page cannot make the service worker allocate without end.
export const LIMITS = {
  textChars: 4 * 1024 * 1024,
  shortChars: 4096,
  messagesPerBatch: 500,
  /** Bytes of attachment content in one batch (base64 decoded). Chrome caps a message at 64 MiB. */
  blobBytesPerBatch: 24 * 1024 * 1024,
  /**
   * The largest attachment kept. One above blobBytesPerBatch travels in parts of blobPartBytes
   * (`content/blob-part`) and is put together in the background, which holds it whole once to
   * check its SHA-256 (docs/capture.md, "Large attachments").
   */
  attachmentBytes: 512 * 1024 * 1024,
  blobPartBytes: 8 * 1024 * 1024,
  attachmentsPerMessage: 100,
  participants: 10_000,
} as const;

const platformId: Schema<PlatformId> = literal(...PLATFORM_IDS);
const short = str({ max: LIMITS.shortChars });
const sha256Hex = str({ pattern: /^[0-9a-f]{64}$/ });

const threadSchema: Schema<CapturedThread> = obj({
  threadKey: str({ min: 1, max: 1024 }),
  title: short,
  kind: literal('group', 'direct', 'channel', 'unknown'),
  participants: arr(obj({ name: short, self: bool }), { max: LIMITS.participants }),
});

const attachmentRefSchema = obj({
  kind: literal('image', 'video', 'audio', 'document', 'sticker', 'other'),
  originalName: nullable(short),
  mediaType: nullable(str({ max: 255 })),
  sha256: nullable(sha256Hex),
  size: nullable(int({ min: 0 })),
  missingReason: nullable(short),
  thumbnail: bool,
});

const messageSchema: Schema<CapturedMessage> = obj({
  messageId: str({ min: 1, max: 512 }),
  type: literal('message', 'event'),
  sender: nullable(short),
  fromSelf: bool,
  sentAt: nullable(
    str({ pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/ }),
  ),
  sentAtText: nullable(short),
  text: str({ max: LIMITS.textChars }),
  links: arr(str({ max: 8192 }), { max: 1000 }),
  deleted: bool,
  edited: bool,
  forwarded: bool,
  quote: nullable(obj({ author: nullable(short), text: str({ max: LIMITS.textChars }), messageId: nullable(str({ max: 512 })) })),
  reactions: arr(obj({ emoji: str({ min: 1, max: 64 }), count: int({ min: 0 }) }), { max: 500 }),
  attachments: arr(attachmentRefSchema, { max: LIMITS.attachmentsPerMessage }),
  direction: nullable(literal('ltr', 'rtl', 'auto')),
  truncated: absentOr(literal(true)),
  // Relative order within a capture; scroll-back assigns older messages smaller (even negative) numbers.
  pageOrder: int(),
});

/** Attachment bytes travel beside the messages, once per SHA-256, base64-encoded (runtime messaging is JSON). */
const blobSchema = obj({
  sha256: sha256Hex,
  mediaType: str({ max: 255 }),
  base64: str({ max: Math.ceil((LIMITS.blobBytesPerBatch * 4) / 3) + 4 }),
});

// ---------------------------------------------------------------- content → background

/**
 * One part of an attachment too large for a batch, sent before the batch whose message refers to
 * it. Parts start at multiples of LIMITS.blobPartBytes and are as long as that, except the last.
 * The background keeps them (table blobParts) until the last has come, then checks the whole
 * against `sha256` and stores it as any attachment; a batch then refers to it as stored.
 */
export const contentBlobPartSchema = obj({
  type: literal('content/blob-part'),
  captureId: str({ min: 1, max: 64 }),
  adapter: platformId,
  sha256: sha256Hex,
  mediaType: str({ max: 255 }),
  size: int({ min: 1, max: LIMITS.attachmentBytes }),
  offset: int({ min: 0, max: LIMITS.attachmentBytes }),
  base64: str({ min: 1, max: Math.ceil((LIMITS.blobPartBytes * 4) / 3) + 4 }),
});
export type ContentBlobPart = Infer<typeof contentBlobPartSchema>;
/** The background's answer to a part: `stored` once the whole attachment is kept (or already was). */
export interface BlobPartAck {
  ok: true;
  sha256: string;
  offset: number;
  stored: boolean;
}

export const contentBatchSchema = obj({
  type: literal('content/batch'),
  captureId: str({ min: 1, max: 64 }),
  adapter: platformId,
  /** Sequence number within the capture; a re-sent batch has the same number. */
  seq: int({ min: 0 }),
  thread: threadSchema,
  messages: arr(messageSchema, { max: LIMITS.messagesPerBatch }),
  blobs: arr(blobSchema, { max: 1000 }),
});
export type ContentBatch = Infer<typeof contentBatchSchema>;

/** Why a capture stopped. `beginning` is the only one that means "the whole conversation". */
export const END_REASONS = ['beginning', 'visible-only', 'cancelled', 'history-refused', 'timed-out', 'tab-hidden', 'budget', 'layout-changed', 'error'] as const;
export type EndReason = (typeof END_REASONS)[number];

const captureId = str({ min: 1, max: 64 });

export const contentProgressSchema = obj({
  type: literal('content/progress'),
  captureId,
  adapter: platformId,
  phase: literal('reading', 'scrolling', 'loading-history', 'paused-hidden'),
  /** Messages this capture has sent and had acknowledged so far. */
  sent: int({ min: 0 }),
  /** The oldest send time reached so far (ISO 8601), if any. */
  oldestSentAt: nullable(str({ max: 64 })),
});

export const contentEndSchema = obj({
  type: literal('content/capture-end'),
  captureId,
  adapter: platformId,
  reason: literal(...END_REASONS),
  /** Plain words for the user when the reason is not `beginning`. */
  detail: nullable(str({ max: LIMITS.shortChars })),
  selector: nullable(str({ max: LIMITS.shortChars })),
});

/** A content script on a custom domain asks which adapter reads its page. */
export const contentHelloSchema = obj({ type: literal('content/hello'), adapter: literal('unknown') });
export type HelloAnswer = { ok: true; adapter: PlatformId } | { ok: false; error: string };

/** Auto mode: the content script asks for a capture record for this page session. */
export const contentAutoStartSchema = obj({
  type: literal('content/auto-start'),
  adapter: platformId,
});

export const contentSchemas = {
  'content/batch': contentBatchSchema,
  'content/blob-part': contentBlobPartSchema,
  'content/progress': contentProgressSchema,
  'content/capture-end': contentEndSchema,
  'content/auto-start': contentAutoStartSchema,
  'content/hello': contentHelloSchema,
} as const;
export type ContentProgress = Infer<typeof contentProgressSchema>;
export type ContentEnd = Infer<typeof contentEndSchema>;
export type ContentRequest = { [K in keyof typeof contentSchemas]: Infer<(typeof contentSchemas)[K]> }[keyof typeof contentSchemas];

export interface BatchAck {
  ok: true;
  seq: number;
  /** Messages in this batch not seen before. */
  newMessages: number;
  /** New versions of messages already kept (edits, deletions, changed reactions). */
  newVersions: number;
}

/**
 * Batches travel on one long-lived port per page (`runtime.connect`) rather than a
 * `runtime.sendMessage` each, which opens and closes a message channel every time: auto-capture
 * sends a small batch after every burst of page changes, on the messenger page's main thread
 * (docs/performance.md, "Auto-capture cost"). Each request carries an id its reply repeats.
 * The port carries `content/batch` and `content/blob-part` only; the background checks them
 * exactly as sent messages.
 */
export const BATCH_PORT = 'threadkeeper/batches';
/** What travels on the batch port. */
export type PortMessage = ContentBatch | ContentBlobPart;
export interface PortRequest {
  id: number;
  message: PortMessage;
}
/** `answer`: what runtime.sendMessage would have resolved with; `error`: what it would have rejected with. */
export type PortReply = { id: number; answer: unknown } | { id: number; error: string };

/** The background's answer to content/auto-start. */
export type AutoStartAnswer = { ok: true; auto: false } | { ok: true; auto: true; captureId: string } | { ok: false; error: string };

// ---------------------------------------------------------------- popup → background

const tabId = int({ min: 0 });
export const popupSchemas = {
  'popup/status': obj({ type: literal('popup/status'), tabId }),
  'popup/preserve': obj({ type: literal('popup/preserve'), tabId }),
  'popup/cancel': obj({ type: literal('popup/cancel'), tabId }),
  'popup/progress': obj({ type: literal('popup/progress'), tabId }),
  'popup/export': obj({
    type: literal('popup/export'),
    threadIds: arr(str({ min: 1, max: 2048 }), { max: 10_000 }),
    scope: literal('full', 'incremental'),
    route: literal('download', 'email', 'upload'),
  }),
  'popup/bulk-export': obj({
    type: literal('popup/bulk-export'),
    scope: literal('full', 'incremental'),
    route: literal('download', 'email', 'upload'),
    grouping: literal('one', 'per-thread'),
  }),
  'popup/job': obj({ type: literal('popup/job') }),
  'popup/threads': obj({ type: literal('popup/threads') }),
  'popup/exports': obj({ type: literal('popup/exports') }),
  'popup/retry-uploads': obj({ type: literal('popup/retry-uploads') }),
  'popup/confirm-email': obj({ type: literal('popup/confirm-email'), exportId: int({ min: 1 }) }),
  'popup/purge': obj({ type: literal('popup/purge'), threadId: str({ min: 1, max: 2048 }) }),
  'popup/policy': obj({ type: literal('popup/policy') }),
  'popup/audit': obj({ type: literal('popup/audit') }),
  'popup/preserve-page': obj({ type: literal('popup/preserve-page'), tabId, returnToTabId: nullable(tabId) }),
  'popup/key-info': obj({ type: literal('popup/key-info') }),
} as const;
export type PopupRequest = { [K in keyof typeof popupSchemas]: Infer<(typeof popupSchemas)[K]> }[keyof typeof popupSchemas];

/** What the popup learns about a tab. */
export type TabStatus =
  /** `canPreservePage`: Threadkeeper may read this tab now (toolbar click or host permission), so the fallback can run. */
  | { kind: 'unsupported'; url: string | null; canPreservePage: boolean }
  | { kind: 'no-content-script'; adapter: PlatformId; adapterName: string }
  | {
      kind: 'messenger';
      adapter: PlatformId;
      adapterName: string;
      conversationOpen: boolean;
      thread: { threadId: string; title: string; participants: number } | null;
      /** Set when the adapter cannot read an open conversation (changed layout). */
      readError: { selector: string; message: string } | null;
      stored: { messages: number; attachments: number } | null;
      /** True while this tab is captured automatically (auto-capture on). */
      autoCapturing: boolean;
      canPreservePage: boolean;
      /**
       * The thread's export as this service worker knows it (src/background/exporter.ts,
       * exportState): under way since `since` (`result` null), or finished with `result`. Null
       * when none ran in this worker; one cut short by a stopped worker is then found in the
       * exports list (src/ui/unanswered.ts).
       */
      exportState: { since: string; result: BundleResult | null } | null;
    };

/** A manual capture as the popup shows it: running (with live progress) or finished. */
export interface CaptureView {
  captureId: string;
  status: 'running' | 'complete' | 'failed' | 'incomplete';
  phase: ContentProgress['phase'] | null;
  threadTitle: string | null;
  threadId: string | null;
  messages: number;
  events: number;
  attachments: number;
  attachmentsMissing: number;
  /** Messages the page showed cut short behind "Read more". */
  truncated: number;
  newMessages: number;
  newVersions: number;
  oldestSentAt: string | null;
  reachedBeginning: boolean;
  /** Plain words: why it stopped before the beginning, or why it failed. */
  reason: string | null;
  selector: string | null;
}

export type PreserveStart = { ok: true; captureId: string } | { ok: false; error: string; selector?: string };

export type { BundleResult as ExportResult, ExportJob } from '../background/exporter';
export type { PagePreserveResult } from '../background/page-capture';
export type { ThreadDeadline } from '../background/deadlines';

/** An export as the dashboard lists it, with its upload state and receipt. */
export interface ExportView {
  id: number;
  at: string;
  bagName: string;
  fileName: string;
  route: 'download' | 'email' | 'upload';
  scope: 'full' | 'incremental';
  messages: number;
  threadIds: string[];
  upload: { status: 'queued' | 'sending' | 'done' | 'refused'; attempts: number; lastError: string | null; nextAttemptAt: number } | null;
  receipt: Record<string, unknown> | null;
  /** Its download was interrupted: nothing reached Downloads, and it counts as carrying nothing. */
  downloadFailed: { at: string; reason: string } | null;
}

/** The audit log as the settings page shows it: the newest entries and whether the whole chain holds. */
export interface AuditView {
  total: number;
  entries: { seq: number; at: string; action: string; details: Record<string, unknown> }[];
  chainProblems: string[];
}

export interface KeyInfo {
  thumbprint: string;
  createdAt: string;
}

// ---------------------------------------------------------------- background → content

/** Limits of one whole-history capture (documented in docs/capture.md). */
export interface CaptureLimits {
  /** Stop when the top is reached and nothing older arrives for this long. */
  idleTimeoutMs: number;
  /** Stop (saying so) when the tab stays hidden this long. */
  hiddenTimeoutMs: number;
  /** Stop (saying how far it got) after this long in all. */
  maxDurationMs: number;
}

export type BackgroundToContent =
  | { type: 'bg/probe' }
  | { type: 'bg/preserve'; captureId: string; limits: CaptureLimits }
  | { type: 'bg/cancel'; captureId: string }
  /** Is this capture still running in the page, and if it ended, how (an end message may have been lost)? */
  | { type: 'bg/alive'; captureId: string }
  /** Auto-capture was turned on or off for this messenger (settings changed). */
  | { type: 'bg/auto'; enabled: boolean };

/** The page's answer to bg/alive. `end` is the capture-end message the page sent (or tried to). */
export type AliveAnswer = { ok: true; running: true } | { ok: true; running: false; end: ContentEnd } | { ok: false };

export type ProbeResult =
  | {
      ok: true;
      adapter: PlatformId;
      conversationOpen: boolean;
      thread: CapturedThread | null;
      readError: { selector: string; message: string } | null;
    }
  | { ok: false; error: string };

/** The content script's immediate answer to bg/preserve: the capture runs on after it. */
export type ContentPreserveStart = { ok: true } | { ok: false; error: string; selector?: string };

// ---------------------------------------------------------------- background → offscreen document

/**
 * To the offscreen document (src/offscreen/), which makes blob: URLs of bundle files for
 * chrome.downloads (a service worker cannot). `file` is a bundle file's name in the extension's
 * Origin Private File System (src/background/bundle-files.ts).
 */
export type OffscreenRequest = { type: 'offscreen/blob-url'; file: string } | { type: 'offscreen/revoke'; file: string };

export type OffscreenAnswer = { ok: true; url?: string } | { ok: false; error: string };
