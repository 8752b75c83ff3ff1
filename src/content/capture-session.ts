/**
 * One capture's sending side: what was already sent (so repeated reads of the same rows cost
 * nothing), the attachment bytes already sent, the page order across reads, and the batch
 * sequence. Every batch is sent until acknowledged (sendUntilAcked); a refusal stops the
 * capture with the background's reason.
 */
import type { Adapter, PageMessage, PageRead } from '../adapters/types';
import type { CapturedAttachmentRef, CapturedMessage } from '../shared/model';
import { LIMITS, type BatchAck, type BlobPartAck, type ContentBatch, type ContentBlobPart } from '../shared/protocol';
import { bytesToBase64 } from '../shared/bytes';
import { isLarge, mb, readAttachment, type LargeBlob, type ReadBlob } from './attachments';
import { planBatches } from './batches';
import { PageOrder } from './page-order';

export type SendBatch = (batch: ContentBatch) => Promise<BatchAck>;
export type SendPart = (part: ContentBlobPart) => Promise<BlobPartAck>;

const noParts: SendPart = () => Promise.reject(new Error('this page cannot send attachments in parts'));

/**
 * How long after a failed read an attachment is read again (a retryable failure: an expired
 * blob: URL the page may make again, a CDN's HTTP error, a file the page could not hold, a worker
 * that did not take the parts of a large file), one delay per attempt. The message itself was
 * sent and kept with the reason; a later read that gets the bytes sends it again with them (an
 * "updated" version). Only while the message is still on the page and the capture runs.
 */
export const ATTACHMENT_RETRY_DELAYS_MS = [2_000, 15_000, 60_000] as const;

/** A message whose attachment bytes may still be read: how often they were tried, and when next. */
interface Retry {
  attempts: number;
  dueAt: number;
  /** How many of its attachments had bytes when it was last sent. */
  kept: number;
}

/** A message of a read to send: the version it is sent as, and its place in the capture's order. */
interface ToSend {
  m: PageMessage;
  version: SentVersion;
  pos: number;
}

/** A message's attachments as this capture sends them, and the small files among them to send along. */
interface Captured {
  attachments: CapturedAttachmentRef[];
  blobs: ReadBlob[];
  kept: number;
  /** Attachments whose bytes were not read but may be on a later attempt. */
  retryable: number;
}

/**
 * The fields of a page message a change in which is a new version to send. The others: its
 * order and the time as displayed do not count, and quote and attachments count in part (no
 * quote link, no bytes read). TypeScript makes every field appear in one of the two lists, so a
 * field added to messages later cannot be left out of the comparison unnoticed.
 */
