/**
 * One capture's sending side: what was already sent (so repeated reads of the same rows cost
 * nothing), the attachment bytes already sent, the page order across reads, and the batch
 * sequence. Every batch is sent until acknowledged (sendUntilAcked); a refusal stops the
 * capture with the background's reason.
 */
import type { Adapter, PageMessage, PageRead } from '../adapters/types';
import type { CapturedMessage } from '../shared/model';
import type { BatchAck, ContentBatch } from '../shared/protocol';
import { bytesToBase64 } from '../shared/bytes';
import { readAttachment, type ReadBlob } from './attachments';
import { planBatches } from './batches';
import { PageOrder } from './page-order';

export type SendBatch = (batch: ContentBatch) => Promise<BatchAck>;

/**
 * The fields of a page message a change in which is a new version to send. The others: its
 * order and the time as displayed do not count, and quote and attachments count in part (no
 * quote link, no bytes read). TypeScript makes every field appear in one of the two lists, so a
 * field added to messages later cannot be left out of the comparison unnoticed.
 */
export const COMPARED_FIELDS = [
  'messageId', 'type', 'sender', 'fromSelf', 'sentAt', 'text', 'links', 'deleted', 'edited', 'forwarded', 'reactions', 'direction',
] as const satisfies readonly (keyof PageMessage)[];
const OTHER_FIELDS = ['pageOrder', 'sentAtText', 'quote', 'attachments'] as const satisfies readonly (keyof PageMessage)[];
type Unlisted = Exclude<keyof PageMessage, (typeof COMPARED_FIELDS)[number] | (typeof OTHER_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

/**
 * What makes a page message "the same as last time". The fields one by one, not an object copy
 * without the others: this runs for every message on screen on every read (auto-capture reads
 * after every burst of changes), and the copy was most of its cost. The unit tests check that a
 * change in each of COMPARED_FIELDS changes it.
 */
function pageFingerprint(m: PageMessage): string {
  const q = m.quote;
  return JSON.stringify([
    m.messageId, m.type, m.sender, m.fromSelf, m.sentAt, m.text, m.links, m.deleted, m.edited, m.forwarded, m.reactions, m.direction,
    q && [q.author, q.text],
    m.attachments.map((a) => [a.kind, a.originalName, a.thumbnail, a.missingReason, a.sourceUrl !== null]),
  ]);
}

export class CaptureSession {
  private readonly sent = new Map<string, string>();
  private readonly sentBlobs = new Set<string>();
  private readonly order = new PageOrder();
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
  ) {}

  /**
   * Whether the last read shared a message with earlier ones. A read that shares none after
   * scrolling may have jumped over rows; the scroll-back loop then steps back.
   */
  get lastReadOverlapped(): boolean {
    return this.order.lastOverlapped;
  }

  /** Send whatever in this read is new or changed. Returns how many messages were sent. */
  async push(read: PageRead): Promise<number> {
    const positions = this.order.place(read.messages.map((m) => m.messageId));
    const changed: { m: PageMessage; fp: string; pos: number }[] = [];
    read.messages.forEach((m, i) => {
      const fp = pageFingerprint(m);
      // Unchanged since it was sent: its time was looked at then.
      if (this.sent.get(m.messageId) === fp) return;
      changed.push({ m, fp, pos: positions[i]! });
      const t = m.sentAt ? Date.parse(m.sentAt) : Number.NaN;
      if (!Number.isNaN(t) && t < this.oldestMs) {
        this.oldestMs = t;
        this.oldestSentAt = m.sentAt;
      }
    });
    if (changed.length === 0) return 0;

    const blobs = new Map<string, ReadBlob>();
    const messages: CapturedMessage[] = [];
    for (const { m, pos } of changed) {
      const attachments = [];
      for (const a of m.attachments) {
        const { ref, blob } = await readAttachment(a, this.fetchImpl, this.adapter.attachmentHosts ?? []);
        if (blob && !this.sentBlobs.has(blob.sha256)) blobs.set(blob.sha256, blob);
        attachments.push(ref);
      }
      messages.push({ ...m, pageOrder: pos, attachments });
    }
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
    for (const { m, fp } of changed) this.sent.set(m.messageId, fp);
    this.acknowledged = this.sent.size;
    return changed.length;
  }
}
