// @vitest-environment happy-dom
/**
 * An attachment whose bytes could not be read at first (an expired blob: URL the page makes
 * again, a CDN's HTTP error, a worker that did not take a large file's parts) is read again
 * later while its message is on the page: ATTACHMENT_RETRY_DELAYS_MS after each attempt, and the
 * message is sent again only when more of its bytes were read. What cannot come by reading again
 * (media the page has not downloaded, a link, a file over the limit) is never retried. Auto mode
 * reads a page that stays still when an attempt is due; the background counts the attachment as
 * it is now, not as missing.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Adapter, PageAttachment, PageMessage, PageRead } from '../../src/adapters/types';
import { ATTACHMENT_RETRY_DELAYS_MS, CaptureSession } from '../../src/content/capture-session';
import { startAutoCapture } from '../../src/content/auto-capture';
import { scrollBack } from '../../src/content/scroll-back';
import { LIMITS, type BlobPartAck, type ContentBatch, type ContentBlobPart } from '../../src/shared/protocol';
import { openDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { batch, captureRow, message, thread } from './factories';

vi.mock('webextension-polyfill', () => ({ default: { runtime: { sendMessage: vi.fn(), onMessage: { addListener: vi.fn() }, id: 'x' } } }));

const adapter = { id: 'whatsapp', attachmentHosts: ['cdn.example'] } as unknown as Adapter;
const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]);

function picture(over: Partial<PageAttachment> = {}): PageAttachment {
  return { kind: 'image', originalName: null, mediaType: 'image/png', missingReason: null, thumbnail: false, sourceUrl: 'blob:https://web.whatsapp.com/pic', ...over };
}

function pageMessage(id: string, attachments: PageAttachment[], over: Partial<PageMessage> = {}): PageMessage {
  return { ...message(id), attachments, ...over };
}

const read = (...messages: PageMessage[]): PageRead => ({ thread, messages });

/** A page whose fetch answers from `answers` in turn (true: the picture; a number: that HTTP status; false: the URL is gone), the last one repeated. */
function page(answers: (boolean | number)[], bytes: Uint8Array<ArrayBuffer> = PNG) {
  let t = 1_000_000;
  const fetches: string[] = [];
  const fetchImpl = (async (url: string) => {
    fetches.push(url);
    const answer = answers[Math.min(fetches.length - 1, answers.length - 1)];
    if (answer === false) throw new TypeError('Failed to fetch');
    if (typeof answer === 'number') return new Response('', { status: answer });
    return new Response(new Blob([bytes], { type: 'image/png' }));
  }) as unknown as typeof fetch;
  const batches: ContentBatch[] = [];
  const send = async (b: ContentBatch) => {
    batches.push(b);
    return { ok: true as const, seq: b.seq, newMessages: b.messages.length, newVersions: 0 };
  };
  return {
    batches,
    fetches,
    clock: { advance: (ms: number) => (t += ms), now: () => t },
    session: (sendPart?: (p: ContentBlobPart) => Promise<BlobPartAck>) => new CaptureSession(adapter, 'c1', send, fetchImpl, sendPart, () => t),
  };
}