export const COMPARED_FIELDS = [
  'messageId', 'type', 'sender', 'fromSelf', 'sentAt', 'text', 'links', 'deleted', 'edited', 'forwarded', 'reactions', 'direction', 'truncated',
] as const satisfies readonly (keyof PageMessage)[];
const OTHER_FIELDS = ['pageOrder', 'sentAtText', 'quote', 'attachments'] as const satisfies readonly (keyof PageMessage)[];
type Unlisted = Exclude<keyof PageMessage, (typeof COMPARED_FIELDS)[number] | (typeof OTHER_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

/**
 * A message as last sent, to compare later reads of it with: the compared fields one by one,
 * not a JSON fingerprint of each message on every read (auto-capture reads every message on
 * screen after every burst of changes, and building those strings was most of push's cost).
 * The unit tests change each of COMPARED_FIELDS, and each part of a quote and an attachment,
 * and expect the message to be sent again.
 */
interface SentVersion {
  type: PageMessage['type'];
  sender: string | null;
  fromSelf: boolean;
  sentAt: string | null;
  text: string;
  deleted: boolean;
  edited: boolean;
  forwarded: boolean;
  direction: PageMessage['direction'];
  truncated: boolean;
  /** Links, reactions, the quote's author and text, and the attachments (no bytes): JSON, or '' when there are none. */
  parts: string;
}

function partsOf(m: PageMessage): string {
  const q = m.quote;
  // Most messages have none of these: no string to build. JSON is never empty, so '' is only this.
  if (m.links.length === 0 && m.reactions.length === 0 && q === null && m.attachments.length === 0) return '';
  return JSON.stringify([
    m.links,
    m.reactions,
    q && [q.author, q.text],
    m.attachments.map((a) => [a.kind, a.originalName, a.thumbnail, a.missingReason, a.sourceUrl !== null]),
  ]);
}

function versionOf(m: PageMessage): SentVersion {
  return {
    type: m.type, sender: m.sender, fromSelf: m.fromSelf, sentAt: m.sentAt, text: m.text,
    deleted: m.deleted, edited: m.edited, forwarded: m.forwarded, direction: m.direction, truncated: m.truncated === true, parts: partsOf(m),
  };
}

/** Whether `m` reads as `v` did (messageId is the key `v` was found under). */
function sameVersion(m: PageMessage, v: SentVersion): boolean {
  return (
    m.text === v.text && m.sentAt === v.sentAt && m.sender === v.sender && m.fromSelf === v.fromSelf && m.type === v.type &&
    m.deleted === v.deleted && m.edited === v.edited && m.forwarded === v.forwarded && m.direction === v.direction && (m.truncated === true) === v.truncated &&
    partsOf(m) === v.parts
  );
}

export class CaptureSession {
  private readonly sent = new Map<string, SentVersion>();
  /**
   * The sent version each page message object was found to be (weakly: the objects are the
   * adapter's). An adapter that gives the same object again for a row that did not change
   * (WhatsApp's readPane) has it passed over without comparing its fields, while its id's sent
   * version is still that one; any other object is compared as usual.
   */
  private readonly verified = new WeakMap<PageMessage, SentVersion>();
  private readonly sentBlobs = new Set<string>();
  /**
   * Large attachments this capture has kept, by the URL the page gave them: a message read again
   * (a reaction added, an edit) does not read and hash hundreds of megabytes again. The page's
   * blob: URLs, and the adapters' signed CDN URLs, name fixed bytes.
   */
  private readonly keptLarge = new Map<string, Pick<CapturedAttachmentRef, 'mediaType' | 'sha256' | 'size'>>();
  private readonly order = new PageOrder();
  /** Messages sent without some attachment's bytes that a later read may get (ATTACHMENT_RETRY_DELAYS_MS). */
  private readonly retries = new Map<string, Retry>();
  private seq = 0;
  /** Messages (and events) acknowledged so far. */
  acknowledged = 0;
  oldestSentAt: string | null = null;
  private oldestMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly adapter: Adapter,
    readonly captureId: string,
    private readonly send: SendBatch,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly sendPart: SendPart = noParts,
    private readonly now: () => number = Date.now,
  ) {}

  /** When the next attachment read is due (ms, as `now` gives it), or null when none waits. */
  nextRetryAt(): number | null {
    let at: number | null = null;
    for (const r of this.retries.values()) if (at === null || r.dueAt < at) at = r.dueAt;
    return at;
  }

  /** How long until the next attachment read is due (0 when it is), or null when none waits. */
  nextRetryIn(): number | null {
    const at = this.nextRetryAt();
    return at === null ? null : Math.max(0, at - this.now());
  }

  /**
   * An attachment too large for a batch goes first, in parts, at most two on their way at once and
   * the last alone, once every other was acknowledged.
   * Returns the reference the message keeps: as read once the background holds the whole, or,
   * when it could not be sent, without bytes and with the reason (the message itself is kept).
   */
  private async sendLarge(blob: LargeBlob, ref: CapturedAttachmentRef): Promise<CapturedAttachmentRef> {
    const step = LIMITS.blobPartBytes;
    const offsets: number[] = [];
    for (let offset = 0; offset < blob.size; offset += step) offsets.push(offset);
    const last = offsets.pop()!;
    const kept = (): CapturedAttachmentRef => {
      this.sentBlobs.add(blob.sha256);
      return ref;
    };
    try {
      // Two parts travel at once (one is read and sent while the background stores the other),
      // but the last goes alone, after every other was acknowledged: the background puts the
      // attachment together when it has them all, and must not start while one is still on its way.
      let travelling: Promise<BlobPartAck> | null = null;
      for (const offset of offsets) {
        const next = this.sendPartAt(blob, offset);
        next.catch(() => undefined); // awaited below, unless an earlier part fails first
        if (travelling && (await travelling).stored) return kept(); // already kept: the rest is not needed
        travelling = next;
      }
      if (travelling && (await travelling).stored) return kept();
      if ((await this.sendPartAt(blob, last)).stored) return kept();
      throw new Error('the background did not keep it after its last part');
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      return { ...ref, sha256: null, size: null, missingReason: `could not be kept (${mb(blob.size)} MB): ${why}` };
    }
  }

  /** Reads one part from the page's Blob and sends it until acknowledged. */
  private async sendPartAt(blob: LargeBlob, offset: number): Promise<BlobPartAck> {
    const bytes = new Uint8Array(await blob.source.slice(offset, Math.min(offset + LIMITS.blobPartBytes, blob.size)).arrayBuffer());
    return this.sendPart({
      type: 'content/blob-part',
      captureId: this.captureId,
      adapter: this.adapter.id,
      sha256: blob.sha256,
      mediaType: blob.mediaType,
      size: blob.size,
      offset,
      base64: bytesToBase64(bytes),
    });
  }

  /**
   * Whether the last read shared a message with earlier ones. A read that shares none after
   * scrolling may have jumped over rows; the scroll-back loop then steps back.
   */
  get lastReadOverlapped(): boolean {
    return this.order.lastOverlapped;
  }

  /** Send whatever in this read is new or changed. Returns how many messages were sent. */
  async push(read: PageRead): Promise<number> {
    // Indexed loops: auto-capture pushes every read, and most of a read's messages were sent before.
    const page = read.messages;
    const ids: string[] = new Array<string>(page.length);
    for (let i = 0; i < page.length; i++) ids[i] = page[i]!.messageId;
    const positions = this.order.place(ids);
    const changed: ToSend[] = [];
    /** Unchanged messages whose attachment read is due again. */
    const due: ToSend[] = [];
    const retrying = this.retries.size > 0;
    const now = retrying ? this.now() : 0;
    for (let i = 0; i < page.length; i++) {
      const m = page[i]!;
      const last = this.sent.get(m.messageId);
      // Unchanged since it was sent: its time was looked at then.
      let same = last !== undefined && this.verified.get(m) === last;
      if (!same && last && sameVersion(m, last)) {
        this.verified.set(m, last);
        same = true;
      }
      if (same) {
        if (retrying && (this.retries.get(m.messageId)?.dueAt ?? Infinity) <= now) due.push({ m, version: last!, pos: positions[i]! });
        continue;
      }
      changed.push({ m, version: versionOf(m), pos: positions[i]! });
      const t = m.sentAt ? Date.parse(m.sentAt) : Number.NaN;
      if (!Number.isNaN(t) && t < this.oldestMs) {
        this.oldestMs = t;
        this.oldestSentAt = m.sentAt;
      }
    }
    if (changed.length === 0 && due.length === 0) return 0;

    const blobs = new Map<string, ReadBlob>();
    const messages: CapturedMessage[] = [];
    const sending: { m: PageMessage; version: SentVersion; captured: Captured }[] = [];
    const add = (c: ToSend, captured: Captured): void => {
      for (const b of captured.blobs) blobs.set(b.sha256, b);
      messages.push({ ...c.m, pageOrder: c.pos, attachments: captured.attachments });
      sending.push({ m: c.m, version: c.version, captured });
    };
    for (const c of changed) add(c, await this.capture(c.m));
    const tried = new Set<string>();
    for (const c of due) {
      const before = this.retries.get(c.m.messageId);
      // One attempt per message and read, also when a read shows the same id twice.
      if (!before || tried.has(c.m.messageId)) continue;
      tried.add(c.m.messageId);
      const captured = await this.capture(c.m);
      // Sent again only with more bytes than before: the same reasons again are no new version.
      if (captured.kept > before.kept) add(c, captured);
      else this.scheduleRetry(c.m.messageId, captured);
    }
    if (messages.length === 0) return 0;
    for (const p of planBatches(messages, blobs)) {
      await this.send({
        type: 'content/batch',
        captureId: this.captureId,
        adapter: this.adapter.id,
        seq: this.seq++,
        thread: read.thread,
        messages: p.messages,
        blobs: p.blobs.map((b) => ({ sha256: b.sha256, mediaType: b.mediaType, base64: bytesToBase64(b.bytes) })),
      });
      p.blobs.forEach((b) => this.sentBlobs.add(b.sha256));
    }
    // Only after every batch was acknowledged do we consider these sent.
    for (const { m, version, captured } of sending) {
      this.sent.set(m.messageId, version);
      this.verified.set(m, version);
      this.scheduleRetry(m.messageId, captured);
    }
    this.acknowledged = this.sent.size;
    return sending.length;
  }

  /** The message's attachments as sent: bytes read (small ones to go with the batch, large ones sent in parts first) or the reason. */
  private async capture(m: PageMessage): Promise<Captured> {
    const captured: Captured = { attachments: [], blobs: [], kept: 0, retryable: 0 };
    for (const a of m.attachments) {
      const known = a.sourceUrl !== null ? this.keptLarge.get(a.sourceUrl) : undefined;
      let ref: CapturedAttachmentRef;
      if (known) {
        ref = { kind: a.kind, originalName: a.originalName, thumbnail: a.thumbnail, ...known, missingReason: null };
      } else {
        const read = await readAttachment(a, this.fetchImpl, this.adapter.attachmentHosts ?? []);
        ref = read.ref;
        if (read.retryable) captured.retryable++;
        const blob = read.blob;
        if (blob && isLarge(blob)) {
          ref = this.sentBlobs.has(blob.sha256) ? ref : await this.sendLarge(blob, ref);
          if (ref.sha256 === null) captured.retryable++;
          else if (a.sourceUrl !== null) this.keptLarge.set(a.sourceUrl, { mediaType: ref.mediaType, sha256: ref.sha256, size: ref.size });
        } else if (blob && !this.sentBlobs.has(blob.sha256)) {
          captured.blobs.push(blob);
        }
      }
      if (ref.sha256 !== null) captured.kept++;
      captured.attachments.push(ref);
    }
    return captured;
  }

  /** Another read of the message's attachments later, while attempts are left and one may still succeed; else none. */
  private scheduleRetry(messageId: string, captured: Captured): void {
    const before = this.retries.get(messageId);
    const attempts = (before?.attempts ?? 0) + 1;
    const delay = ATTACHMENT_RETRY_DELAYS_MS[attempts - 1];
    if (captured.retryable === 0 || delay === undefined) {
      this.retries.delete(messageId);
      return;
    }
    this.retries.set(messageId, { attempts, dueAt: this.now() + delay, kept: captured.kept });
  }
}
