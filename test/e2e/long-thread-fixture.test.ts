/**
 * The long-thread WhatsApp fixture itself, in real Chromium (no extension): it must behave like
 * WhatsApp Web when scrolled back (virtualized rows, lazy older pages, the phone banner, the
 * start of the conversation, a hidden tab) and every row it renders must be readable by the
 * real WhatsApp adapter, bundled here as an IIFE and injected into the page. Tests of the
 * extension's scroll-back build on this page; this file proves the page is a fair test.
 */
// Pin the zone before anything reads a Date: Node computes the expected sentAt values, and the
// browser context below runs in the same zone, as the adapter would in the user's browser.
process.env.TZ = 'America/New_York';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { chromiumPath } from '../../scripts/lib/browser';
import { bundleIife } from './iife';
import type { PageMessage, PageRead } from '../../src/adapters/types';
import {
  BANNER_OFFER, BANNER_REFUSED, CREATED_EVENT, ENCRYPTION_NOTICE, LONG_THREAD_SELF,
  expectedMessages, longThreadPage, type ExpectedMessage, type LongThreadOptions,
} from '../fixtures/long-thread/whatsapp-long-thread';

const HOST = 'web.whatsapp.com';
const SCROLLER = '#main [data-scrolltracepolicy]';

let server: FixtureServer;
let browser: Browser;
let page: Page;
let adapterJs = '';
const pageErrors: string[] = [];

/** The WhatsApp adapter as one IIFE exposing `TKWA.whatsappAdapter` in the page's main world. */
const bundleAdapter = (): Promise<string> => bundleIife(fileURLToPath(new URL('../../src/adapters/whatsapp.ts', import.meta.url)), 'TKWA');

beforeAll(async () => {
  [adapterJs, server] = await Promise.all([bundleAdapter(), startFixtureServer([HOST])]);
  server.route(HOST, '/', { body: longThreadPage() });
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      `--host-resolver-rules=MAP ${HOST} 127.0.0.1:${server.port}`,
      `--ignore-certificate-errors-spki-list=${server.certificate.spki}`,
    ],
  });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, timezoneId: 'America/New_York', viewport: { width: 1280, height: 720 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Open the fixture with query-string options and wait for its first render. */
async function open(query: Record<string, string | number> = {}): Promise<void> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  await page.goto(`https://${HOST}/${qs ? `?${qs}` : ''}`);
  await page.waitForFunction(() => '__fixture' in window);
  await page.addScriptTag({ content: adapterJs });
}

interface View {
  loaded: number;
  mounted: number;
  phase: string;
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  /** data-ids of the mounted message rows, in DOM order. */
  ids: string[];
}

const view = (): Promise<View> =>
  page.evaluate((sel) => {
    const s = document.querySelector(sel) as HTMLElement;
    const f = (window as unknown as { __fixture: Record<string, () => unknown> }).__fixture;
    return {
      loaded: f.loadedCount!() as number,
      mounted: f.mountedCount!() as number,
      phase: f.phase!() as string,
      scrollTop: s.scrollTop,
      scrollHeight: s.scrollHeight,
      clientHeight: s.clientHeight,
      ids: Array.from(s.querySelectorAll('[role=row] [data-id]')).map((e) => e.getAttribute('data-id') ?? ''),
    };
  }, SCROLLER);

/** Two animation frames: the scroll event has been handled and the list re-rendered. */
const settle = (): Promise<void> =>
  page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function scrollTo(top: number | 'bottom'): Promise<void> {
  await page.evaluate(([sel, t]) => {
    const s = document.querySelector(sel as string) as HTMLElement;
    s.scrollTop = t === 'bottom' ? s.scrollHeight : (t as number);
  }, [SCROLLER, top] as const);
  await settle();
}

