/**
 * Writing captured batches into the database. The background calls this only after the
 * sender and the payload schema were checked (boundary.ts).
 *
 * Everything that awaits something other than Dexie (hashing) happens BEFORE the transaction:
 * an IndexedDB transaction commits itself as soon as it waits on a foreign promise.
 */
import Dexie from 'dexie';
import type { ContentBatch } from '../shared/protocol';
import type { CapturedMessage } from '../shared/model';
import { base64ToBytes, canonicalJson, sha256Hex, sha512Hex } from '../shared/bytes';
import { crc32 } from '../shared/crc32';
import { sha256HexSync } from '../shared/sha256-sync';
import { tallyAfterIngest } from './deadline-tally';
import type { CaptureRow, MessageContent, MessageRow, ThreadkeeperDb, VersionKind, VersionRow } from '../db/schema';

export class IngestError extends Error {
  override name = 'IngestError';
}

export interface IngestResult {
  threadId: string;
  /** Messages (not events) not seen before. */
  newMessages: number;
  /** System events (group changes, notices) not seen before. */
  newEvents: number;
  newVersions: number;
  /** True when this batch (captureId, seq) had already been committed: nothing was written. */
  duplicateBatch: boolean;
}

export function threadIdOf(platform: string, threadKey: string): string {
  return `${platform}:${threadKey}`;
}

export function contentOf(m: CapturedMessage): MessageContent {
  return {
    sender: m.sender,
    fromSelf: m.fromSelf,
    sentAt: m.sentAt,
    sentAtText: m.sentAtText,
    text: m.text,
    links: m.links,
    deleted: m.deleted,
    edited: m.edited,
    forwarded: m.forwarded,
    quote: m.quote,
    reactions: m.reactions,
    attachments: m.attachments,
    direction: m.direction,
    // Only when true: a key that is always there would change every stored fingerprint.
    ...(m.truncated ? { truncated: true as const } : {}),
  };
}

/**
 * What identifies a version. The time *as displayed* ("10:31" vs "[10:31, 28/09/2026]"), the
 * page position, and which earlier message a quote was matched to (the adapter can only match
 * quotes whose original is on screen at the same time; the bundle writer links the rest) are
 * presentation or our own derivation, not content, so they do not make a new version.
 *
 * Synchronous: the same SHA-256 of the same UTF-8 bytes as WebCrypto gives (stored fingerprints
 * are compared with it; test/unit/fingerprint.test.ts pins values), without an awaited digest
 * per message, which cost more than the hashing itself.
 */
export function fingerprintOf(content: MessageContent): string {
  const { sentAtText: _shown, sentAt: _sent, quote, ...rest } = content;
  return sha256HexSync(canonicalJson({ ...rest, quote: quote && { author: quote.author, text: quote.text } }));
}

/** Thrown inside the transaction to abort it: a batch assumed new held a stored message. */
class StoredAlready extends Error {}

/** Every message and event this capture has ingested so far was new (and there was at least one). */
function allNewSoFar(counts: CaptureRow['counts']): boolean {
  return counts.messages + counts.events > 0 && counts.newMessages === counts.messages && counts.newEvents === counts.events && counts.newVersions === 0;
}

/**
 * `next` with each attachment the read could not get bytes for, but the message's previous
 * version holds, taken from that version (the same place in the list, kind and name): a page URL
 * that expired, a CDN that failed or media the page no longer holds since do not make the kept
 * bytes a "missing" attachment, nor a new version by themselves. `next` itself when none is.
 */
export function withKeptBytes(next: MessageContent, prev: MessageContent): MessageContent {
  if (next.attachments.length !== prev.attachments.length) return next;
  let attachments: MessageContent['attachments'] | null = null;
  next.attachments.forEach((a, i) => {
    const kept = prev.attachments[i]!;
    if (a.sha256 !== null || kept.sha256 === null || a.kind !== kept.kind || a.originalName !== kept.originalName) return;
    attachments ??= next.attachments.slice();
    attachments[i] = kept;
  });
  return attachments ? { ...next, attachments } : next;
}

