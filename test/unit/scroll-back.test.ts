// @vitest-environment happy-dom
/**
 * The scroll-back loop against a simulated virtual list: a pane whose rows are a window over a
 * longer history, loading older pages when scrolled to the top. Real-browser behaviour is
 * covered by test/e2e/long-thread.test.ts; this pins the stop reasons and the no-gap rule.
 */
import { describe, expect, it } from 'vitest';
import { AdapterReadError, type Adapter, type PageMessage } from '../../src/adapters/types';
import { CaptureSession } from '../../src/content/capture-session';
import { PAGE_LEFT, scrollBack } from '../../src/content/scroll-back';
import { PageOrder } from '../../src/content/page-order';
import type { ContentBatch } from '../../src/shared/protocol';
import { message, thread } from './factories';

const ROW = 50;

/** A list of `total` messages, `loaded` of them available, a window of `window` rows mounted around the viewport. */
function fakeMessenger(opts: { total: number; loaded: number; window: number; view: number; refuse?: boolean; hidden?: () => boolean; breakAt?: number }) {
  let loaded = opts.loaded;
  let top = 0;
  const pane = document.createElement('div');
  document.body.replaceChildren(pane);
  Object.defineProperty(pane, 'scrollHeight', { get: () => loaded * ROW });
  Object.defineProperty(pane, 'clientHeight', { get: () => opts.view * ROW });
  Object.defineProperty(pane, 'scrollTop', {
    get: () => top,
    set: (v: number) => {
      top = Math.max(0, Math.min(v, loaded * ROW - opts.view * ROW));
      setTimeout(() => pane.append(document.createElement('b')), 1); // the list re-renders after the scroll
      if (top === 0 && loaded < opts.total && !opts.refuse) {
        setTimeout(() => {
          const more = Math.min(20, opts.total - loaded);
          loaded += more;
          top += more * ROW; // keep the anchor
          pane.append(document.createElement('i')); // a mutation, as a real list makes
        }, 5);
      }
    },
  });
  top = loaded * ROW - opts.view * ROW;
  let reads = 0;
  const mounted = (): number[] => {
    const first = opts.total - loaded; // index of the oldest loaded message
    const firstVisible = first + Math.floor(top / ROW);
    const from = Math.max(first, firstVisible - opts.window / 2);
    const to = Math.min(opts.total, firstVisible + opts.view + opts.window / 2);
    return Array.from({ length: to - from }, (_, i) => from + i);
  };
  const adapter: Adapter = {
    id: 'whatsapp',
    name: 'Fake',
    matches: [],
    matchesUrl: () => true,
    conversationOpen: () => true,
    read: () => {
      if (opts.breakAt !== undefined && ++reads > opts.breakAt) throw new AdapterReadError('whatsapp', '#main [role="row"]', 'could not read the messages on this page');
      const messages: PageMessage[] = mounted().map((i) => ({ ...message(`m${i}`, { text: `message ${i}` }), attachments: [] }));
      return { thread, messages };
    },
    history: {
      scroller: () => pane,
      olderHistoryControl: () => null,
      atBeginning: () => loaded === opts.total && mounted()[0] === 0,
    },
  };
  return { adapter, pane, loadedCount: () => loaded };
}

function collect() {
  const sent: string[] = [];
  const send = async (b: ContentBatch) => {
    sent.push(...b.messages.map((m) => m.messageId));
    return { ok: true as const, seq: b.seq, newMessages: b.messages.length, newVersions: 0 };
  };
  return { sent, send };
}

const limits = { idleTimeoutMs: 300, hiddenTimeoutMs: 200, maxDurationMs: 60_000 };

