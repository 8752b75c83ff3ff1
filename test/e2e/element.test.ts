/**
 * Element end to end in real Chromium: a room served as
 * https://app.element.io/#/room/!pRkRec2026aBcDeF:example.org (the URL's hash names the room),
 * the built extension loaded, Preserve thread and Export bundle clicked in the popup, the bundle
 * checked by the real verifier CLI; and a room whose layout the adapter does not know, which
 * must fail loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, verifyCli, type PreservedAndExported } from './helpers';

const ROOM = '!pRkRec2026aBcDeF:example.org';
const DEMO_URL = `https://app.element.io/#/room/${ROOM}`;
const CHANGED_URL = 'https://app.element.io/changed#/room/!kXnQrPzLmWvTyBsA:example.org';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

beforeAll(async () => {
  server = await startFixtureServer(['app.element.io']);
  server.route('app.element.io', '/', { body: fixture('element/demo.html') });
  server.route('app.element.io', '/changed', { body: fixture('element/changed-layout.html') });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto(DEMO_URL);
  await chat.waitForSelector('.mx_RoomView_MessageList li.mx_EventTile[data-event-id]');
  // The page script gives the picture its blob: URL, as Element does for decrypted media.
  await chat.waitForFunction(() => document.querySelector('.mx_RoomView_MessageList .mx_MImageBody img')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Element → signed bundle', () => {
  it('the popup names the messenger and the room it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Element');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Eastside Parks Records');
    await popup.close();
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(browser, chat);
    expect(done.preserved).toContain('Kept: 5 messages, 1 attachment, 5 new');
    // Scroll-back stopped at the room's intro (history.atBeginning).
    expect(done.preserved).toContain('The whole conversation was captured, back to its beginning.');
    expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    const { code, stdout } = await verifyCli(done.bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, 1 thread, 5 messages, 1 attachment`);
    expect(code).toBe(0);
  });

  it('thread.json keys the thread on the room id, links the reply by event id, keeps the picture\'s bytes', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const record = JSON.parse(await zip.file(path)!.async('string'));
    const text = JSON.stringify(record);
    expect(text).toContain(`"${ROOM}"`);
    expect(record.captures[0].pageUrl).toBe(DEMO_URL);
    // Marco's request, and Dana's reply quoting it by event id.
    expect(text.match(/"messageId":"\$P4jACf4bSxt3b8iP9qjloMEImkVrMNF059tcU5m588Y"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    expect(image.originalName).toBe('playground-notice.png');
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

describe('Element in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto(CHANGED_URL);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
    expect(await error.locator('code').textContent()).toBe(
      '.mx_RoomView_MessageList li.mx_EventTile[data-event-id], .mx_RoomView_MessageList li.mx_EventTile[data-scroll-tokens], .mx_RoomView_MessageList li.mx_GenericEventListSummary, .mx_RoomView_MessageList li[data-event-id], .mx_RoomView_MessageList li[data-scroll-tokens]',
    );
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