describe('CaptureSession: attachments read again', () => {
  it('an expired page URL: the message is sent without the bytes, then again with them once a later read gets them', async () => {
    const p = page([false, true]);
    const s = p.session();
    const m = pageMessage('M1', [picture()]);
    expect(await s.push(read(m))).toBe(1);
    expect(p.batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256: null, missingReason: 'expired: the page no longer holds it' });
    expect(s.nextRetryAt()).toBe(p.clock.now() + ATTACHMENT_RETRY_DELAYS_MS[0]);

    // Before the attempt is due, a read of the unchanged message sends nothing and reads nothing.
    p.clock.advance(ATTACHMENT_RETRY_DELAYS_MS[0] - 1);
    expect(await s.push(read(m))).toBe(0);
    expect(p.fetches).toHaveLength(1);

    p.clock.advance(1);
    expect(await s.push(read(m))).toBe(1);
    expect(p.batches).toHaveLength(2);
    const again = p.batches[1]!;
    expect(again.messages.map((x) => x.messageId)).toEqual(['M1']);
    expect(again.messages[0]!.attachments[0]).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), size: PNG.length, missingReason: null });
    expect(again.blobs).toHaveLength(1);
    // Kept: nothing waits any more, and later reads send nothing.
    expect(s.nextRetryAt()).toBeNull();
    p.clock.advance(10 * 60_000);
    expect(await s.push(read(m))).toBe(0);
    expect(p.fetches).toHaveLength(2);
  });

  it('a failed attempt sends nothing; one attempt per delay, then no more', async () => {
    const p = page([503]);
    const s = p.session();
    const m = pageMessage('M1', [picture({ sourceUrl: 'https://cdn.example/attachments/1/pic.png' })]);
    await s.push(read(m));
    expect(p.batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256: null, missingReason: 'the page could not provide it (HTTP 503)' });
    for (const delay of ATTACHMENT_RETRY_DELAYS_MS) {
      expect(s.nextRetryAt()).toBe(p.clock.now() + delay);
      p.clock.advance(delay);
      expect(await s.push(read(m))).toBe(0);
    }
    expect(p.fetches).toHaveLength(1 + ATTACHMENT_RETRY_DELAYS_MS.length);
    expect(p.batches).toHaveLength(1);
    expect(s.nextRetryAt()).toBeNull();
    p.clock.advance(60 * 60_000);
    await s.push(read(m));
    expect(p.fetches).toHaveLength(1 + ATTACHMENT_RETRY_DELAYS_MS.length);
  });

  it('one attempt per message and read, when a read shows the same message twice', async () => {
    const p = page([false]);
    const s = p.session();
    const m = pageMessage('M1', [picture()]);
    await s.push(read(m));
    p.clock.advance(ATTACHMENT_RETRY_DELAYS_MS[0]);
    expect(await s.push(read(m, { ...m }))).toBe(0);
    expect(p.fetches).toHaveLength(2);
    // The next attempt is the second delay's, not the third's.
    expect(s.nextRetryAt()).toBe(p.clock.now() + ATTACHMENT_RETRY_DELAYS_MS[1]);
  });

  it('never reads again what reading cannot bring: media not downloaded, a link, a file over the limit', async () => {
    const p = page([true]);
    const s = p.session();
    await s.push(read(
      pageMessage('M1', [picture({ sourceUrl: null, missingReason: 'not downloaded in the page' })]),
      pageMessage('M2', [picture({ sourceUrl: 'https://elsewhere.example/pic.png' })]),
    ));
    expect(p.batches[0]!.messages.map((x) => x.attachments[0]!.missingReason)).toEqual(['not downloaded in the page', 'the page only links to it (not downloaded in the page)']);
    expect(s.nextRetryAt()).toBeNull();

    const big = new Blob([new Uint8Array(1)]);
    Object.defineProperty(big, 'size', { value: LIMITS.attachmentBytes + 1 });
    const tooLarge = new CaptureSession(adapter, 'c2', async (b) => ({ ok: true, seq: b.seq, newMessages: 1, newVersions: 0 }), (async () => ({ ok: true, blob: async () => big })) as unknown as typeof fetch);
    await tooLarge.push(read(pageMessage('M3', [picture()])));
    expect(tooLarge.nextRetryAt()).toBeNull();
  });

  it('a message edited while it waits is sent as edited, and the attempt still comes', async () => {
    const p = page([false, false, true]);
    const s = p.session();
    const m = pageMessage('M1', [picture()]);
    await s.push(read(m));
    expect(await s.push(read({ ...m, text: 'edited', edited: true }))).toBe(1);
    expect(p.batches[1]!.messages[0]).toMatchObject({ text: 'edited', attachments: [{ sha256: null }] });
    expect(s.nextRetryAt()).toBe(p.clock.now() + ATTACHMENT_RETRY_DELAYS_MS[1]);
    p.clock.advance(ATTACHMENT_RETRY_DELAYS_MS[1]);
    expect(await s.push(read({ ...m, text: 'edited', edited: true }))).toBe(1);
    expect(p.batches[2]!.messages[0]).toMatchObject({ text: 'edited', attachments: [{ missingReason: null }] });
  });

  it('a large file whose parts the worker did not take is sent in parts again when the attempt is due', async () => {
    const bytes = new Uint8Array(LIMITS.blobBytesPerBatch + 10).map((_, i) => i & 0xff);
    const p = page([true], bytes);
    let refuse = true;
    const parts: number[] = [];
    const s = p.session(async (part) => {
      parts.push(part.offset);
      if (refuse) throw new Error("Threadkeeper's background stopped answering (no answer)");
      return { ok: true, sha256: part.sha256, offset: part.offset, stored: part.offset + LIMITS.blobPartBytes >= part.size };
    });
    const m = pageMessage('M1', [picture({ kind: 'video', mediaType: 'video/mp4' })]);
    await s.push(read(m));
    expect(p.batches[0]!.messages[0]!.attachments[0]).toMatchObject({ sha256: null, missingReason: expect.stringMatching(/^could not be kept/) });
    refuse = false;
    p.clock.advance(ATTACHMENT_RETRY_DELAYS_MS[0]);
    expect(await s.push(read(m))).toBe(1);
    expect(p.batches[1]!.messages[0]!.attachments[0]).toMatchObject({ size: bytes.length, missingReason: null });
    expect(p.batches[1]!.blobs).toEqual([]); // the bytes went in parts
    expect(s.nextRetryAt()).toBeNull();
  });

  it('of two attachments, the one read is sent again while the other waits for its next attempt', async () => {
    const answers = new Map<string, boolean[]>([['blob:https://web.whatsapp.com/a', [false, true]], ['blob:https://web.whatsapp.com/b', [false]]]);
    const seen = new Map<string, number>();
    const fetchImpl = (async (url: string) => {
      const n = seen.get(url) ?? 0;
      seen.set(url, n + 1);
      const list = answers.get(url)!;
      if (!list[Math.min(n, list.length - 1)]) throw new TypeError('Failed to fetch');
      return new Response(new Blob([PNG], { type: 'image/png' }));
    }) as unknown as typeof fetch;
    let t = 0;
    const batches: ContentBatch[] = [];
    const s = new CaptureSession(adapter, 'c1', async (b) => (batches.push(b), { ok: true, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl, undefined, () => t);
    const m = pageMessage('M1', [picture({ sourceUrl: 'blob:https://web.whatsapp.com/a' }), picture({ sourceUrl: 'blob:https://web.whatsapp.com/b' })]);
    await s.push(read(m));
    t += ATTACHMENT_RETRY_DELAYS_MS[0];
    expect(await s.push(read(m))).toBe(1);
    expect(batches[1]!.messages[0]!.attachments.map((a) => a.sha256 !== null)).toEqual([true, false]);
    t += ATTACHMENT_RETRY_DELAYS_MS[1];
    expect(await s.push(read(m))).toBe(0); // b failed again, a is kept already: nothing new to send
    expect(seen.get('blob:https://web.whatsapp.com/b')).toBe(3);
  });
});

