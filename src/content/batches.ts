/**
 * Splitting a capture into batches the background can take: bounded in messages and in
 * attachment bytes, each attachment's bytes sent once, with the first message that uses it.
 */
import type { CapturedMessage } from '../shared/model';
import { LIMITS } from '../shared/protocol';
import type { ReadBlob } from './attachments';

export interface PlannedBatch {
  messages: CapturedMessage[];
  blobs: ReadBlob[];
}

export function planBatches(
  messages: CapturedMessage[],
  blobs: Map<string, ReadBlob>,
  limits = { messages: 200, bytes: LIMITS.blobBytesPerBatch },
): PlannedBatch[] {
  const out: PlannedBatch[] = [];
  let current: PlannedBatch = { messages: [], blobs: [] };
  let bytes = 0;
  const sent = new Set<string>();
  for (const m of messages) {
    const needed = m.attachments
      .map((a) => a.sha256)
      .filter((h): h is string => h !== null && !sent.has(h))
      .filter((h, i, all) => all.indexOf(h) === i)
      .map((h) => blobs.get(h)!)
      .filter(Boolean);
    const extra = needed.reduce((n, b) => n + b.bytes.length, 0);
    if (current.messages.length > 0 && (current.messages.length >= limits.messages || bytes + extra > limits.bytes)) {
      out.push(current);
      current = { messages: [], blobs: [] };
      bytes = 0;
    }
    current.messages.push(m);
    current.blobs.push(...needed);
    needed.forEach((b) => sent.add(b.sha256));
    bytes += extra;
  }
  if (current.messages.length > 0) out.push(current);
  return out;
}
