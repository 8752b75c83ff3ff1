// @vitest-environment happy-dom
/**
 * Auto mode's read schedule against a simulated busy chat: a virtualized list that keeps only
 * the newest rows mounted while messages keep arriving. Real-browser behaviour is covered by
 * test/e2e/long-thread.test.ts and measured by `npm run bench -- --only=auto`.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Adapter, PageMessage } from '../../src/adapters/types';
import { startAutoCapture } from '../../src/content/auto-capture';
import { CaptureSession } from '../../src/content/capture-session';
import type { ContentBatch } from '../../src/shared/protocol';
import { message, thread } from './factories';

/** A chat whose list mounts only the newest `window` messages (as WhatsApp's virtual list does). */
function fakeChat(window: number) {
  let total = 0;
  let reads = 0;
  const readAt: number[] = [];
  const adapter: Adapter = {
    id: 'whatsapp',
    name: 'Fake',
    matches: [],
    matchesUrl: () => true,
    conversationOpen: () => true,
    read: () => {
      reads++;
      readAt.push(Date.now());
      const first = Math.max(0, total - window);
      const messages: PageMessage[] = Array.from({ length: total - first }, (_, i) => ({
        ...message(`m${first + i}`, { text: `message ${first + i}` }),
        attachments: [],
      }));
      return { thread, messages };
    },
  };
  /** A new message renders: one more row, the oldest one unmounted beyond the window. */
  const arrive = () => {
    total++;
    document.body.append(document.createElement('div'));
  };
  return { adapter, arrive, reads: () => reads, readAt, total: () => total };
}

function collect() {
  const sent = new Set<string>();
  const send = async (b: ContentBatch) => {
    b.messages.forEach((m) => sent.add(m.messageId));
    return { ok: true as const, seq: b.seq, newMessages: b.messages.length, newVersions: 0 };
  };
  return { sent, send };
}

