/**
 * Slack end to end in real Chromium: a channel with its thread pane open, served as
 * https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS (the URL names the workspace and the
 * channel), the built extension loaded, Preserve thread and Export bundle clicked in the popup,
 * the bundle checked by the real verifier CLI; and a channel whose layout the adapter does not
 * know, which must fail loudly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveAndExport, verifyCli, type PreservedAndExported } from './helpers';

const DEMO_URL = 'https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS';
const CHANGED_URL = 'https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let done: PreservedAndExported;

beforeAll(async () => {
  server = await startFixtureServer(['app.slack.com']);
  server.route('app.slack.com', '/client/T05HRBR7KQ2/C07CNCLRECS', { body: fixture('slack/demo.html') });
  server.route('app.slack.com', '/client/T05HRBR7KQ2/C06PRMTDESK', { body: fixture('slack/changed-layout.html') });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto(DEMO_URL);
  await chat.waitForSelector('[data-qa="message_pane"] [data-qa="message_container"]');
  // The page script gives the picture its blob: URL.
  await chat.waitForFunction(() => document.querySelector('[data-qa="message_pane"] .p-file_image_thumbnail__image')?.getAttribute('src')?.startsWith('blob:') === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Slack → signed bundle', () => {
  it('the popup names the messenger and the channel it sees', async () => {
    const popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('Slack');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('council-records');
    await popup.close();
  });

  it('Preserve thread keeps the six messages (two thread replies) and the picture; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(browser, chat);
    expect(done.preserved).toContain('Kept: 6 messages, 1 attachment, 6 new');
    // Scroll-back stopped at the channel intro (history.atBeginning).
    expect(done.preserved).toContain('The whole conversation was captured, back to its beginning.');
    expect(readFileSync(done.bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    const { code, stdout } = await verifyCli(done.bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${done.keyThumbprint}, 1 thread, 6 messages, 1 attachment`);
    expect(code).toBe(0);
  });

  it('thread.json keys the thread on the URL, links the replies to their parent, keeps the picture\'s bytes', async () => {
    const zip = await JSZip.loadAsync(readFileSync(done.bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const record = JSON.parse(await zip.file(path)!.async('string'));
    const text = JSON.stringify(record);
    expect(text).toContain('"T05HRBR7KQ2/C07CNCLRECS"');
    expect(record.captures[0].pageUrl).toBe(DEMO_URL);
    // Both replies quote the thread's first message by its ts.
    expect(text.match(/"messageId":"1773752534\.118300"/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    expect(image.mediaType).toBe('image/png');
    expect(image.originalName).toBe('whiteboard.png');
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
  });
});

describe('Slack in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    const page = await browser.context.newPage();
    await page.goto(CHANGED_URL);
    const popup = await browser.openPopup(await browser.tabIdOf(page));
    const error = popup.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/cannot read this .+ page — its layout may have changed/);
    expect(await error.locator('code').textContent()).toBe('[data-qa="message_container"], .c-message_kit__message');
    expect(await popup.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await popup.close();
    await page.close();
  });
});
