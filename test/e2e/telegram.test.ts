/**
 * Telegram Web end to end in real Chromium: the Web A demo group served as
 * https://web.telegram.org/a/#-1001234567890 (the hash names the chat), the built extension
 * loaded, Preserve thread and Export bundle clicked in the popup, the bundle checked by the real
 * verifier CLI; and a Web K page whose layout the adapter does not know, which must fail loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, verifyCli, type PreservedAndExported } from './helpers';

const DEMO_URL = 'https://web.telegram.org/a/#-1001234567890';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

beforeAll(async () => {
  server = await startFixtureServer(['web.telegram.org']);
  // The hash never reaches the server: the client paths are what is served.
  server.route('web.telegram.org', '/a/', { body: fixture('telegram/demo.html') });
  server.route('web.telegram.org', '/k/', { body: fixture('telegram/changed-layout.html') });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto(DEMO_URL);
  await chat.waitForSelector('.MessageList .message-list-item');
  // The page script gives the picture its blob: URL, as Web A does once a photo is downloaded.
  await chat.waitForFunction(() => document.querySelector('.media-inner img.full-media')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Telegram Web (Web A) → signed bundle', () => {
  it('the popup names the messenger and the thread it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Telegram Web');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Eastside Park Cleanup');
    await popup.close();
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(browser, chat);
    expect(done.preserved).toContain('Kept: 5 messages, 1 attachment, 5 new');
    // Scroll-back stopped at the group's creation notice (history.atBeginning).
    expect(done.preserved).toContain('The whole conversation was captured, back to its beginning.');
    expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    const { code, stdout } = await verifyCli(done.bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, 1 thread, 5 messages, 1 attachment`);
    expect(code).toBe(0);
  });

  it('thread.json keys the thread on the URL hash and keeps the picture\'s bytes', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const record = JSON.parse(await zip.file(path)!.async('string'));
    expect(JSON.stringify(record)).toContain('"a:-1001234567890"');
    expect(record.captures[0].pageUrl).toBe(DEMO_URL);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
  });
});

describe('Telegram Web (Web K) in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto('https://web.telegram.org/k/#-1876543210');
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.locator('code').textContent()).toBe('.bubbles-inner .bubble, .bubble[data-mid]');
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
