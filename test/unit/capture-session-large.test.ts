/**
 * An attachment larger than a batch may carry (LIMITS.blobBytesPerBatch, 24 MiB) is sent in parts
 * of LIMITS.blobPartBytes before the batch of its message, each acknowledged before the next; the
 * message keeps its reference with the SHA-256. When the parts cannot be sent the message is kept
 * and its attachment says why; above LIMITS.attachmentBytes it is not read at all and says so.
 */
import { describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { CaptureSession } from '../../src/content/capture-session';
import type { Adapter, PageMessage } from '../../src/adapters/types';
import { LIMITS, type BlobPartAck, type ContentBatch, type ContentBlobPart } from '../../src/shared/protocol';
import { base64ToBytes } from '../../src/shared/bytes';
import { message, thread } from './factories';

vi.mock('webextension-polyfill', () => ({ default: { runtime: { sendMessage: vi.fn(), onMessage: { addListener: vi.fn() }, id: 'x' } } }));

const adapter = { id: 'whatsapp', attachmentHosts: [] } as unknown as Adapter;
const SIZE = LIMITS.blobBytesPerBatch + 1000;
const video = new Uint8Array(SIZE).map((_, j) => (j * 13 + (j >> 11)) & 0xff);
const sha256 = createHash('sha256').update(video).digest('hex');

function pageMessage(id: string, sourceUrl = 'blob:https://web.whatsapp.com/video'): PageMessage {
  const { attachments: _none, ...m } = message(id);
  return { ...m, attachments: [{ kind: 'video', originalName: 'site-visit.mp4', mediaType: 'video/mp4', missingReason: null, thumbnail: false, sourceUrl }] };
}

function session(answerPart: (p: ContentBlobPart) => Promise<BlobPartAck>, bytes: Uint8Array<ArrayBuffer> | Blob = video) {
  const batches: ContentBatch[] = [];
  const send = async (b: ContentBatch) => {
    batches.push(b);
    return { ok: true as const, seq: b.seq, newMessages: b.messages.length, newVersions: 0 };
  };
  const fetchImpl = (async () => new Response(bytes instanceof Blob ? bytes : new Blob([bytes], { type: 'video/mp4' }))) as unknown as typeof fetch;
  return { s: new CaptureSession(adapter, 'c1', send, fetchImpl, answerPart), batches };
}

describe('CaptureSession with an attachment over 24 MiB', () => {
  it('sends it in parts before the batch, which refers to it by its SHA-256 and carries no bytes', async () => {
    const parts: ContentBlobPart[] = [];
    const order: string[] = [];
    const { s, batches } = session(async (p) => {
      parts.push(p);
      order.push(`part@${p.offset}`);
      return { ok: true, sha256: p.sha256, offset: p.offset, stored: p.offset + LIMITS.blobPartBytes >= p.size };
    });
    const origSend = batches.push.bind(batches);
    batches.push = (...b: ContentBatch[]) => (order.push('batch'), origSend(...b));
    await s.push({ thread, messages: [pageMessage('M1')] });

    expect(parts.map((p) => p.offset)).toEqual([0, 1, 2, 3].map((i) => i * LIMITS.blobPartBytes));
    expect(order.at(-1)).toBe('batch');
    expect(parts.every((p) => p.sha256 === sha256 && p.size === SIZE && p.mediaType === 'video/mp4' && p.captureId === 'c1')).toBe(true);
    const joined = Buffer.concat(parts.map((p) => base64ToBytes(p.base64)));
    expect(joined.equals(Buffer.from(video))).toBe(true);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.blobs).toEqual([]);
    expect(batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256, size: SIZE, missingReason: null });
  });

  it('sends it once per capture: a second message with the same file sends no parts', async () => {
    let sent = 0;
    const { s, batches } = session(async (p) => (sent++, { ok: true, sha256: p.sha256, offset: p.offset, stored: p.offset + LIMITS.blobPartBytes >= p.size }));
    await s.push({ thread, messages: [pageMessage('M1')] });
    await s.push({ thread, messages: [pageMessage('M2')] });
    expect(sent).toBe(4);
    expect(batches[1]!.messages[0]!.attachments[0]).toMatchObject({ sha256, missingReason: null });
  });

  it('at most two parts travel at once, and the last only after every other was acknowledged', async () => {
    let travelling = 0;
    let most = 0;
    const atLast: number[] = [];
    const { s } = session(async (p) => {
      travelling++;
      most = Math.max(most, travelling);
      if (p.offset + LIMITS.blobPartBytes >= p.size) atLast.push(travelling - 1);
      await new Promise((r) => setTimeout(r, 20));
      travelling--;
      return { ok: true, sha256: p.sha256, offset: p.offset, stored: p.offset + LIMITS.blobPartBytes >= p.size };
    });
    await s.push({ thread, messages: [pageMessage('M1')] });
    expect(most).toBe(2);
    expect(atLast).toEqual([0]);
  });

  it('a message read again (a reaction added) does not read the large file again', async () => {
    let fetched = 0;
    const batches: ContentBatch[] = [];
    const fetchImpl = (async () => (fetched++, new Response(new Blob([video], { type: 'video/mp4' })))) as unknown as typeof fetch;
    const s = new CaptureSession(adapter, 'c1', async (b) => (batches.push(b), { ok: true as const, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl,
      async (p) => ({ ok: true, sha256: p.sha256, offset: p.offset, stored: p.offset + LIMITS.blobPartBytes >= p.size }));
    await s.push({ thread, messages: [pageMessage('M1')] });
    await s.push({ thread, messages: [{ ...pageMessage('M1'), reactions: [{ emoji: '👍', count: 1 }] }] });
    expect(fetched).toBe(1);
    expect(batches).toHaveLength(2);
    expect(batches[1]!.messages[0]!.attachments[0]).toEqual(batches[0]!.messages[0]!.attachments[0]);
    expect(batches[1]!.messages[0]!.reactions).toEqual([{ emoji: '👍', count: 1 }]);
  });

  it('stops once the background says it already keeps it (only the part already on its way follows)', async () => {
    let sent = 0;
    const { s, batches } = session(async (p) => (sent++, { ok: true, sha256: p.sha256, offset: p.offset, stored: true }));
    await s.push({ thread, messages: [pageMessage('M1')] });
    expect(sent).toBe(2);
    expect(batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256 });
  });

  it('a refused part: the message is kept, its attachment without bytes and with the reason', async () => {
    const { s, batches } = session(async (p) => {
      if (p.offset > 0) throw new Error('the browser has no more storage space');
      return { ok: true, sha256: p.sha256, offset: p.offset, stored: false };
    });
    await s.push({ thread, messages: [pageMessage('M1')] });
    expect(batches[0]!.messages.map((m) => m.messageId)).toEqual(['M1']);
    expect(batches[0]!.messages[0]!.attachments[0]).toMatchObject({
      sha256: null, size: null, originalName: 'site-visit.mp4', missingReason: 'could not be kept (24 MB): the browser has no more storage space',
    });
  });

  it('parts all acknowledged but never stored count as not kept', async () => {
    const { s, batches } = session(async (p) => ({ ok: true, sha256: p.sha256, offset: p.offset, stored: false }));
    await s.push({ thread, messages: [pageMessage('M1')] });
    expect(batches[0]!.messages[0]!.attachments[0]!.missingReason).toMatch(/could not be kept .*did not keep it after its last part/);
  });

  it('a file the page cannot read into memory is recorded with that reason, not as expired', async () => {
    const unreadable = { size: 300 * 1048576, type: 'video/mp4', arrayBuffer: () => Promise.reject(new RangeError('Array buffer allocation failed')) } as unknown as Blob;
    const fetchImpl = (async () => ({ ok: true, status: 200, blob: async () => unreadable })) as unknown as typeof fetch;
    const batches: ContentBatch[] = [];
    const s = new CaptureSession(adapter, 'c1', async (b) => (batches.push(b), { ok: true as const, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl, () => Promise.reject(new Error('no parts expected')));
    await s.push({ thread, messages: [pageMessage('M1')] });
    expect(batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256: null, missingReason: 'could not be read in the page (300 MB): Array buffer allocation failed' });
  });

  it('over the largest kept, it is not read and says so', async () => {
    const huge = { size: LIMITS.attachmentBytes + 1, type: 'video/mp4', arrayBuffer: () => Promise.reject(new Error('must not be read')) } as unknown as Blob;
    const fetchImpl = (async () => ({ ok: true, status: 200, blob: async () => huge })) as unknown as typeof fetch;
    const batches: ContentBatch[] = [];
    const s = new CaptureSession(adapter, 'c1', async (b) => (batches.push(b), { ok: true as const, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl, () => Promise.reject(new Error('no parts expected')));
    await s.push({ thread, messages: [pageMessage('M1')] });
    expect(batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256: null, missingReason: 'too large to capture (512 MB; the largest kept is 512 MB)' });
  });
});
