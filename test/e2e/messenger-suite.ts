/**
 * The steps every per-messenger end-to-end test shares: serve the fixture pages under the
 * messenger's host names, launch Chromium with the built extension and open the demo chat;
 * check what the popup names; Preserve thread and Export bundle; check the bundle with the real
 * verifier CLI; read thread.json back out of the bundle; and check that a page in a layout the
 * adapter does not know is refused. Each messenger's own test keeps the values it expects and
 * its messenger-specific checks.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, setExtensionStorage, verifyCli, type PreservedAndExported } from './helpers';

/** The popup's line when scroll-back reached the conversation's beginning. */
export const WHOLE_CONVERSATION = 'The whole conversation was captured, back to its beginning.';

export interface MessengerPages {
  /** Host names the fixture server answers for. */
  hosts: string[];
  /** What is served: [host, path, fixture file under test/fixtures/]. */
  routes: [host: string, path: string, fixture: string][];
  /** The address the demo chat is opened at. */
  demoUrl: string;
  /** A message row: the chat has rendered once it is there. */
  rowSelector: string;
  /** The picture the page script gives a blob: URL; the chat is ready once it has it. */
  blobPicture: string;
  /** Written to the extension's chrome.storage.local before the chat opens. */
  storage?: Record<string, unknown>;
  /** The browser's time zone (Chromium takes it from TZ when launched). */
  timeZone?: string;
}

export interface MessengerSession {
  readonly server: FixtureServer;
  readonly browser: ExtensionBrowser;
  /** The demo chat's tab. */
  readonly chat: Page;
}

/** Registers beforeAll (serve, launch, open the demo chat) and afterAll (close) for this file. */
export function openMessenger(pages: MessengerPages): MessengerSession {
  let server: FixtureServer | undefined;
  let browser: ExtensionBrowser | undefined;
  let chat: Page | undefined;

  beforeAll(async () => {
    if (pages.timeZone) process.env.TZ = pages.timeZone;
    server = await startFixtureServer(pages.hosts);
    for (const [host, path, file] of pages.routes) server.route(host, path, { body: fixture(file) });
    browser = await launchWithExtension(server);
    if (pages.storage) await setExtensionStorage(browser.worker, pages.storage);
    chat = await browser.context.newPage();
    await chat.goto(pages.demoUrl);
    await chat.waitForSelector(pages.rowSelector);
    await chat.waitForFunction((selector) => document.querySelector(selector)?.getAttribute('src')?.startsWith('blob:') === true, pages.blobPicture);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not open: beforeAll did not finish`);
    return value;
  };
  return {
    get server() {
      return ready(server, 'the fixture server');
    },
    get browser() {
      return ready(browser, 'the browser');
    },
    get chat() {
      return ready(chat, 'the demo chat');
    },
  };
}

/** The popup on `page`'s tab names the messenger (contains) and the conversation (exactly). */
export async function expectPopupNames(browser: ExtensionBrowser, page: Page, messenger: string, title: string): Promise<void> {
  const popup = await browser.openPopup(await browser.tabIdOf(page));
  await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain(messenger);
  expect(await popup.getByTestId('thread-title').textContent()).toBe(title);
  await popup.close();
}

/**
 * After Preserve thread and Export bundle (helpers.ts `preserveAndExport`): the popup's result
 * line contains `kept` (e.g. "Kept: 5 messages, 1 attachment, 5 new") and `completeness`, and
 * the download is a ZIP.
 */
export function expectPreserved(done: PreservedAndExported, kept: string, completeness: string): void {
  expect(done.preserved).toContain(kept);
  expect(done.preserved).toContain(completeness);
  expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
}

/**
 * The verifier CLI exits 0 and prints exactly
 * `valid: signed by key <the popup's thumbprint>, <counts>`, e.g. counts "1 thread, 5 messages, 1 attachment".
 */
export async function expectVerified(done: PreservedAndExported, counts: string): Promise<void> {
  const { code, stdout } = await verifyCli(done.bundlePath);
  expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, ${counts}`);
  expect(code).toBe(0);
}

/** The parts of thread.json these tests read (docs/bundle-format.md has the rest). */
export interface ThreadRecord {
  captures: { pageUrl: string }[];
  attachments: BundledAttachment[];
}
export interface BundledAttachment {
  /** Where its bytes are, relative to thread.json; null when they were not kept. */
  path: string | null;
  mediaType: string | null;
  originalName: string | null;
  size: number;
}

export interface BundledThread {
  zip: JSZip;
  /** thread.json's path inside the bundle. */
  path: string;
  /** thread.json as written. */
  json: string;
  record: ThreadRecord;
}

/** thread.json, read back out of the bundle. */
export async function bundledThread(bundlePath: string): Promise<BundledThread> {
  const zip = await JSZip.loadAsync(readFileSync(bundlePath));
  const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
  const json = await zip.file(path)!.async('string');
  return { zip, path, json, record: JSON.parse(json) as ThreadRecord };
}

/**
 * The first capture was of `pageUrl`, and the bundle keeps the picture: a PNG whose bytes are
 * all there. Returns the picture's attachment entry for further checks.
 */
export async function expectPageAndPicture({ zip, path, record }: BundledThread, pageUrl: string): Promise<BundledAttachment> {
  expect(record.captures[0]!.pageUrl).toBe(pageUrl);
  const image = record.attachments.find((a) => a.path)!;
  expect(image.mediaType).toBe('image/png');
  const bytes = await zip.file(path.replace('thread.json', image.path!))!.async('uint8array');
  expect(bytes.length).toBe(image.size);
  return image;
}

/** transcript.html shows `<script>alert(2)</script>` typed as text, escaped, and holds no script element. */
export async function expectTranscriptInert(bundlePath: string): Promise<void> {
  const zip = await JSZip.loadAsync(readFileSync(bundlePath));
  const path = Object.keys(zip.files).find((p) => p.endsWith('/transcript.html'))!;
  const html = await zip.file(path)!.async('string');
  expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  expect(html).not.toMatch(/<script/i);
}

/** Preserve thread again in the same popup; its result line comes to contain `result`. */
export async function expectPreservedAgain(popup: Page, result: string): Promise<void> {
  await popup.getByRole('button', { name: 'Preserve thread' }).click();
  await expect.poll(() => popup.getByTestId('preserve-result').textContent(), { timeout: 30_000 }).toContain(result);
}

/**
 * `url` opens in a layout the adapter does not know: the popup says it cannot read the page,
 * names exactly `selector` as the one that failed, and offers no Preserve thread button.
 */
export async function expectChangedLayoutRefused(browser: ExtensionBrowser, url: string, selector: string): Promise<void> {
  const page = await browser.context.newPage();
  await page.goto(url);
  const popup = await browser.openPopup(await browser.tabIdOf(page));
  const error = popup.getByTestId('read-error');
  await error.waitFor();
  expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
  expect(await error.locator('code').textContent()).toBe(selector);
  expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
  await popup.close();
  await page.close();
}