/** The first message row inside the viewport and its distance from the pane's top edge. */
const firstVisible = (): Promise<{ id: string; offset: number } | null> =>
  page.evaluate((sel) => {
    const s = document.querySelector(sel) as HTMLElement;
    const top = s.getBoundingClientRect().top;
    for (const el of Array.from(s.querySelectorAll('[role=row]'))) {
      const r = el.getBoundingClientRect();
      const id = el.querySelector('[data-id]')?.getAttribute('data-id');
      if (id && r.bottom > top && r.top < top + s.clientHeight) return { id, offset: r.top - top };
    }
    return null;
  }, SCROLLER);

function expectSameView(now: { id: string; offset: number } | null, before: { id: string; offset: number } | null): void {
  expect(now?.id).toBe(before?.id);
  expect(Math.abs((now?.offset ?? 0) - (before?.offset ?? 0))).toBeLessThan(1);
}

interface FixtureApi {
  edit(i: number, text: string): { messageId: string; text: string };
  remove(i: number): { messageId: string; text: string };
  append(text: string, sender?: string): { index: number; messageId: string; text: string; sender: string; fromSelf: boolean; sentAtText: string };
  setHidden(hidden: boolean): void;
}

/** Calls window.__fixture[method](...args) in the page. */
const fixtureCall = <K extends keyof FixtureApi>(method: K, ...args: Parameters<FixtureApi[K]>): Promise<ReturnType<FixtureApi[K]>> =>
  page.evaluate(([m, a]) => {
    const f = (window as unknown as { __fixture: Record<string, (...x: unknown[]) => unknown> }).__fixture;
    return f[m as string]!(...(a as unknown[]));
  }, [method, args] as const) as Promise<ReturnType<FixtureApi[K]>>;

const read = (): Promise<PageRead> =>
  page.evaluate(() => (window as unknown as { TKWA: { whatsappAdapter: { read(d: Document): PageRead } } }).TKWA.whatsappAdapter.read(document));

/** What a captured message must agree on with the expected one. */
function comparable(m: PageMessage | ExpectedMessage) {
  const quote = m.quote ? { author: m.quote.author, text: m.quote.text } : null;
  if ('type' in m) {
    return {
      messageId: m.messageId, text: m.text, sender: m.sender, fromSelf: m.fromSelf, sentAt: m.sentAt,
      sentAtText: m.sentAtText, links: m.links, quote, image: m.attachments.some((a) => a.kind === 'image' && a.sourceUrl?.startsWith('blob:')),
    };
  }
  return {
    messageId: m.messageId, text: m.text, sender: m.sender, fromSelf: m.fromSelf, sentAt: m.sentAt,
    sentAtText: m.sentAtText, links: m.links, quote, image: m.image,
  };
}

/** The adapter's messages must be a contiguous run of the expected thread, each read correctly. */
function expectContiguous(read: PageMessage[], expected: ExpectedMessage[]): number {
  const messages = read.filter((m) => m.type === 'message');
  expect(messages.length).toBeGreaterThan(0);
  const start = expected.findIndex((e) => e.messageId === messages[0]!.messageId);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(messages.map(comparable)).toEqual(expected.slice(start, start + messages.length).map(comparable));
  // A quote links to its message whenever that message is on the page too.
  for (const m of messages) {
    if (!m.quote) continue;
    const e = expected[expected.findIndex((x) => x.messageId === m.messageId)]!;
    if (messages.some((x) => x.messageId === e.quote!.messageId)) expect(m.quote.messageId).toBe(e.quote!.messageId);
  }
  return start;
}