/** Each test of the calling describe on a fake clock (timers and Date), with an empty page. */
function onFakeClock(): void {
  beforeEach(() => {
    document.body.replaceChildren();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

describe('auto mode and attempts due', () => {
  onFakeClock();

  it('reads a page that stays still when an attachment attempt is due, and keeps the bytes', async () => {
    let reads = 0;
    const m = pageMessage('M1', [picture()]);
    const still: Adapter = { ...adapter, name: 'Fake', matches: [], matchesUrl: () => true, conversationOpen: () => true, read: () => (reads++, read(m)), remembersRows: true };
    let fetches = 0;
    const fetchImpl = (async () => {
      if (fetches++ === 0) throw new TypeError('Failed to fetch');
      return new Response(new Blob([PNG], { type: 'image/png' }));
    }) as unknown as typeof fetch;
    const batches: ContentBatch[] = [];
    const session = new CaptureSession(still, 'c1', async (b) => (batches.push(b), { ok: true, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl);
    const stop = new AbortController();
    startAutoCapture(still, session, { signal: stop.signal });
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toHaveLength(1);
    const readsBefore = reads;
    // Nothing on the page changes; the attempt is due 2 s after the first send.
    await vi.advanceTimersByTimeAsync(ATTACHMENT_RETRY_DELAYS_MS[0] + 100);
    // Hashing the bytes (WebCrypto) settles outside the fake clock.
    await vi.waitFor(() => expect(batches).toHaveLength(2));
    stop.abort();
    expect(reads).toBe(readsBefore + 1);
    expect(batches[1]!.messages[0]!.attachments[0]).toMatchObject({ missingReason: null, size: PNG.length });
  });

  it('stops waiting for attempts once auto mode stops', async () => {
    let reads = 0;
    const m = pageMessage('M1', [picture()]);
    const still: Adapter = { ...adapter, name: 'Fake', matches: [], matchesUrl: () => true, conversationOpen: () => true, read: () => (reads++, read(m)), remembersRows: true };
    const fetchImpl = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    const session = new CaptureSession(still, 'c1', async (b) => ({ ok: true, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl);
    const stop = new AbortController();
    startAutoCapture(still, session, { signal: stop.signal });
    await vi.advanceTimersByTimeAsync(500);
    const readsBefore = reads;
    stop.abort();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(reads).toBe(readsBefore);
  });
});

describe('Preserve thread and the first attempt', () => {
  onFakeClock();

  /** A chat of one message with a picture whose first read fails; `scroller` null makes the layout unreadable for scrolling. */
  function chat(scroller: 'none' | 'missing', failures = 1) {
    const m = pageMessage('M1', [picture()]);
    let fetches = 0;
    let reads = 0;
    const fetchImpl = (async () => {
      if (fetches++ < failures) throw new TypeError('Failed to fetch');
      return new Response(new Blob([PNG], { type: 'image/png' }));
    }) as unknown as typeof fetch;
    const adapter: Adapter = {
      ...({ id: 'whatsapp', attachmentHosts: [] } as unknown as Adapter),
      name: 'Fake', matches: [], matchesUrl: () => true, conversationOpen: () => true, read: () => (reads++, read(m)),
      ...(scroller === 'missing' ? { history: { scroller: () => null, olderHistoryControl: () => null, atBeginning: () => false } } : {}),
    };
    const batches: ContentBatch[] = [];
    const session = new CaptureSession(adapter, 'c1', async (b) => (batches.push(b), { ok: true, seq: b.seq, newMessages: 1, newVersions: 0 }), fetchImpl);
    return { adapter, session, batches, fetches: () => fetches, reads: () => reads, m };
  }
  const hooks = (signal: AbortSignal) => ({ signal, limits: { idleTimeoutMs: 300, hiddenTimeoutMs: 200, maxDurationMs: 60_000 }, progress: () => undefined });

  it('waits for an attempt due within the first delay and reads the page once more', async () => {
    const c = chat('none');
    const stop = new AbortController();
    const done = scrollBack(c.adapter, c.session, hooks(stop.signal));
    await vi.advanceTimersByTimeAsync(ATTACHMENT_RETRY_DELAYS_MS[0] + 10);
    await vi.waitFor(() => expect(c.batches).toHaveLength(2));
    expect((await done).reason).toBe('visible-only');
    expect(c.batches[1]!.messages[0]!.attachments[0]).toMatchObject({ missingReason: null, size: PNG.length });
  });

  it('does not wait after an end that leaves nothing to read: a layout it cannot scroll, or a cancel', async () => {
    const c = chat('missing');
    const result = await scrollBack(c.adapter, c.session, hooks(new AbortController().signal));
    expect(result.reason).toBe('layout-changed');
    expect(c.fetches()).toBe(1);

    const d = chat('none');
    const stop = new AbortController();
    const done = scrollBack(d.adapter, d.session, hooks(stop.signal));
    await vi.advanceTimersByTimeAsync(100);
    stop.abort();
    await done;
    await vi.advanceTimersByTimeAsync(5000);
    expect(d.fetches()).toBe(1);
    expect(d.batches).toHaveLength(1);
  });
  it('does not wait for a later attempt, nor read after a cancel during the wait', async () => {
    // Two failed reads before the capture: the next attempt is the second delay's.
    const c = chat('none', 2);
    await c.session.push(read(c.m));
    await vi.advanceTimersByTimeAsync(ATTACHMENT_RETRY_DELAYS_MS[0]);
    await c.session.push(read(c.m));
    expect(c.fetches()).toBe(2);
    expect((await scrollBack(c.adapter, c.session, hooks(new AbortController().signal))).reason).toBe('visible-only');
    expect(c.fetches()).toBe(2);

    const d = chat('none');
    const stop = new AbortController();
    const done = scrollBack(d.adapter, d.session, hooks(stop.signal));
    await vi.advanceTimersByTimeAsync(ATTACHMENT_RETRY_DELAYS_MS[0] / 2);
    stop.abort();
    expect((await done).reason).toBe('visible-only');
    await vi.advanceTimersByTimeAsync(ATTACHMENT_RETRY_DELAYS_MS[0]);
    expect(d.fetches()).toBe(1);
    expect(d.reads()).toBe(1);
  });
});

describe('the capture counts an attachment as it is now', () => {
  it('bytes read on a later attempt of the same capture are no longer counted missing; another capture\'s counts are its own', async () => {
    const db = openDb('attachment-retry-counts');
    await db.captures.bulkAdd([captureRow('c1'), captureRow('c2')]);
    const missing = { kind: 'image' as const, originalName: null, mediaType: 'image/png', sha256: null, size: null, missingReason: 'expired: the page no longer holds it', thumbnail: false };
    const { sha256Hex, bytesToBase64 } = await import('../../src/shared/bytes');
    const sha = await sha256Hex(PNG);
    const kept = { ...missing, sha256: sha, size: PNG.length, missingReason: null };
    const blobs = [{ sha256: sha, mediaType: 'image/png', base64: bytesToBase64(PNG) }];

    await ingestBatch(db, batch('c1', 0, [message('A', { attachments: [missing] }), message('B')]));
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ attachments: 1, attachmentsMissing: 1 });
    const r = await ingestBatch(db, batch('c1', 1, [message('A', { attachments: [kept] })], { blobs }));
    expect(r.newVersions).toBe(1);
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ attachments: 1, attachmentsMissing: 0 });
    expect((await db.versions.toArray()).filter((v) => v.messageId === 'A').map((v) => v.kind)).toEqual(['original', 'updated']);

    // A later capture whose read of it fails: the message keeps the bytes (withKeptBytes), so that
    // capture counts the picture as kept, and c1's counts are its own.
    await ingestBatch(db, batch('c2', 0, [message('A', { attachments: [missing] })]));
    expect((await db.captures.get('c2'))!.counts).toMatchObject({ attachments: 1, attachmentsMissing: 0, newVersions: 0 });
    expect((await db.captures.get('c1'))!.counts).toMatchObject({ attachments: 1, attachmentsMissing: 0 });
    db.close();
  });
});