describe('scrollBack', () => {
  it('captures every message exactly once back to the beginning, then restores the pane', async () => {
    const f = fakeMessenger({ total: 300, loaded: 60, window: 10, view: 8 });
    const { sent, send } = collect();
    const session = new CaptureSession(f.adapter, 'c1', send);
    const phases: string[] = [];
    const bottomBefore = f.pane.scrollHeight - f.pane.scrollTop;
    const r = await scrollBack(f.adapter, session, { signal: new AbortController().signal, limits, progress: (p) => phases.push(p) });
    expect(r.reason).toBe('beginning');
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`).sort());
    expect(f.pane.scrollHeight - f.pane.scrollTop).toBe(bottomBefore);
    expect(phases).toContain('scrolling');
  });

  it('stops when nothing older arrives, saying so, and keeps what it read', async () => {
    const f = fakeMessenger({ total: 300, loaded: 60, window: 10, view: 8, refuse: true });
    const { sent, send } = collect();
    const r = await scrollBack(f.adapter, new CaptureSession(f.adapter, 'c1', send), { signal: new AbortController().signal, limits, progress: () => {} });
    expect(r.reason).toBe('timed-out');
    expect(sent).toHaveLength(60);
  });

  it('stops on cancel', async () => {
    const f = fakeMessenger({ total: 3000, loaded: 60, window: 10, view: 8 });
    const { send } = collect();
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const r = await scrollBack(f.adapter, new CaptureSession(f.adapter, 'c1', send), { signal: ctl.signal, limits, progress: () => {} });
    expect(r.reason).toBe('cancelled');
  });

  it('says the page was left, not "cancelled by the user", when the tab goes away', async () => {
    const f = fakeMessenger({ total: 3000, loaded: 60, window: 10, view: 8 });
    const { send } = collect();
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(PAGE_LEFT), 50);
    const r = await scrollBack(f.adapter, new CaptureSession(f.adapter, 'c1', send), { signal: ctl.signal, limits, progress: () => {} });
    expect(r).toMatchObject({ reason: 'error', detail: expect.stringContaining('closed or left') });
  });

  it('stops with the failed selector when the layout changes mid-scroll', async () => {
    const f = fakeMessenger({ total: 300, loaded: 60, window: 10, view: 8, breakAt: 4 });
    const { sent, send } = collect();
    const r = await scrollBack(f.adapter, new CaptureSession(f.adapter, 'c1', send), { signal: new AbortController().signal, limits, progress: () => {} });
    expect(r).toMatchObject({ reason: 'layout-changed', selector: '#main [role="row"]' });
    expect(sent.length).toBeGreaterThan(0);
  });

  it('says how far it got when the time budget runs out', async () => {
    const f = fakeMessenger({ total: 3000, loaded: 60, window: 10, view: 8 });
    const { send } = collect();
    let t = 0;
    const r = await scrollBack(f.adapter, new CaptureSession(f.adapter, 'c1', send), { signal: new AbortController().signal, limits: { ...limits, maxDurationMs: 5 }, progress: () => {}, now: () => (t += 1) });
    expect(r.reason).toBe('budget');
  });

  it('pauses in a hidden tab and ends saying why if it stays hidden', async () => {
    const f = fakeMessenger({ total: 300, loaded: 60, window: 10, view: 8 });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    const phases: string[] = [];
    const { send } = collect();
    const r = await scrollBack(f.adapter, new CaptureSession(f.adapter, 'c1', send), { signal: new AbortController().signal, limits, progress: (p) => phases.push(p) });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    expect(r.reason).toBe('tab-hidden');
    expect(phases).toContain('paused-hidden');
  });
});

describe('CaptureSession', () => {
  it('sends a message again only when it changed', async () => {
    const { sent, send } = collect();
    const f = fakeMessenger({ total: 10, loaded: 10, window: 10, view: 10 });
    const s = new CaptureSession(f.adapter, 'c1', send);
    const a = { ...message('A'), attachments: [] };
    expect(await s.push({ thread, messages: [a] })).toBe(1);
    expect(await s.push({ thread, messages: [{ ...a, sentAtText: '10:30 AM' }] })).toBe(0);
    expect(await s.push({ thread, messages: [{ ...a, text: 'edited' }] })).toBe(1);
    expect(sent).toEqual(['A', 'A']);
  });
});

describe('PageOrder', () => {
  it('keeps one consistent order across overlapping windows read newest-first', () => {
    const o = new PageOrder();
    const seen = new Map<string, number>();
    const windows = [['m7', 'm8', 'm9'], ['m4', 'm5', 'm6', 'm7'], ['m1', 'm2', 'm3', 'm4', 'm5'], ['m0', 'm1']];
    for (const w of windows) o.place(w).forEach((p, i) => seen.has(w[i]!) || seen.set(w[i]!, p));
    const ordered = [...seen.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id);
    expect(ordered).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('places a new message between known neighbours', () => {
    const o = new PageOrder();
    const [a, c] = o.place(['a', 'c']);
    const [, b] = o.place(['a', 'b', 'c']);
    expect(a! < b! && b! < c!).toBe(true);
  });
});