describe('long WhatsApp thread fixture', () => {
  const all = expectedMessages();

  it('opens at the newest message with only a window of rows mounted', async () => {
    await open();
    const v = await view();
    expect(v.loaded).toBe(200);
    expect(v.mounted).toBe(60);
    expect(v.ids.length).toBeLessThan(60);
    expect(v.scrollTop + v.clientHeight).toBeGreaterThanOrEqual(v.scrollHeight - 2);
    expect(v.ids[v.ids.length - 1]).toBe(all[all.length - 1]!.messageId);
    // 200 loaded messages of ~40–70 px each: the spacers keep the pane that tall.
    expect(v.scrollHeight).toBeGreaterThan(200 * 38);
    const virtualized = await page.$$eval(`${SCROLLER} [role=row] > [data-virtualized]`, (els) => els.map((e) => e.getAttribute('data-virtualized')));
    expect(virtualized).toHaveLength(60);
    expect(new Set(virtualized)).toEqual(new Set(['false']));
  });

  it('the adapter reads every mounted row as the expected message', async () => {
    const start = expectContiguous((await read()).messages, all);
    expect(start).toBeGreaterThan(2900);
  });

  it('scrolling up remounts older rows and unmounts the newest', async () => {
    const before = await view();
    await scrollTo(before.scrollHeight / 2);
    const v = await view();
    expect(v.mounted).toBe(60);
    expect(v.ids).not.toContain(all[all.length - 1]!.messageId);
    const start = expectContiguous((await read()).messages, all);
    expect(start).toBeLessThan(all.indexOf(all.find((e) => e.messageId === before.ids[0])!));
  });

  it('near the top an older page loads after the delay, the view anchored', async () => {
    // Scroll to the top and time the load in the page, where the clock is the page's own.
    const { ms, seen } = await page.evaluate((sel) => new Promise<{ ms: number; seen: { id: string; offset: number } | null }>((resolve) => {
      const s = document.querySelector(sel) as HTMLElement;
      const f = (window as unknown as { __fixture: { loadedCount(): number } }).__fixture;
      const before = f.loadedCount();
      let t0 = 0;
      let seen: { id: string; offset: number } | null = null;
      // Runs after the fixture's own scroll listener, so the top rows are already mounted.
      s.addEventListener('scroll', () => {
        t0 = performance.now();
        const top = s.getBoundingClientRect().top;
        for (const el of Array.from(s.querySelectorAll('[role=row]'))) {
          const r = el.getBoundingClientRect();
          const id = el.querySelector('[data-id]')?.getAttribute('data-id');
          if (id && r.bottom > top && r.top < top + s.clientHeight) { seen = { id, offset: r.top - top }; break; }
        }
      }, { once: true });
      s.scrollTop = 0;
      const tick = (): void => {
        if (f.loadedCount() !== before) resolve({ ms: performance.now() - t0, seen });
        else setTimeout(tick, 5);
      };
      tick();
    }), SCROLLER);
    expect(seen).not.toBeNull();
    expect(ms).toBeGreaterThanOrEqual(145); // delay is 150 ms
    expect(ms).toBeLessThan(1500);
    expect((await view()).loaded).toBe(300);
    await settle();
    const v = await view();
    expect(v.scrollTop).toBeGreaterThan(1000); // the new page sits above what the user saw
    expect(v.mounted).toBeLessThanOrEqual(60);
    const now = await page.evaluate(([sel, id]) => {
      const s = document.querySelector(sel as string) as HTMLElement;
      const el = s.querySelector(`[data-id="${id}"]`);
      return el ? el.closest('[role=row]')!.getBoundingClientRect().top - s.getBoundingClientRect().top : null;
    }, [SCROLLER, seen!.id] as const);
    expect(now).not.toBeNull();
    expect(Math.abs(now! - seen!.offset)).toBeLessThan(1);
    expectContiguous((await read()).messages, all);
  });

  describe('phone history (n=700, cached=400)', () => {
    const options: LongThreadOptions = { n: 700, media: 50 };
    const expected = expectedMessages(options);
    const query = { n: 700, initial: 200, page: 100, cached: 400, delay: 40, media: 50 };

    it('shows the banner at the cached limit and stops loading there', async () => {
      await open(query);
      for (let i = 0; i < 20 && (await view()).loaded < 400; i++) {
        await scrollTo(0);
        await page.waitForTimeout(60);
      }
      await scrollTo(0);
      const banner = page.getByRole('button', { name: BANNER_OFFER });
      await expect.poll(() => banner.isVisible()).toBe(true);
      expect((await view()).loaded).toBe(400);
      await page.waitForTimeout(150);
      await scrollTo(0);
      await page.waitForTimeout(150);
      expect((await view()).loaded).toBe(400);
      expect((await view()).phase).toBe('cache');
      // The banner is the first row; the adapter skips it.
      const firstRow = await page.$eval(`${SCROLLER} [role=row]`, (r) => r.textContent);
      expect(firstRow).toBe(BANNER_OFFER);
      const records = (await read()).messages;
      expect(records.some((m) => m.text.includes('older messages'))).toBe(false);
      expect(expectContiguous(records, expected)).toBe(300);
    });

    it('clicking the banner loads the rest, down to the encryption notice', async () => {
      await page.getByRole('button', { name: BANNER_OFFER }).click();
      await expect.poll(async () => (await view()).phase, { timeout: 3000 }).toBe('done');
      expect((await view()).loaded).toBe(700);
      await scrollTo(0);
      await page.waitForTimeout(100);
      await scrollTo(0);
      const top = await page.$$eval(`${SCROLLER} [role=row]`, (rows) => rows.slice(0, 4).map((r) => ({
        text: r.textContent,
        lock: r.querySelector('[data-icon="lock-refreshed"]') !== null,
        id: r.querySelector('[data-id]')?.getAttribute('data-id') ?? null,
      })));
      expect(top[0]!.lock).toBe(true);
      expect(top[1]!.text).toBe('1/5/2026');
      expect(top[2]!.text).toBe(CREATED_EVENT);
      expect(top[3]!.id).toBe(expected[0]!.messageId);
      const records = (await read()).messages;
      expect(records.slice(0, 2).map((m) => [m.type, m.text])).toEqual([['event', ENCRYPTION_NOTICE], ['event', CREATED_EVENT]]);
      expect(expectContiguous(records, expected)).toBe(0);
    });

    it('a sweep from top to bottom reads every message exactly once, in order', async () => {
      const order: string[] = [];
      const byId = new Map<string, PageMessage>();
      const images = new Set<string>();
      let v = await view();
      for (let top = 0; ; top = v.scrollTop + Math.floor(v.clientHeight * 0.8)) {
        await scrollTo(top);
        v = await view();
        expect(v.mounted).toBeLessThanOrEqual(60);
        const messages = (await read()).messages.filter((m) => m.type === 'message');
        expect(new Set(messages.map((m) => m.messageId)).size).toBe(messages.length);
        for (const m of messages) {
          if (!byId.has(m.messageId)) order.push(m.messageId);
          byId.set(m.messageId, m);
          for (const a of m.attachments) if (a.sourceUrl) images.add(a.sourceUrl);
        }
        if (v.scrollTop + v.clientHeight >= v.scrollHeight - 1) break;
      }
      expect(order).toEqual(expected.map((e) => e.messageId));
      expect(order.map((id) => comparable(byId.get(id)!))).toEqual(expected.map(comparable));
      // 14 pictures, each a blob: URL whose bytes differ from every other's.
      expect(images.size).toBe(14);
      const digests = await page.evaluate(async (urls) => Promise.all(urls.map(async (u) => {
        const bytes = await (await fetch(u)).arrayBuffer();
        return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))).map((b) => b.toString(16).padStart(2, '0')).join('');
      })), [...images]);
      expect(new Set(digests).size).toBe(14);
    });
  });

  it('with refuse=1 the banner reports the failure and nothing more loads', async () => {
    await open({ n: 300, initial: 100, cached: 100, delay: 20, refuse: 1 });
    await scrollTo(0);
    const banner = page.getByRole('button', { name: BANNER_OFFER });
    await banner.click();
    await expect.poll(() => page.getByRole('alert').textContent()).toBe(BANNER_REFUSED);
    await page.waitForTimeout(100);
    await scrollTo(0);
    await page.waitForTimeout(100);
    const v = await view();
    expect([v.loaded, v.phase]).toEqual([100, 'refused']);
    expect(await page.locator(`${SCROLLER} [data-icon="lock-refreshed"]`).count()).toBe(0);
  });

  it('a hidden tab renders only the last message, and the view comes back when visible', async () => {
    const expected = expectedMessages({ n: 500 });
    await open({ n: 500 });
    await scrollTo((await view()).scrollHeight / 2);
    const seen = await firstVisible();
    // Headless Chromium never hides a tab, so play the browser's part in the main world.
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => s === 'hidden' });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    let v = await view();
    expect(v.mounted).toBe(1);
    expect(v.ids).toEqual([expected[499]!.messageId]);
    expect((await read()).messages.map((m) => m.messageId)).toEqual([expected[499]!.messageId]);
    await setVisibility('visible');
    await settle();
    v = await view();
    expect(v.mounted).toBe(60);
    expectSameView(await firstVisible(), seen);
    // The same through the test API (for browsers launched headless).
    await fixtureCall('setHidden', true);
    expect((await view()).mounted).toBe(1);
    await fixtureCall('setHidden', false);
    expect((await view()).mounted).toBe(60);
  });

  it('__fixture edit, remove and append change the rows as WhatsApp would', async () => {
    const expected = expectedMessages({ n: 500 });
    await open({ n: 500 });
    const recent = expected.filter((e) => e.index >= 470 && e.index < 495 && !e.image);
    const out = recent.filter((e) => e.fromSelf).pop()!;
    const inc = recent.filter((e) => !e.fromSelf).pop()!;
    await fixtureCall('edit', 497, 'Corrected text\nwith two lines');
    await fixtureCall('remove', 496);
    await fixtureCall('remove', out.index);
    await fixtureCall('remove', inc.index);
    let records = (await read()).messages;
    const byId = (id: string) => records.find((m) => m.messageId === id)!;
    expect(byId(expected[497]!.messageId)).toMatchObject({ text: 'Corrected text\nwith two lines', edited: true, sentAt: expected[497]!.sentAt });
    expect(byId(out.messageId)).toMatchObject({ text: 'You deleted this message', deleted: true, fromSelf: true, sentAt: out.sentAt });
    expect(byId(inc.messageId)).toMatchObject({ text: 'This message was deleted', deleted: true, fromSelf: false, sentAt: inc.sentAt });
    const deleted496 = byId(expected[496]!.messageId);
    expect(deleted496).toMatchObject({ deleted: true, sentAt: expected[496]!.sentAt, fromSelf: expected[496]!.fromSelf });

    // At the bottom, appended messages keep the pane at the bottom.
    const mine = await fixtureCall('append', 'Appended by the test');
    const theirs = await fixtureCall('append', 'And a reply', 'Ben Carter');
    await settle();
    let v = await view();
    expect(v.scrollTop + v.clientHeight).toBeGreaterThanOrEqual(v.scrollHeight - 2);
    expect(v.loaded).toBe(202);
    records = (await read()).messages;
    expect(records.slice(-2).map((m) => [m.messageId, m.text, m.sender, m.fromSelf, m.sentAtText])).toEqual([
      [mine.messageId, 'Appended by the test', LONG_THREAD_SELF, true, mine.sentAtText],
      [theirs.messageId, 'And a reply', 'Ben Carter', false, theirs.sentAtText],
    ]);

    // Scrolled up, an appended message does not move the view.
    await scrollTo(v.scrollHeight / 3);
    const seen = await firstVisible();
    await fixtureCall('append', 'Unseen for now');
    await settle();
    v = await view();
    expectSameView(await firstVisible(), seen);
    expect(v.scrollTop + v.clientHeight).toBeLessThan(v.scrollHeight - 100);
  });
});
