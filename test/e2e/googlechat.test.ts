/**
 * Google Chat end to end in real Chromium: the demo space served as
 * https://chat.google.com/app/chat/AAAAbR7dKq0 (a page that enforces Trusted Types, as Chat
 * does), the built extension loaded, Preserve thread and Export bundle clicked in the popup, the
 * bundle checked by the real verifier CLI; and a space whose layout the adapter does not know,
 * which must fail loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, verifyCli, type PreservedAndExported } from './helpers';

const DEMO_URL = 'https://chat.google.com/app/chat/AAAAbR7dKq0';
const CHANGED_URL = 'https://chat.google.com/app/chat/AAAAq3Hk7Zs';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

beforeAll(async () => {
  server = await startFixtureServer(['chat.google.com']);
  server.route('chat.google.com', '/app/chat/AAAAbR7dKq0', { body: fixture('googlechat/demo.html') });
  server.route('chat.google.com', '/app/chat/AAAAq3Hk7Zs', { body: fixture('googlechat/changed-layout.html') });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto(DEMO_URL);
  await chat.waitForSelector('[data-id][data-user-id]');
  // The page script gives the picture its blob: URL, as a page does for a downloaded file.
  await chat.waitForFunction(() => document.querySelector('[data-attachment-id] img')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Google Chat → signed bundle', () => {
  it('the demo page enforces Trusted Types, as Chat does', async () => {
    const outcome = await chat.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<b>x</b>';
        return 'assigned';
      } catch (err) {
        return err instanceof TypeError ? 'refused' : String(err);
      }
    });
    expect(outcome).toBe('refused');
  });

  it('the popup names the messenger and the thread it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Google Chat');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Bridge Repair Coordination');
    await popup.close();
  });

  it('Preserve thread keeps the five messages and the picture, back to the space\'s creation; Export bundle saves a signed ZIP', async () => {
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

  it('thread.json keys the thread on the id in the address, keeps the picture\'s bytes and the literal markup', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const json = await zip.file(path)!.async('string');
    const record = JSON.parse(json);
    expect(json).toContain('"AAAAbR7dKq0"');
    expect(json).toContain('gT5kW2pZr8T');
    expect(json).toContain('<img src=x onerror=alert(1)>');
    expect(record.captures[0].pageUrl).toBe(DEMO_URL);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
  });

  it('preserving again adds nothing: every message has its platform id', async () => {
    await done.popup.getByRole('button', { name: 'Preserve thread' }).click();
    await expect.poll(() => done.popup.getByTestId('preserve-result').textContent(), { timeout: 30_000 }).toContain('5 messages, 1 attachment, 0 new');
    await done.popup.close();
  });
});

describe('Google Chat in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto(CHANGED_URL);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
    expect(await error.locator('code').textContent()).toBe('[data-id][data-user-id], [role="group"][data-id], [role="heading"][data-message-id]');
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
