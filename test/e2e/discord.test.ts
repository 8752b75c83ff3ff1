/**
 * Discord end to end in real Chromium: a guild channel served as
 * https://discord.com/channels/<guild>/<channel> (the URL names the conversation), the built
 * extension loaded, Preserve thread and Export bundle clicked in the popup, the bundle checked
 * by the real verifier CLI; and a channel whose layout the adapter does not know, which must
 * fail loudly. The demo's picture is a blob: URL made by the page (test/fixtures/discord/README.md),
 * so this test does not depend on the runner reading Discord's CDN hosts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, verifyCli, type PreservedAndExported } from './helpers';

const DEMO_PATH = '/channels/1379127420518531120/1457780686848131119';
const CHANGED_PATH = '/channels/1091827364519283746/1091827364519283750';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

beforeAll(async () => {
  server = await startFixtureServer(['discord.com']);
  server.route('discord.com', DEMO_PATH, { body: fixture('discord/demo.html') });
  server.route('discord.com', CHANGED_PATH, { body: fixture('discord/changed-layout.html') });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto(`https://discord.com${DEMO_PATH}`);
  await chat.waitForSelector('ol[data-list-id="chat-messages"] li[id^="chat-messages-"]');
  // The page script gives the picture its blob: URL.
  await chat.waitForFunction(() => document.querySelector('[id^="message-accessories-"] img')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Discord → signed bundle', () => {
  it('the popup names the messenger and the channel it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Discord');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('records-requests');
    await popup.close();
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(browser, chat);
    expect(done.preserved).toContain('Kept: 5 messages, 1 attachment, 5 new');
    // Scroll-back stopped at the channel's start banner (history.atBeginning).
    expect(done.preserved).toContain('The whole conversation was captured, back to its beginning.');
    expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    const { code, stdout } = await verifyCli(done.bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, 1 thread, 5 messages, 1 attachment`);
    expect(code).toBe(0);
  });

  it('thread.json keys the thread on the URL, dates messages by their snowflakes, keeps the picture\'s bytes', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const record = JSON.parse(await zip.file(path)!.async('string'));
    const text = JSON.stringify(record);
    expect(text).toContain('"1379127420518531120/1457780686848131119"');
    expect(record.captures[0].pageUrl).toBe(`https://discord.com${DEMO_PATH}`);
    // 1483087712092291114 >> 22 + Discord's epoch is 2026-03-16T13:01:05Z.
    expect(text).toMatch(/"messageId":"1483087712092291114"/);
    expect(text).toMatch(/"sentAt":"2026-03-16T\d\d:01:05[+-]\d\d:\d\d"/);
    // Dana's reply links Marco's message by its id.
    expect(text.match(/"messageId":"1483087712092291114"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
  });

  it('the transcript keeps markup typed as text inert', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/transcript.html'))!;
    const html = await zip.file(path)!.async('string');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
  });
});

describe('Discord in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto(`https://discord.com${CHANGED_PATH}`);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
    expect(await error.locator('code').textContent()).toBe('li[id^="chat-messages-"], [data-list-id="chat-messages"] [id^="chat-messages-"]');
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
