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
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectVerified, openMessenger, expectPreserved,
} from './messenger-suite';

const DEMO_URL = 'https://teams.cloud.microsoft/';
const CHANGED_URL = 'https://teams.microsoft.com/v2/';

const session = openMessenger({
  hosts: ['teams.cloud.microsoft', 'teams.microsoft.com'],
  routes: [
    ['teams.cloud.microsoft', '/', 'teams/demo.html'],
    ['teams.microsoft.com', '/v2/', 'teams/changed-layout.html'],
  ],
  // No source names a beginning-of-chat marker in Teams, so a capture ends when nothing older
  // arrives at the top; keep that wait short here.
  storage: { captureLimits: { idleTimeoutMs: 3000 } },
  demoUrl: DEMO_URL,
  rowSelector: '[data-tid="chat-pane-message"]',
  blobPicture: '[data-tid="chat-pane-message"] img[itemtype="http://schema.skype.com/AMSImage"]',
});
let done: PreservedAndExported;

const violations = (page: Page): Promise<string | null> => page.evaluate(() => document.documentElement.getAttribute('data-tt-violations'));

describe('Microsoft Teams → signed bundle', () => {
  it('the page enforces Trusted Types, as Teams does, and starts with no violation', async () => {
    expect(await violations(session.chat)).toBe('0');
    // A separate page on the same origin proves a string-to-markup write is refused there.
    const probe = await session.browser.context.newPage();
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
    await expectPopupNames(session.browser, session.chat, 'Microsoft Teams', 'Council Session Prep');
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    // Teams shows nothing that proves the chat's beginning: the record says so.
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', 'Not the whole conversation');
  });

  it('reading the chat caused no Trusted Types violation', async () => {
    expect(await violations(session.chat)).toBe('0');
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
  });

  it('thread.json keys the thread on the chat header\'s conversation id and keeps the picture\'s bytes', async () => {
    const thread = await bundledThread(done.bundlePath);
    expect(JSON.stringify(thread.record)).toContain('"19:5c1f0e2d3b4a49c8a7e6d5c4b3a2f190@thread.v2"');
    await expectPageAndPicture(thread, DEMO_URL);
  });
});

describe('Microsoft Teams in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(session.browser, CHANGED_URL, '[data-tid="chat-pane-item"], [data-tid="chat-pane-message"], [data-tid="control-message-renderer"]');
  });
});
