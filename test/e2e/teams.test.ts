/**
 * Microsoft Teams end to end in real Chromium: a new-Teams group chat served as
 * https://teams.cloud.microsoft/ under a Trusted Types CSP like Teams' own, the built extension
 * loaded, Preserve thread and Export bundle clicked in the popup, the bundle checked by the real
 * verifier CLI; no Trusted Types violation on the page while it was read; and a chat on
 * teams.microsoft.com whose layout the adapter does not know, which must fail loudly.
 *
 * What the violation count can and cannot show: it sees string-to-markup writes in the page's
 * own world. Chromium runs content scripts in an isolated world that the page's Trusted Types
 * policy does not govern (checked on this build: an innerHTML write added to the adapter ran
 * without a violation), so the guard for the adapter and the runner themselves is the source
 * scan in test/adapters/teams.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, setExtensionStorage, verifyCli, type PreservedAndExported } from './helpers';

const DEMO_URL = 'https://teams.cloud.microsoft/';
const CHANGED_URL = 'https://teams.microsoft.com/v2/';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

const violations = (page: Page): Promise<string | null> => page.evaluate(() => document.documentElement.getAttribute('data-tt-violations'));

beforeAll(async () => {
  server = await startFixtureServer(['teams.cloud.microsoft', 'teams.microsoft.com']);
  server.route('teams.cloud.microsoft', '/', { body: fixture('teams/demo.html') });
  server.route('teams.microsoft.com', '/v2/', { body: fixture('teams/changed-layout.html') });
  browser = await launchWithExtension(server);
  // No source names a beginning-of-chat marker in Teams, so a capture ends when nothing older
  // arrives at the top; keep that wait short here.
  await setExtensionStorage(browser.worker, { captureLimits: { idleTimeoutMs: 3000 } });
  chat = await browser.context.newPage();
  await chat.goto(DEMO_URL);
  await chat.waitForSelector('[data-tid="chat-pane-message"]');
  await chat.waitForFunction(() => document.querySelector('[data-tid="chat-pane-message"] img[itemtype="http://schema.skype.com/AMSImage"]')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Microsoft Teams → signed bundle', () => {
  it('the page enforces Trusted Types, as Teams does, and starts with no violation', async () => {
    expect(await violations(chat)).toBe('0');
    // A separate page on the same origin proves a string-to-markup write is refused there.
    const probe = await browser.context.newPage();
    await probe.goto(DEMO_URL);
    await probe.waitForSelector('[data-tid="chat-pane-message"]');
    const outcome = await probe.evaluate(() => {
      try {
        document.createElement('div').innerHTML = '<b>x</b>';
        return 'allowed';
      } catch (e) {
        return (e as Error).name;
      }
    });
    expect(outcome).toBe('TypeError');
    await expect.poll(() => violations(probe)).toBe('1');
    await probe.close();
  });

  it('the popup names the messenger and the chat it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Microsoft Teams');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Council Session Prep');
    await popup.close();
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(browser, chat);
    expect(done.preserved).toContain('Kept: 5 messages, 1 attachment, 5 new');
    // Teams shows nothing that proves the chat's beginning: the record says so.
    expect(done.preserved).toContain('Not the whole conversation');
    expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('reading the chat caused no Trusted Types violation', async () => {
    expect(await violations(chat)).toBe('0');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    const { code, stdout } = await verifyCli(done.bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, 1 thread, 5 messages, 1 attachment`);
    expect(code).toBe(0);
  });

  it('thread.json keys the thread on the chat header\'s conversation id and keeps the picture\'s bytes', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const record = JSON.parse(await zip.file(path)!.async('string'));
    expect(JSON.stringify(record)).toContain('"19:5c1f0e2d3b4a49c8a7e6d5c4b3a2f190@thread.v2"');
    expect(record.captures[0].pageUrl).toBe(DEMO_URL);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
  });
});

describe('Microsoft Teams in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto(CHANGED_URL);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
    expect(await error.locator('code').textContent()).toBe('[data-tid="chat-pane-item"], [data-tid="chat-pane-message"], [data-tid="control-message-renderer"]');
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
