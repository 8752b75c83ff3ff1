/**
 * Reading attachment bytes in the page. `blob:` URLs are short-lived and belong to the page,
 * so the content script reads them at capture time. Failures are recorded as reasons, never
 * dropped: the message keeps an attachment entry saying why its bytes are missing.
 */
import type { PageAttachment } from '../adapters/types';
import type { CapturedAttachmentRef } from '../shared/model';
import { sha256Hex } from '../shared/bytes';
import { LIMITS } from '../shared/protocol';

export interface ReadBlob {
  sha256: string;
  mediaType: string;
  bytes: Uint8Array;
}

/**
 * An attachment larger than a batch may carry (LIMITS.blobBytesPerBatch): sent in parts before
 * the batch (CaptureSession), each part read from the page's Blob when it is sent, so the whole
 * is held only once, to hash it.
 */
export interface LargeBlob {
  sha256: string;
  mediaType: string;
  size: number;
  source: Blob;
}

export const isLarge = (b: ReadBlob | LargeBlob): b is LargeBlob => 'source' in b;

/** Bytes as whole megabytes, as the reasons for a missing attachment give them. */
export const mb = (n: number) => Math.round(n / 1048576);

/**
 * Only the page's own short-lived URLs, and https URLs on hosts the adapter names (e.g.
 * Discord's expiring CDN links), are read: no other network fetches on the user's behalf.
 */
function readable(url: string, hosts: readonly string[]): boolean {
  if (url.startsWith('blob:') || url.startsWith('data:')) return true;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && hosts.includes(u.hostname);
  } catch {
    return false;
  }
}

export interface ReadAttachment {
  ref: CapturedAttachmentRef;
  blob: ReadBlob | LargeBlob | null;
  /**
   * The bytes were not read, but reading again later may succeed: the page's URL failed (an
   * expired blob: URL the page may make again, an HTTP error from a CDN) or the page's process
   * could not hold the file. Not for media the page has not downloaded (its URL appears when it
   * does, which is a change of the message), links only, or a file over the size limit.
   */
  retryable: boolean;
}

export async function readAttachment(
  a: PageAttachment,
  fetchImpl: typeof fetch = fetch,
  hosts: readonly string[] = [],
): Promise<ReadAttachment> {
  const base = { kind: a.kind, originalName: a.originalName, thumbnail: a.thumbnail };
  const missing = (reason: string, retryable = false): ReadAttachment => ({
    ref: { ...base, mediaType: a.mediaType, sha256: null, size: null, missingReason: reason },
    blob: null,
    retryable,
  });
  if (!a.sourceUrl) return missing(a.missingReason ?? 'not downloaded in the page');
  if (!readable(a.sourceUrl, hosts)) return missing('the page only links to it (not downloaded in the page)');
  let bytes: Uint8Array;
  let mediaType: string;
  let source: Blob;
  try {
    const res = await fetchImpl(a.sourceUrl, { credentials: 'omit' });
    if (!res.ok) return missing(`the page could not provide it (HTTP ${res.status})`, true);
    source = await res.blob();
    if (source.size > LIMITS.attachmentBytes) {
      return missing(`too large to capture (${mb(source.size)} MB; the largest kept is ${mb(LIMITS.attachmentBytes)} MB)`);
    }
    mediaType = source.type || a.mediaType || 'application/octet-stream';
  } catch {
    return missing('expired: the page no longer holds it', true);
  }
  try {
    bytes = new Uint8Array(await source.arrayBuffer());
  } catch (err) {
    // A file of hundreds of megabytes the page's process cannot hold at once, say.
    return missing(`could not be read in the page (${mb(source.size)} MB): ${err instanceof Error ? err.message : String(err)}`.slice(0, 1000), true);
  }
  const sha256 = await sha256Hex(bytes);
  const ref = { ...base, mediaType, sha256, size: bytes.length, missingReason: null };
  if (bytes.length > LIMITS.blobBytesPerBatch) return { ref, blob: { sha256, mediaType, size: bytes.length, source }, retryable: false };
  return { ref, blob: { sha256, mediaType, bytes }, retryable: false };
}
