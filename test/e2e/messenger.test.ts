/**
 * Messenger end to end in real Chromium: the demo group served as
 * https://www.messenger.com/e2ee/t/6612345678901234, the built extension loaded, Preserve thread
 * and Export bundle clicked in the popup, the bundle checked by the real verifier CLI. The page
 * gives no message an id, so preserving again must find every derived id already kept. Also:
 * the same adapter on www.facebook.com/messages, and a layout it does not know.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, verifyCli, type PreservedAndExported } from './helpers';

const DEMO_URL = 'https://www.messenger.com/e2ee/t/6612345678901234';
const FACEBOOK_URL = 'https://www.facebook.com/messages/e2ee/t/8823456789012345';
const CHANGED_URL = 'https://www.messenger.com/t/7712345678901234';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

beforeAll(async () => {
  // Separator times are read in the browser's zone; Chromium takes it from TZ. Pin the zone the
  // fixtures' expected ids were computed in (test/setup-timezone.ts does this for unit tests).
  process.env.TZ = 'America/New_York';
  server = await startFixtureServer(['www.messenger.com', 'www.facebook.com']);
  server.route('www.messenger.com', '/e2ee/t/6612345678901234', { body: fixture('messenger/demo.html') });
  server.route('www.messenger.com', '/t/7712345678901234', { body: fixture('messenger/changed-layout.html') });
  server.route('www.facebook.com', '/messages/e2ee/t/8823456789012345', { body: fixture('messenger/direct-e2ee-facebook-2025-en-gb.html') });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto(DEMO_URL);
  await chat.waitForSelector('[role="log"] [role="row"]');
  // The page script gives the photo its blob: URL, as an e2ee chat does for a decrypted picture.
  await chat.waitForFunction(() => document.querySelector('[aria-label="Open photo"] img')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Messenger → signed bundle', () => {
  it('the popup names the messenger and the thread it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Messenger');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Riverside Cleanup Crew');
    await popup.close();
  });

  it('Preserve thread keeps the five messages and the photo, back to the encryption notice; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(browser, chat);
    expect(done.preserved).toContain('Kept: 5 messages, 1 attachment, 5 new');
    expect(done.preserved).toContain('The whole conversation was captured, back to its beginning.');
    expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    const { code, stdout } = await verifyCli(done.bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, 1 thread, 5 messages, 1 attachment`);
    expect(code).toBe(0);
  });

  it('thread.json keys the thread on the address, holds the derived ids and the picture\'s bytes', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const json = await zip.file(path)!.async('string');
    const record = JSON.parse(json);
    expect(json).toContain('"e2ee/t/6612345678901234"');
    // The ids test/fixtures/messenger/demo.expected.json gives (the browser's zone is the test's).
    const expected = JSON.parse(fixture('messenger/demo.expected.json')) as { messages: { messageId: string }[] };
    for (const m of expected.messages) expect(json).toContain(m.messageId);
    expect(json).toContain('<img src=x onerror=alert(1)>');
    expect(record.captures[0].pageUrl).toBe(DEMO_URL);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
  });

  it('preserving the same page again adds nothing: the derived ids are reproduced', async () => {
    await done.popup.getByRole('button', { name: 'Preserve thread' }).click();
    await expect.poll(() => done.popup.getByTestId('preserve-result').textContent(), { timeout: 30_000 }).toContain('5 messages, 1 attachment, 0 new');
  });

  it('a newer message arriving adds exactly one', async () => {
    await chat.evaluate(() => {
      const log = document.querySelector('[role="log"]')!;
      const row = document.createElement('div');
      row.setAttribute('role', 'row');
      const cell = document.createElement('div');
      cell.setAttribute('role', 'gridcell');
      cell.setAttribute('data-scope', 'messages_table');
      const text = document.createElement('div');
      text.setAttribute('dir', 'auto');
      text.textContent = 'After shot coming this afternoon.';
      cell.append(text);
      row.append(cell);
      log.append(row);
    });
    await done.popup.getByRole('button', { name: 'Preserve thread' }).click();
    await expect.poll(() => done.popup.getByTestId('preserve-result').textContent(), { timeout: 30_000 }).toContain('6 messages, 1 attachment, 1 new');
    await done.popup.close();
  });
});

describe('Messenger inside facebook.com, and a layout the adapter does not know', () => {
  it('serves www.facebook.com/messages/e2ee/t/<id> too', async () => {
    const page = await browser.context.newPage();
    await page.goto(FACEBOOK_URL);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Messenger');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Tomás Reyes');
    await popup.close();
    await page.close();
  });

  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto(CHANGED_URL);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
    expect(await error.locator('code').textContent()).toBe('[role="row"], [aria-roledescription="message"]');
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
