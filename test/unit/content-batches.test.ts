import { describe, expect, it, vi } from 'vitest';
import { planBatches } from '../../src/content/batches';
import { readAttachment, type ReadBlob } from '../../src/content/attachments';
import { askUntilAnswered, sendPartUntilAcked, sendUntilAcked } from '../../src/content/runner';
import { batch, message } from './factories';

vi.mock('webextension-polyfill', () => ({ default: { runtime: { sendMessage: vi.fn(), onMessage: { addListener: vi.fn() }, id: 'x' } } }));

const ref = (sha: string) => ({ kind: 'image' as const, originalName: null, mediaType: 'image/png', sha256: sha, size: 10, missingReason: null, thumbnail: false });

describe('planBatches', () => {
  it('bounds messages per batch and keeps page order', () => {
    const msgs = Array.from({ length: 450 }, (_, i) => message(`m${i}`, { pageOrder: i }));
    const planned = planBatches(msgs, new Map(), { messages: 200, bytes: 1000 });
    expect(planned.map((p) => p.messages.length)).toEqual([200, 200, 50]);
    expect(planned.flatMap((p) => p.messages.map((m) => m.messageId))).toEqual(msgs.map((m) => m.messageId));
  });

  it('sends each attachment once, with the first message that uses it, and splits on bytes', () => {
    const blob = (sha: string, size: number) => ({ sha256: sha, mediaType: 'image/png', bytes: new Uint8Array(size) });
    const blobs = new Map([['a'.repeat(64), blob('a'.repeat(64), 600)], ['b'.repeat(64), blob('b'.repeat(64), 600)]]);
    const msgs = [
      message('m1', { attachments: [ref('a'.repeat(64))] }),
      message('m2', { attachments: [ref('a'.repeat(64))] }),
      message('m3', { attachments: [ref('b'.repeat(64))] }),
    ];
    const planned = planBatches(msgs, blobs, { messages: 200, bytes: 1000 });
    expect(planned.map((p) => [p.messages.map((m) => m.messageId), p.blobs.map((b) => b.sha256[0])])).toEqual([
      [['m1', 'm2'], ['a']],
      [['m3'], ['b']],
    ]);
  });
});

describe('readAttachment', () => {
  it('reads blob bytes and hashes them', async () => {
    const fake = (async () => new Response(new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }))) as unknown as typeof fetch;
    const { ref: r, blob } = await readAttachment({ kind: 'image', originalName: null, mediaType: null, missingReason: null, thumbnail: false, sourceUrl: 'blob:https://web.whatsapp.com/1' }, fake);
    expect(r).toMatchObject({ mediaType: 'image/png', size: 3, sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81', missingReason: null });
    expect((blob as ReadBlob).bytes.length).toBe(3);
  });

  it('records why bytes are missing instead of dropping the attachment', async () => {
    const failing = (async () => { throw new TypeError('Failed to fetch'); }) as unknown as typeof fetch;
    const base = { kind: 'document' as const, originalName: 'minutes.pdf', mediaType: null, missingReason: null, thumbnail: false };
    expect((await readAttachment({ ...base, sourceUrl: 'blob:https://web.whatsapp.com/gone' }, failing)).ref.missingReason).toMatch(/expired/);
    expect((await readAttachment({ ...base, sourceUrl: null }, failing)).ref).toMatchObject({ sha256: null, originalName: 'minutes.pdf', missingReason: 'not downloaded in the page' });
    expect((await readAttachment({ ...base, sourceUrl: 'https://cdn.example/file.pdf' }, failing)).ref.missingReason).toMatch(/only links/);
  });
});

