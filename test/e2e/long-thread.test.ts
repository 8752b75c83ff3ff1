/**
 * Issue #3 end to end: a WhatsApp-like page with thousands of messages that behaves like the
 * real one (virtualized rows, lazy older pages, the phone banner, blob: media), in real Chromium
 * with the built extension. Whole-history preserve captures every message exactly once and in
 * order; edits and deletions become versions; a service worker stopped mid-capture loses
 * nothing; auto-capture keeps messages added while nobody clicks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { expectedMessages, longThreadPage } from '../fixtures/long-thread/whatsapp-long-thread';
import { completedDownloads, dumpDb, exportInPopup, inWorkerDb, preserveInPopup, setExtensionStorage, verifyCli } from './helpers';

let server: FixtureServer;

beforeAll(async () => {
  server = await startFixtureServer(['web.whatsapp.com']);
  // Options come from the query string, so one route serves every size.
  server.route('web.whatsapp.com', '/', { body: longThreadPage() });
});
afterAll(async () => server?.close());

async function openChat(b: ExtensionBrowser, query: string): Promise<Page> {
  const chat = await b.context.newPage();
  await chat.goto(`https://web.whatsapp.com/?${query}`);
  await chat.waitForSelector('#main [role=row]');
  return chat;
}

async function messageIdsInBundle(b: ExtensionBrowser, popup: Page, downloadsBefore: number): Promise<{ ids: string[]; verify: string }> {
  await exportInPopup(popup, 120_000);
  const downloads = await completedDownloads(b.worker, downloadsBefore + 1, 60_000);
  const file = downloads[downloads.length - 1]!.filename;
  const zip = await JSZip.loadAsync(readFileSync(file));
  const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
  const record = JSON.parse(await zip.file(path)!.async('string')) as { messages: { id: string; type: string }[] };
  const { stdout } = await verifyCli(file);
  return { ids: record.messages.filter((m) => m.type === 'message').map((m) => m.id), verify: stdout.trim() };
}

describe('whole-history preserve of a 3,000-message virtualized thread', () => {
  let b: ExtensionBrowser;
  beforeAll(async () => {
    b = await launchWithExtension(server);
    await setExtensionStorage(b.worker, { captureLimits: { idleTimeoutMs: 5000 } });
  });
  afterAll(async () => b?.close());

  it('captures every message exactly once, in order, back to the beginning, and restores the pane', async () => {
    const expected = expectedMessages({ n: 3000 });
    const chat = await openChat(b, 'n=3000');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    const { result, completeness } = await preserveInPopup(popup);
    expect(result).toContain('Kept: 3000 messages, 12 attachments, 3000 new');
    expect(completeness).toContain('back to its beginning');

    const db = await dumpDb(b.worker);
    const stored = db.messages.filter((m) => m.type === 'message');
    expect(stored).toHaveLength(3000);
    expect(new Set(stored.map((m) => m.messageId))).toEqual(new Set(expected.map((m) => m.messageId)));
    expect(db.versions).toHaveLength(db.messages.length); // nothing captured twice
    expect(db.attachments).toBe(12);
    expect(db.captures[0]).toMatchObject({ status: 'complete', reachedBeginning: true });

    // The pane is back at the bottom where the user was.
    const fromBottom = await chat.evaluate(() => {
      const pane = document.querySelector('#main [data-scrolltracepolicy]') as HTMLElement;
      return pane.scrollHeight - pane.scrollTop - pane.clientHeight;
    });
    expect(fromBottom).toBeLessThan(50);

    const { ids, verify } = await messageIdsInBundle(b, popup, 0);
    expect(ids).toEqual(expected.map((m) => m.messageId));
    expect(verify).toMatch(/^valid: signed by key \S+, 1 thread, 3000 messages, 12 attachments$/);
  });
});

describe('versions, a stopped service worker, and auto-capture', () => {
  let b: ExtensionBrowser;
  beforeAll(async () => {
    b = await launchWithExtension(server);
    await setExtensionStorage(b.worker, { captureLimits: { idleTimeoutMs: 3000 } });
  });
  afterAll(async () => b?.close());

  it('an edit and a deletion after the first capture become versions; the original text stays', async () => {
    const expected = expectedMessages({ n: 300 });
    const chat = await openChat(b, 'n=300&cached=300');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    expect((await preserveInPopup(popup)).result).toContain('Kept: 300 messages');

    const edited = expected[297]!;
    const removed = expected[298]!;
    await chat.evaluate(([e, r]) => {
      const f = (window as unknown as { __fixture: { edit(i: number, t: string): void; remove(i: number): void } }).__fixture;
      f.edit(e, 'meet at the north entrance instead');
      f.remove(r);
    }, [edited.index, removed.index] as const);
    const again = await preserveInPopup(popup);
    expect(again.result).toContain('0 new, 2 new versions');

    const db = await dumpDb(b.worker);
    const versionsOf = (id: string) => db.versions.filter((v) => v.messageId === id).sort((x, y) => x.version - y.version);
    expect(versionsOf(edited.messageId).map((v) => [v.kind, v.text])).toEqual([['original', edited.text], ['edited', 'meet at the north entrance instead']]);
    expect(versionsOf(removed.messageId).map((v) => [v.kind, v.deleted])).toEqual([['original', false], ['deleted', true]]);
    expect(versionsOf(removed.messageId)[0]!.text).toBe(removed.text);

    await exportInPopup(popup, 60_000);
    const [download] = await completedDownloads(b.worker, 1);
    const zip = await JSZip.loadAsync(readFileSync(download!.filename));
    const html = await zip.file(Object.keys(zip.files).find((p) => p.endsWith('transcript.html'))!)!.async('string');
    expect(html).toContain('deleted by sender');
    expect(html).toContain('edited</span>');
    const escaped = removed.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    expect(html).toContain(escaped);
  });

  it('a service worker stopped mid-capture loses nothing and duplicates nothing', async () => {
    const chat = await openChat(b, 'n=1500&cached=1500&delay=100');
    await chat.evaluate(() => undefined);
    const tabId = await b.tabIdOf(chat);
    const popup = await b.openPopup(tabId);
    const before = (await dumpDb(b.worker)).messages.length;
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    await popup.getByTestId('progress').waitFor();
    // Let it get going, then stop every service worker from an extension page (CDP) — three
    // times, so a stop also lands while the popup's progress request or a batch is in flight.
    await popup.waitForTimeout(1500);
    await b.worker.evaluate(() => ((globalThis as { __beforeStop?: boolean }).__beforeStop = true));
    const cdp = await b.context.newCDPSession(popup);
    await cdp.send('ServiceWorker.enable');
    for (let stop = 0; stop < 3; stop++) {
      await cdp.send('ServiceWorker.stopAllWorkers');
      await popup.waitForTimeout(700);
    }
    const done = popup.getByTestId('preserve-result').or(popup.getByTestId('preserve-error'));
    await done.waitFor({ timeout: 150_000 }).catch(async (err: unknown) => {
      // Say what was left hanging: the popup's words and the capture record.
      const shown = await popup.locator('body').innerText().catch(() => '(popup unreadable)');
      const captures = await dumpDb(b.worker).then((d) => JSON.stringify(d.captures.at(-1)), () => '(database unreadable)');
      throw new Error(`the capture never ended in the popup: ${String(err)}\npopup: ${shown}\nlast capture: ${captures}`);
    });
    expect(await popup.getByTestId('completeness').textContent()).toContain('back to its beginning');
    // The worker that finished the capture is a new instance: the stop really happened.
    expect(await b.worker.evaluate(() => (globalThis as { __beforeStop?: boolean }).__beforeStop)).toBeUndefined();

    const db = await dumpDb(b.worker);
    const ids = expectedMessages({ n: 1500 }).map((m) => m.messageId);
    const have = new Set(db.messages.map((m) => m.messageId));
    expect(ids.filter((id) => !have.has(id))).toEqual([]);
    // Every message exactly once: no duplicate rows, no duplicate versions. Only the two messages
    // edited and deleted in the previous test have more than one version (this fresh page shows
    // them as originally sent, which is itself a change).
    expect(db.messages.length).toBeGreaterThanOrEqual(before);
    expect(new Set(db.messages.map((m) => m.messageId)).size).toBe(db.messages.length);
    const multi = db.messages.filter((m) => m.versionCount > 1).map((m) => m.messageId).sort();
    const changedEarlier = [expectedMessages({ n: 300 })[297]!.messageId, expectedMessages({ n: 300 })[298]!.messageId].sort();
    expect(multi).toEqual(changedEarlier);
    expect(db.versions.length).toBe(db.messages.reduce((n, m) => n + m.versionCount, 0));
  });

  it('auto-capture keeps messages the page adds while nobody clicks, and the badge shows it', async () => {
    await setExtensionStorage(b.worker, { settings: { autoCapture: ['whatsapp'] } });
    const chat = await openChat(b, 'n=120&cached=120');
    const tabId = await b.tabIdOf(chat);
    await expect.poll(async () => (await dumpDb(b.worker)).captures.some((c) => c.mode === 'auto' && c.status === 'running'), { timeout: 10_000 }).toBe(true);
    expect(await b.worker.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId)).toBe('REC');

    await chat.evaluate(() => (window as unknown as { __fixture: { append(t: string): void } }).__fixture.append('This vanishes in 24 hours: gate code 4471'));
    await expect
      .poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === 'This vanishes in 24 hours: gate code 4471'), { timeout: 10_000 })
      .toBe(true);

    // Stopping the service worker closes the page's batch port; the next message goes on a new one.
    const popup = await b.openPopup(tabId);
    const cdp = await b.context.newCDPSession(popup);
    await cdp.send('ServiceWorker.enable');
    await b.worker.evaluate(() => ((globalThis as { __beforeStop?: boolean }).__beforeStop = true));
    await cdp.send('ServiceWorker.stopAllWorkers');
    await popup.close();
    await chat.evaluate(() => (window as unknown as { __fixture: { append(t: string): void } }).__fixture.append('Sent after the worker stopped: room 12B'));
    await expect
      .poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === 'Sent after the worker stopped: room 12B'), { timeout: 20_000 })
      .toBe(true);
    expect(await b.worker.evaluate(() => (globalThis as { __beforeStop?: boolean }).__beforeStop)).toBeUndefined();

    // Turning it off ends the record and clears the badge, without a reload.
    await setExtensionStorage(b.worker, { settings: { autoCapture: [] } });
    await expect.poll(async () => (await dumpDb(b.worker)).captures.filter((c) => c.mode === 'auto').every((c) => c.status !== 'running'), { timeout: 10_000 }).toBe(true);
    // The tab's own "REC" is gone; the badge falls back to the global deadline count.
    expect(await b.worker.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId)).toBe(await b.worker.evaluate(() => chrome.action.getBadgeText({})));
  });

  it('auto-capture on a layout it cannot read stops and says so, instead of showing REC over nothing', async () => {
    await setExtensionStorage(b.worker, { settings: { autoCapture: ['whatsapp'] } });
    const chat = await openChat(b, 'n=60&cached=60');
    const tabId = await b.tabIdOf(chat);
    // Wait until auto mode has kept what the page showed, then change the layout under it.
    const ours = async () => (await dumpDb(b.worker)).captures.filter((c) => c.mode === 'auto' && c.tabId === tabId);
    await expect.poll(async () => (await ours()).filter((c) => c.status === 'running' && (c.counts.messages ?? 0) > 0).length, { timeout: 10_000 }).toBe(1);
    // WhatsApp ships a new layout: none of the anchors the adapter reads (row role, data-id,
    // pre-plain-text, tail icons) is left. The rows are replaced, as a real re-render would.
    await chat.evaluate(() =>
      document.querySelectorAll('#main [role="row"]').forEach((r) => {
        const copy = r.cloneNode(true) as Element;
        copy.setAttribute('role', 'listitem');
        for (const el of [copy, ...Array.from(copy.querySelectorAll('*'))]) {
          for (const a of ['data-id', 'data-pre-plain-text', 'data-icon', 'class']) el.removeAttribute(a);
        }
        r.replaceWith(copy);
      }),
    );
    await expect.poll(async () => (await ours()).at(-1)?.status, { timeout: 10_000 }).toBe('incomplete');
    const ended = (await ours()).at(-1)!;
    expect(ended.incompleteReason).toContain('automatic capture stopped: could not read the messages on this page');
    expect(await b.worker.evaluate((id) => chrome.action.getBadgeText({ tabId: id }), tabId)).not.toBe('REC');
    await setExtensionStorage(b.worker, { settings: { autoCapture: [] } });
    await chat.close();
  });

  it('history the phone refuses ends the capture as incomplete, saying why, with everything shown kept', async () => {
    const chat = await openChat(b, 'n=400&cached=250&initial=100&refuse=1');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    const { result, completeness } = await preserveInPopup(popup, 120_000);
    expect(result).toContain('Kept: 250 messages');
    expect(completeness).toContain('Not the whole conversation: WhatsApp Web did not load older messages');
    const last = (await dumpDb(b.worker)).captures.at(-1)!;
    expect(last).toMatchObject({ status: 'incomplete', reachedBeginning: false });
  });

  it('a tab closed mid-capture leaves an incomplete capture holding what was acknowledged', async () => {
    const chat = await openChat(b, 'n=2500&cached=2500&delay=300');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    await popup.getByTestId('progress').waitFor();
    await popup.waitForTimeout(1500);
    await chat.close();
    await expect.poll(async () => (await dumpDb(b.worker)).captures.at(-1)?.status, { timeout: 15_000 }).toBe('incomplete');
    const last = (await dumpDb(b.worker)).captures.at(-1)!;
    expect(last.incompleteReason).toContain('closed');
    expect(last.counts.messages).toBeGreaterThan(0);
  });

  it('two tabs on the same thread, preserved at the same time, keep each message once', async () => {
    // As a first capture: ingest writes batches of a new thread without reading stored rows
    // first, and falls back to reading them when the other tab stored a message already.
    await inWorkerDb(b.worker, async (db) => {
      const stores = ['threads', 'messages', 'versions', 'captures'];
      const tx = db.transaction(stores, 'readwrite');
      for (const s of stores) tx.objectStore(s).clear();
      await new Promise((res) => (tx.oncomplete = res));
    });
    const first = await openChat(b, 'n=400&cached=400&delay=50');
    const second = await openChat(b, 'n=400&cached=400&delay=50');
    const p1 = await b.openPopup(await b.tabIdOf(first));
    const p2 = await b.openPopup(await b.tabIdOf(second));
    const [r1, r2] = await Promise.all([preserveInPopup(p1), preserveInPopup(p2)]);
    expect(r1.completeness).toContain('back to its beginning');
    expect(r2.completeness).toContain('back to its beginning');
    const db = await dumpDb(b.worker);
    expect(new Set(db.messages.map((m) => m.messageId)).size).toBe(db.messages.length);
    const ids = expectedMessages({ n: 400 }).map((m) => m.messageId);
    const have = new Set(db.messages.map((m) => m.messageId));
    expect(ids.filter((id) => !have.has(id))).toEqual([]);
    // No version was written twice for the same content.
    expect(db.versions.length).toBe(db.messages.reduce((n, m) => n + m.versionCount, 0));
    const versionKeys = db.versions.map((v) => `${v.messageId}#${v.version}`);
    expect(new Set(versionKeys).size).toBe(versionKeys.length);
  });
});
