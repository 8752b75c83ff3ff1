/**
 * Google Chat inside Gmail, end to end in real Chromium: https://mail.google.com/chat/u/0/ shows
 * Chat in iframes at https://chat.google.com/u/0/frame?… (test/fixtures/gmail/README.md). The
 * content script runs only in Chat's own frames; the popup on the Gmail tab finds the frame with
 * the open conversation; Preserve thread and Export bundle work as on chat.google.com; the same
 * thread captured here and on chat.google.com is one thread. Gmail itself is never read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Frame, Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { dumpDb, fixture, preserveAndExport, type PreservedAndExported } from './helpers';
import { bundledThread, expectPreserved, expectVerified, WHOLE_CONVERSATION } from './messenger-suite';

const GMAIL = 'https://mail.google.com/chat/u/0/';
let server: FixtureServer;
let b: ExtensionBrowser;
let gmail: Page;

beforeAll(async () => {
  server = await startFixtureServer(['mail.google.com', 'chat.google.com']);
  server.route('mail.google.com', '/chat/u/0/', { body: fixture('gmail/inbox-with-chat.html') });
  server.route('chat.google.com', '/u/0/frame', (url) => ({
    body: url.searchParams.has('pt') ? fixture('gmail/chat-roster-frame.html') : fixture('googlechat/demo.html'),
  }));
  server.route('chat.google.com', '/app/chat/AAAAbR7dKq0', { body: fixture('googlechat/demo.html') });
  b = await launchWithExtension(server);
});
afterAll(async () => {
  await b?.close();
  await server?.close();
});

/** Gmail with its Chat frames loaded, the conversation's picture made a blob: URL. */
async function openGmail(query = ''): Promise<{ page: Page; conversation: Frame }> {
  const page = await b.context.newPage();
  await page.goto(`${GMAIL}${query}`);
  const conversation = await (await page.waitForSelector('#gtn-brain-iframe-id')).contentFrame();
  if (!conversation) throw new Error('the conversation frame did not load');
  await conversation.waitForFunction(() => document.querySelector('[data-attachment-id] img')?.getAttribute('src')?.startsWith('blob:') === true);
  await (await page.waitForSelector('#gtn-roster-iframe-id')).contentFrame().then((f) => f?.waitForSelector('[data-group-id]'));
  return { page, conversation };
}

describe('Google Chat inside Gmail → signed bundle', () => {
  let done: PreservedAndExported;

  beforeAll(async () => {
    gmail = (await openGmail()).page;
  });

  it('the popup on the Gmail tab names Google Chat and the conversation open in its frame', async () => {
    const popup = await b.openPopup(await b.tabIdOf(gmail));
    await expect.poll(() => popup.getByTestId('tab-status').textContent(), { timeout: 15_000 }).toContain('Google Chat');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Bridge Repair Coordination');
    await popup.close();
  });

  it('Preserve thread captures the frame back to the space\'s creation; Export bundle saves a signed ZIP the verifier accepts', async () => {
    done = await preserveAndExport(b, gmail);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', WHOLE_CONVERSATION);
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
    const thread = await bundledThread(done.bundlePath);
    expect(thread.json).toContain('"AAAAbR7dKq0"');
    // Where it was captured: Chat's frame, not Gmail (which the extension cannot read).
    expect(thread.record.captures[0]!.pageUrl).toMatch(/^https:\/\/chat\.google\.com\/u\/0\/frame\?/);
    const capture = (await dumpDb(b.worker)).captures.at(-1)!;
    expect(capture.status).toBe('complete');
    expect(capture.frameId).toBeGreaterThan(0);
    await done.popup.close();
  });

  it('the same space preserved on chat.google.com is the same thread: nothing new, nothing twice', async () => {
    const page = await b.context.newPage();
    await page.goto('https://chat.google.com/app/chat/AAAAbR7dKq0');
    await page.waitForFunction(() => document.querySelector('[data-attachment-id] img')?.getAttribute('src')?.startsWith('blob:') === true);
    const popup = await b.openPopup(await b.tabIdOf(page));
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    await expect.poll(() => popup.getByTestId('preserve-result').textContent(), { timeout: 30_000 }).toContain('5 messages, 1 attachment, 0 new');
    const db = await dumpDb(b.worker);
    expect(new Set(db.messages.map((m) => m.threadId)).size).toBe(1);
    expect(db.versions).toHaveLength(db.messages.length);
    await popup.close();
    await page.close();
  });
});

describe('frames Threadkeeper must not read', () => {
  it('a chat.google.com page framed by another site, that is not Chat\'s embedded frame, is not read', async () => {
    const { page } = await openGmail('?other=1');
    const other = await (await page.waitForSelector('#other-chat-page')).contentFrame();
    await other!.waitForSelector('[data-id][data-user-id]', { state: 'attached' });
    // Give a content script time to have said hello, had it been injected and allowed to run.
    await page.waitForTimeout(1500);
    const frames = await b.worker.evaluate(async () => (await chrome.storage.session.get('embeddedFrames')).embeddedFrames as Record<string, { url: string }[]>);
    const urls = Object.values(frames ?? {}).flat().map((f) => f.url);
    expect(urls.some((u) => u.includes('/u/0/frame'))).toBe(true);
    expect(urls.some((u) => u.includes('/app/chat/'))).toBe(false);
    // The roster frame (no conversation open) stays silent too.
    expect(urls.filter((u) => u.includes('pt=6'))).toEqual([]);
    await page.close();
  });
});