function versionKind(prev: MessageContent, next: MessageContent): VersionKind {
  if (next.deleted && !prev.deleted) return 'deleted';
  if (next.text !== prev.text || (next.edited && !prev.edited)) return 'edited';
  return 'updated';
}

export async function ingestBatch(
  db: ThreadkeeperDb,
  batch: ContentBatch,
  now: () => string = () => new Date().toISOString(),
): Promise<IngestResult> {
  const threadId = threadIdOf(batch.adapter, batch.thread.threadKey);

  // 1. Check every blob's bytes against the hash the content script claims.
  const blobs = await Promise.all(
    batch.blobs.map(async (b) => {
      const bytes = base64ToBytes(b.base64);
      // The SHA-512 and CRC-32 are kept with the bytes for every export of them (AttachmentRow).
      const [actual, sha512] = await Promise.all([sha256Hex(bytes), sha512Hex(bytes)]);
      if (actual !== b.sha256) {
        throw new IngestError(`attachment bytes do not match their SHA-256 (${b.sha256.slice(0, 12)}…)`);
      }
      return { sha256: b.sha256, mediaType: b.mediaType, bytes, sha512, crc32: crc32(bytes) };
    }),
  );
  const blobHashes = new Set(blobs.map((b) => b.sha256));

  // 2. Fingerprint every message's content.
  const incoming = batch.messages.map((m) => {
    const content = contentOf(m);
    return { m, content, fingerprint: fingerprintOf(content) };
  });

  const at = now();
  // Reading the stored rows of a batch's messages (one request per message) is the largest cost
  // ingest has over a plain write. When the thread is new, or everything this capture has sent so
  // far was new (a first capture of a thread: the content script sends each message once unless
  // it changes), the batch is written as if none were stored, with bulkAdd: a stored one makes
  // it fail, which aborts the whole transaction (nothing of it is kept), and the batch is then
  // written again the ordinary way. Either way the same rows result. Not inside a caller's
  // transaction, which the abort would end too.
  const write = (mayAssumeNew: boolean) => db.transaction(
    'rw',
    [db.threads, db.messages, db.versions, db.attachments, db.captures],
    async (): Promise<IngestResult> => {
      const capture = await db.captures.get(batch.captureId);
      if (!capture) throw new IngestError(`unknown capture ${batch.captureId}`);
      if (capture.status !== 'running') throw new IngestError(`capture ${batch.captureId} is already ${capture.status}`);
      if (capture.appliedSeqs.includes(batch.seq)) {
        return { threadId, newMessages: 0, newEvents: 0, newVersions: 0, duplicateBatch: true };
      }

      // Thread: created now if new; an existing one is refreshed once the messages are written (below).
      const existingThread = await db.threads.get(threadId);
      if (!existingThread) {
        await db.threads.add({
          id: threadId,
          platform: batch.adapter,
          threadKey: batch.thread.threadKey,
          title: batch.thread.title,
          kind: batch.thread.kind,
          participants: batch.thread.participants,
          firstCapturedAt: at,
          lastCapturedAt: at,
          bundles: [],
        });
      }

      // Attachment bytes, once per hash. Reads and writes are batched: one bulk call per table
      // rather than one request per message (see docs/performance.md, "Ingest").
      const referenced = [...new Set(incoming.flatMap(({ content }) => content.attachments.map((a) => a.sha256)).filter((h): h is string => h !== null))];
      const wanted = [...new Set([...blobs.map((b) => b.sha256), ...referenced])];
      // Keys only: an attachment row holds its bytes, which this check must not load.
      const stored = new Set((await db.attachments.where('sha256').anyOf(wanted).primaryKeys()) as string[]);
      const newBlobs = blobs.filter((b, i) => !stored.has(b.sha256) && blobs.findIndex((o) => o.sha256 === b.sha256) === i);
      if (newBlobs.length > 0) {
        await db.attachments.bulkAdd(newBlobs.map((b) => ({ sha256: b.sha256, mediaType: b.mediaType, size: b.bytes.length, bytes: b.bytes, firstSeenAt: at, sha512: b.sha512, crc32: b.crc32 })));
      }

      let newMessages = 0;
      let newEvents = 0;
      let newVersions = 0;
      let attachmentsMissing = 0;
      let attachmentCount = 0;
      /** Messages, events and cut-short messages this capture already counted, met again as a new version. */
      const recounted = { messages: 0, events: 0, truncated: 0 };
      const assumeNew = mayAssumeNew && (!existingThread || allNewSoFar(capture.counts));
      const existingRows = assumeNew
        ? incoming.map(() => undefined)
        : await db.messages.bulkGet(incoming.map(({ m }): [string, string] => [threadId, m.messageId]));
      const messageRows: MessageRow[] = [];
      const versionRows: VersionRow[] = [];
      /** Rows of messages first stored by this batch (for the thread's deadline tally). */
      const addedRows: MessageRow[] = [];
      /** Whether a new version gave a stored message a send time it did not have (its deadline base moves). */
      let sendTimeLearned = false;
      // A batch may carry the same message twice (a re-render between reads): the later read
      // is compared with the earlier one, as if it had come in the next batch.
      const seenInBatch = new Map<string, { row: MessageRow; content: MessageContent }>();
      for (const [i, read] of incoming.entries()) {
        const m = read.m;
        let { content, fingerprint } = read;
        // A reference that claims bytes we never received would be a silent gap: refuse it.
        for (const a of content.attachments) {
          attachmentCount++;
          if (a.sha256 === null) attachmentsMissing++;
          else if (!blobHashes.has(a.sha256) && !stored.has(a.sha256)) {
            throw new IngestError(`message ${m.messageId} refers to attachment bytes that were not sent`);
          }
        }
        const earlier = seenInBatch.get(m.messageId);
        const existing = earlier?.row ?? existingRows[i];
        if (!existing) {
          const row: MessageRow = {
            threadId,
            messageId: m.messageId,
            type: m.type,
            sentAt: m.sentAt,
            firstSeenAt: at,
            lastSeenAt: at,
            firstPageOrder: m.pageOrder,
            firstCaptureId: batch.captureId,
            versionCount: 1,
            latestFingerprint: fingerprint,
            carriedVersion: 0,
            forwardedVersion: 0,
            forwardedAt: null,
          };
          messageRows.push(row);
          addedRows.push(row);
          versionRows.push({ threadId, messageId: m.messageId, version: 1, kind: 'original', observedAt: at, captureId: batch.captureId, fingerprint, content });
          seenInBatch.set(m.messageId, { row, content });
          if (m.type === 'message') newMessages++;
          else newEvents++;
          continue;
        }
        /** Seen again as its newest version is: only the time it was last seen changes. */
        const seenAgain = (): void => {
          if (earlier) return;
          const row = { ...existing, lastSeenAt: at };
          messageRows.push(row);
          seenInBatch.set(m.messageId, { row, content });
        };
        if (existing.latestFingerprint === fingerprint) {
          seenAgain();
          continue;
        }
        const prevRow = earlier ? undefined : ((await db.versions.where('[threadId+messageId+version]').equals([threadId, m.messageId, existing.versionCount]).first()) as VersionRow | undefined);
        const prevContent = earlier?.content ?? prevRow?.content;
        if (!prevContent) throw new IngestError(`version ${existing.versionCount} of message ${m.messageId} is missing`);
        const withBytes = withKeptBytes(content, prevContent);
        if (withBytes !== content) {
          for (let k = 0; k < content.attachments.length; k++) if (content.attachments[k] !== withBytes.attachments[k]) attachmentsMissing--;
          content = withBytes;
          fingerprint = fingerprintOf(content);
          if (fingerprint === existing.latestFingerprint) {
            seenAgain(); // nothing changed but bytes this read could not get, which the message keeps
            continue;
          }
        }
        // This capture counted the version this one replaces: the message counts once, as it is
        // now (an edit seen by auto mode is not a second message; bytes read on a later attempt,
        // CaptureSession's retries, are no longer "missing").
        if (earlier || prevRow?.captureId === batch.captureId) {
          if (m.type === 'message') recounted.messages++;
          else recounted.events++;
          if (prevContent.truncated) recounted.truncated++;
          for (const a of prevContent.attachments) {
            attachmentCount--;
            if (a.sha256 === null) attachmentsMissing--;
          }
        }
        const version = existing.versionCount + 1;
        // A deleted message no longer shows its sender or time on some pages; keep what we knew.
        const kept: MessageContent = { ...content, sender: content.sender ?? prevContent.sender, sentAt: content.sentAt ?? prevContent.sentAt };
        versionRows.push({ threadId, messageId: m.messageId, version, kind: versionKind(prevContent, content), observedAt: at, captureId: batch.captureId, fingerprint, content: kept });
        const row: MessageRow = { ...existing, versionCount: version, latestFingerprint: fingerprint, lastSeenAt: at, sentAt: existing.sentAt ?? m.sentAt };
        if (row.sentAt !== existing.sentAt) sendTimeLearned = true;
        if (!earlier) messageRows.push(row);
        else Object.assign(earlier.row, row);
        seenInBatch.set(m.messageId, { row: earlier?.row ?? row, content: kept });
        newVersions++;
      }
      // Rows were built from what was read in this transaction; put them back in two calls.
      if (assumeNew) {
        await db.messages.bulkAdd(messageRows).catch((err: unknown) => {
          const stored = err instanceof Dexie.BulkError && Object.values(err.failuresByPos).every((f) => f.name === 'ConstraintError');
          throw stored ? new StoredAlready() : err;
        });
      } else {
        await db.messages.bulkPut(messageRows);
      }
      // bulkAdd, not bulkPut: the unique [threadId+messageId+version] index refuses a version
      // written twice, so versions stay append-only even against a bug here.
      await db.versions.bulkAdd(versionRows);

      if (existingThread) {
        // Title and newly seen participants (never dropping any), and the deadline tally's
        // revision: a put of the row read above in this transaction, changed (what update()
        // does, without reading the row again).
        const known = new Set(existingThread.participants.map((p) => `${p.self}|${p.name}`));
        const added = batch.thread.participants.filter((p) => !known.has(`${p.self}|${p.name}`));
        await db.threads.put({
          ...existingThread,
          title: batch.thread.title || existingThread.title,
          kind: batch.thread.kind === 'unknown' ? existingThread.kind : batch.thread.kind,
          participants: [...existingThread.participants, ...added],
          lastCapturedAt: at,
          ...tallyAfterIngest(existingThread, { added: addedRows, newVersions, sendTimeLearned, versions: versionRows, storedBefore: stored }),
        });
      }

      const messagesInBatch = batch.messages.filter((m) => m.type === 'message').length;
      const truncatedInBatch = batch.messages.filter((m) => m.truncated).length;
      await db.captures.put({
        ...capture,
        threadId,
        lastActivityAt: at,
        appliedSeqs: [...capture.appliedSeqs, batch.seq],
        counts: {
          messages: capture.counts.messages + messagesInBatch - recounted.messages,
          events: capture.counts.events + (batch.messages.length - messagesInBatch) - recounted.events,
          newMessages: capture.counts.newMessages + newMessages,
          newEvents: capture.counts.newEvents + newEvents,
          newVersions: capture.counts.newVersions + newVersions,
          attachments: capture.counts.attachments + attachmentCount,
          attachmentsMissing: capture.counts.attachmentsMissing + attachmentsMissing,
          // Counted once there is one: a capture without any keeps its counts as they were.
          ...(truncatedInBatch > 0 || capture.counts.truncated ? { truncated: (capture.counts.truncated ?? 0) + truncatedInBatch - recounted.truncated } : {}),
        },
      });
      return { threadId, newMessages, newEvents, newVersions, duplicateBatch: false };
    },
  );
  try {
    return await write(!Dexie.currentTransaction);
  } catch (err) {
    if (!(err instanceof StoredAlready)) throw err;
    return write(false);
  }
}