describe('sendPartUntilAcked', () => {
  const part = { type: 'content/blob-part' as const, captureId: 'c1', adapter: 'whatsapp' as const, sha256: 'a'.repeat(64), mediaType: 'video/mp4', size: 30_000_000, offset: 8_388_608, base64: 'AAAA' };

  it('sends the same part again after a transport error, and takes only the answer about that part', async () => {
    let calls = 0;
    const ack = await sendPartUntilAcked(part, async (p) => {
      calls++;
      if (calls === 1) throw new Error('the background closed the connection');
      // An answer about another part is not this part's acknowledgement.
      if (calls === 2) return { ok: true, sha256: p.sha256, offset: 0, stored: false };
      return { ok: true, sha256: p.sha256, offset: p.offset, stored: false };
    });
    expect(ack).toEqual({ ok: true, sha256: 'a'.repeat(64), offset: 8_388_608, stored: false });
    expect(calls).toBe(3);
  });

  it('stops at once when the background refuses the part', async () => {
    let calls = 0;
    await expect(sendPartUntilAcked(part, async () => (calls++, { ok: false, error: 'attachment bytes do not match their SHA-256 (aaaaaaaaaaaa…)' }))).rejects.toThrow(/do not match/);
    expect(calls).toBe(1);
  });
});

describe('sendUntilAcked', () => {
  it('re-sends the same batch after the worker drops it, until acknowledged', async () => {
    const b = batch('c1', 4, [message('A')]);
    const seen: number[] = [];
    let calls = 0;
    const ack = await sendUntilAcked(b, async (m) => {
      seen.push(m.seq);
      if (++calls < 3) throw new Error('Could not establish connection. Receiving end does not exist.');
      return { ok: true, seq: 4, newMessages: 1, newVersions: 0 };
    });
    expect(ack.seq).toBe(4);
    expect(seen).toEqual([4, 4, 4]);
  });

  it('a worker that never answers (stopped mid-reply) counts as a transport error: the batch is sent again', async () => {
    const b = batch('c1', 7, [message('A')]);
    let calls = 0;
    const ack = await sendUntilAcked(
      b,
      (m) => (++calls === 1 ? new Promise(() => undefined) : Promise.resolve({ ok: true, seq: m.seq, newMessages: 1, newVersions: 0 })),
      50,
    );
    expect(ack.seq).toBe(7);
    expect(calls).toBe(2);
  });

  it('stops at once when the background refuses (e.g. storage full)', async () => {
    const b = batch('c1', 0, [message('A')]);
    await expect(sendUntilAcked(b, async () => ({ ok: false, error: 'the browser has no more storage space' }))).rejects.toThrow(/no more storage/);
  });
});

describe('askUntilAnswered (auto-start, hello, capture end)', () => {
  const autoStart = { type: 'content/auto-start', adapter: 'whatsapp' } as const;
  const isAnswer = (a: unknown): a is { ok: boolean } => typeof (a as { ok?: unknown } | null)?.ok === 'boolean';

  it('asks again when the worker stopped while answering (undefined), failed to connect, or never answered', async () => {
    const replies: (() => Promise<unknown>)[] = [
      async () => undefined, // the polyfill's reading of a port closed without an answer
      async () => Promise.reject(new Error('Could not establish connection. Receiving end does not exist.')),
      () => new Promise(() => undefined),
      async () => ({ ok: true, auto: true, captureId: 'c1' }),
    ];
    let calls = 0;
    const answer = await askUntilAnswered(autoStart, isAnswer, () => replies[calls++]!(), 8, 50);
    expect(answer).toEqual({ ok: true, auto: true, captureId: 'c1' });
    expect(calls).toBe(4);
  });

  it('takes the first acceptable answer, and gives null when none comes', async () => {
    let calls = 0;
    await expect(askUntilAnswered(autoStart, isAnswer, async () => (++calls, { ok: true, auto: false }), 3, 50)).resolves.toEqual({ ok: true, auto: false });
    expect(calls).toBe(1);
    calls = 0;
    await expect(askUntilAnswered(autoStart, isAnswer, async () => (++calls, undefined), 3, 50)).resolves.toBeNull();
    expect(calls).toBe(3);
  });
});