describe('startAutoCapture', () => {
  beforeEach(() => {
    document.body.replaceChildren();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps every message of a chat that never pauses as long as the debounce, reading at most maxWaitMs after the first unread change', async () => {
    const chat = fakeChat(10);
    const { sent, send } = collect();
    const stop = new AbortController();
    startAutoCapture(chat.adapter, new CaptureSession(chat.adapter, 'c1', send), { signal: stop.signal, debounceMs: 400, maxWaitMs: 2000 });
    const start = Date.now();
    // A message every 250 ms for 15 s: never a 400 ms pause. A trailing debounce alone would
    // read only once the stream stops, by when all but the last 10 are unmounted.
    for (let i = 0; i < 60; i++) {
      chat.arrive();
      await vi.advanceTimersByTimeAsync(250);
    }
    const duringStream = chat.readAt.filter((t) => t < start + 60 * 250).length;
    await vi.advanceTimersByTimeAsync(1000);
    stop.abort();

    expect(sent.size).toBe(60);
    expect(duringStream).toBeGreaterThanOrEqual(7); // one per 2 s at least, for 15 s
    // Reads stay coalesced: never closer than the debounce.
    const gaps = chat.readAt.slice(1).map((t, i) => t - chat.readAt[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2000);
  });

  it('reads a burst once, debounceMs after its last change, when the page then goes quiet', async () => {
    const chat = fakeChat(10);
    const { sent, send } = collect();
    const stop = new AbortController();
    startAutoCapture(chat.adapter, new CaptureSession(chat.adapter, 'c1', send), { signal: stop.signal, debounceMs: 400, maxWaitMs: 2000 });
    await vi.advanceTimersByTimeAsync(1000); // the first read of what is already there
    expect(chat.reads()).toBe(1);
    const burst = Date.now();
    for (let i = 0; i < 3; i++) {
      chat.arrive();
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(250);
    expect(chat.reads()).toBe(1); // 350 ms after the last change: not yet
    await vi.advanceTimersByTimeAsync(3000);
    expect(chat.reads()).toBe(2);
    expect(chat.readAt[1]! - burst).toBe(200 + 400);
    expect(sent.size).toBe(3);
    stop.abort();
  });

  it('by default reads each message of a steady chat on its own, 100 ms after it renders, and within 1 s on a page that never pauses, when the adapter remembers rows', async () => {
    const chat = fakeChat(30); // 30 mounted: more than a second of the busy stretch below
    chat.adapter.remembersRows = true;
    const { sent, send } = collect();
    const stop = new AbortController();
    startAutoCapture(chat.adapter, new CaptureSession(chat.adapter, 'c1', send), { signal: stop.signal });
    await vi.advanceTimersByTimeAsync(500);
    const before = chat.reads();
    // A message every 250 ms: each is read alone, 100 ms after it arrived.
    const arrivedAt: number[] = [];
    for (let i = 0; i < 8; i++) {
      chat.arrive();
      arrivedAt.push(Date.now());
      await vi.advanceTimersByTimeAsync(250);
    }
    expect(chat.readAt.slice(before)).toEqual(arrivedAt.map((t) => t + 100));
    expect(sent.size).toBe(8);
    // A change every 60 ms never leaves 100 ms quiet: read at most 1 s after the first unread one.
    const busy = Date.now();
    for (let i = 0; i < 40; i++) {
      chat.arrive();
      await vi.advanceTimersByTimeAsync(60);
    }
    const during = chat.readAt.filter((t) => t >= busy && t < busy + 40 * 60);
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during[0]! - busy).toBeLessThanOrEqual(1000);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent.size).toBe(48);
    stop.abort();
  });

  it('by default reads a steady chat in batches, 400 ms after a pause or 2 s after the first change, when the adapter reads every row each time', async () => {
    const chat = fakeChat(30);
    const { sent, send } = collect();
    const stop = new AbortController();
    startAutoCapture(chat.adapter, new CaptureSession(chat.adapter, 'c1', send), { signal: stop.signal });
    await vi.advanceTimersByTimeAsync(1000);
    const before = chat.reads();
    const start = Date.now();
    for (let i = 0; i < 16; i++) {
      chat.arrive(); // every 250 ms: never 400 ms quiet
      await vi.advanceTimersByTimeAsync(250);
    }
    expect(chat.readAt.slice(before).map((t) => t - start)).toEqual([2000, 4000]);
    await vi.advanceTimersByTimeAsync(400);
    expect(sent.size).toBe(16);
    stop.abort();
  });

  it('reads nothing once stopped, even with a change and a deadline pending', async () => {
    const chat = fakeChat(10);
    const { send } = collect();
    const stop = new AbortController();
    startAutoCapture(chat.adapter, new CaptureSession(chat.adapter, 'c1', send), { signal: stop.signal, debounceMs: 400, maxWaitMs: 2000 });
    await vi.advanceTimersByTimeAsync(1000);
    chat.arrive();
    await vi.advanceTimersByTimeAsync(100);
    stop.abort();
    chat.arrive();
    await vi.advanceTimersByTimeAsync(5000);
    expect(chat.reads()).toBe(1);
  });

  it('reads again when only an attribute the adapter watches changes (a local message getting its server id)', async () => {
    // Rows carry their id in data-event-id; one still sending has a local id ("~…") and is not a record yet.
    document.body.innerHTML = '<ul><li data-event-id="$a">first</li><li data-event-id="~local1">second</li></ul>';
    const adapter: Adapter = {
      id: 'element', name: 'Fake', matches: [], matchesUrl: () => true, conversationOpen: () => true,
      watchedAttributes: ['data-event-id'],
      read: (doc) => ({
        thread,
        messages: Array.from(doc.querySelectorAll('li[data-event-id]'))
          .filter((li) => !li.getAttribute('data-event-id')!.startsWith('~'))
          .map((li) => ({ ...message(li.getAttribute('data-event-id')!, { text: li.textContent ?? '' }), attachments: [] })),
      }),
    };
    const { sent, send } = collect();
    const stop = new AbortController();
    startAutoCapture(adapter, new CaptureSession(adapter, 'c1', send), { signal: stop.signal });
    await vi.advanceTimersByTimeAsync(1000);
    expect([...sent]).toEqual(['$a']);
    // The server confirms the message: only its id attribute changes.
    document.querySelector('li[data-event-id="~local1"]')!.setAttribute('data-event-id', '$b');
    await vi.advanceTimersByTimeAsync(2000);
    expect([...sent]).toEqual(['$a', '$b']);
    stop.abort();
  });
});
