/**
 * Attachments larger than a batch may carry (LIMITS.blobBytesPerBatch) arrive in parts
 * (`content/blob-part`), at most two at once, the last alone once every other was acknowledged
 * (so only it can complete the set), and all before the batch whose message refers to the
 * attachment. Each part is kept in blobParts as it comes. When the last is there,
 * the parts are put together in one buffer, checked against the SHA-256 the content script
 * claimed, given their SHA-512 and CRC-32 as ingest gives any attachment, and stored in one
 * transaction that also drops the parts; the batch then finds the attachment stored.
 *
 * A part sent again (the worker stopped before it answered) replaces itself. Parts that do not fit
 * together, or whose whole does not match its SHA-256, are dropped and the part is refused with the
 * reason (the content script then records the attachment as missing, with that reason, and keeps
 * the message). Parts of a capture that ended are dropped (dropStagedParts).
 */
import type { ThreadkeeperDb } from '../db/schema';
import { LIMITS, type BlobPartAck, type ContentBlobPart } from '../shared/protocol';
import { base64ToBytes, sha256Hex, sha512Hex } from '../shared/bytes';
import { crc32 } from '../shared/crc32';
import { IngestError } from './ingest';

const short = (sha256: string) => `${sha256.slice(0, 12)}…`;

/** The parts of one attachment that one capture has sent so far, in offset order. */
function partsOf(db: ThreadkeeperDb, captureId: string, sha256: string) {
  return db.blobParts.where('[captureId+sha256]').equals([captureId, sha256]);
}

/** Whether the attachment is stored (keys only: the row holds the bytes). */
async function isStored(db: ThreadkeeperDb, sha256: string): Promise<boolean> {
  return (await db.attachments.where('sha256').equals(sha256).primaryKeys()).length > 0;
}

export async function stageBlobPart(
  db: ThreadkeeperDb,
  part: ContentBlobPart,
  now: () => string = () => new Date().toISOString(),
  partBytes: number = LIMITS.blobPartBytes,
): Promise<BlobPartAck> {
  const { captureId, sha256, size, offset, mediaType } = part;
  const answer = (stored: boolean): BlobPartAck => ({ ok: true, sha256, offset, stored });
  if (offset % partBytes !== 0 || offset >= size) {
    throw new IngestError(`a part of attachment ${short(sha256)} starts at byte ${offset}, where no part of ${size} bytes starts`);
  }
  const bytes = base64ToBytes(part.base64);
  const expected = Math.min(partBytes, size - offset);
  if (bytes.length !== expected) {
    throw new IngestError(`the part of attachment ${short(sha256)} at byte ${offset} holds ${bytes.length} bytes, not ${expected}`);
  }
  const capture = await db.captures.get(captureId);
  if (!capture) throw new IngestError(`unknown capture ${captureId}`);
  if (capture.status !== 'running') throw new IngestError(`capture ${captureId} is already ${capture.status}`);
  if (await isStored(db, sha256)) return answer(true);

  try {
    await db.blobParts.put({ captureId, sha256, offset, size, mediaType, bytes, receivedAt: now() });
  } catch (err) {
    // A full disk: the content script gives this attachment up (the message keeps the reason),
    // so its other parts only take space that the rest of the capture needs. Best effort.
    await partsOf(db, captureId, sha256).delete().catch(() => undefined);
    throw err;
  }
  const have = await partsOf(db, captureId, sha256).count();
  if (have < Math.ceil(size / partBytes)) {
    // The same part delivered twice (a late answer, then the retry): if the first delivery put the
    // file together meanwhile, this part is a stray one.
    if (!(await isStored(db, sha256))) return answer(false);
    await partsOf(db, captureId, sha256).delete();
    return answer(true);
  }
  await assemble(db, part, now(), partBytes);
  return answer(true);
}

/** Puts the parts together, checks and stores the whole; drops the parts either way. */
async function assemble(db: ThreadkeeperDb, last: ContentBlobPart, at: string, partBytes: number): Promise<void> {
  const { captureId, sha256, size, mediaType } = last;
  const whole = new Uint8Array(size);
  let next = 0;
  let fits = true;
  // One part in memory at a time beside the whole; in offset order (the primary key's).
  await partsOf(db, captureId, sha256).each((p) => {
    if (!fits) return;
    if (p.size !== size || p.mediaType !== mediaType || p.offset !== next || p.bytes.length !== Math.min(partBytes, size - p.offset)) {
      fits = false;
      return;
    }
    whole.set(p.bytes, p.offset);
    next += p.bytes.length;
  });
  if (!fits || next !== size) {
    // The same last part delivered twice at once: the other delivery stored it and took the parts.
    if (await isStored(db, sha256)) return;
    await partsOf(db, captureId, sha256).delete();
    throw new IngestError(`the parts of attachment ${short(sha256)} do not fit together (they disagree on its size or type); they were dropped`);
  }
  const [actual, sha512] = await Promise.all([sha256Hex(whole), sha512Hex(whole)]);
  if (actual !== sha256) {
    await partsOf(db, captureId, sha256).delete();
    throw new IngestError(`attachment bytes do not match their SHA-256 (${short(sha256)})`);
  }
  const crc = crc32(whole);
  await db.transaction('rw', [db.attachments, db.blobParts], async () => {
    if (!(await isStored(db, sha256))) {
      await db.attachments.add({ sha256, mediaType, size, bytes: whole, firstSeenAt: at, sha512, crc32: crc });
    }
    await partsOf(db, captureId, sha256).delete();
  });
}

/** A capture ended: the parts of attachments it never finished sending are dropped. */
export async function dropStagedParts(db: ThreadkeeperDb, captureId: string): Promise<void> {
  await db.blobParts.where('captureId').equals(captureId).delete();
}

/** At start: parts whose capture is no longer running (the worker stopped as it ended) are dropped. */
export async function dropStaleParts(db: ThreadkeeperDb): Promise<void> {
  const ids = (await db.blobParts.orderBy('captureId').uniqueKeys()) as string[];
  for (const id of ids) {
    const c = await db.captures.get(id);
    if (c?.status !== 'running') await dropStagedParts(db, id);
  }
}
