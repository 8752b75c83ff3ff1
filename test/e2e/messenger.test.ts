/**
 * Messenger end to end in real Chromium: the demo group served as
 * https://www.messenger.com/e2ee/t/6612345678901234, the built extension loaded, Preserve thread
 * and Export bundle clicked in the popup, the bundle checked by the real verifier CLI. The page
 * gives no message an id, so preserving again must find every derived id already kept. Also:
 * the same adapter on www.facebook.com/messages, and a layout it does not know.
 */
import { describe, expect, it } from 'vitest';
import { fixture, preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectPreservedAgain, expectVerified, openMessenger,
  expectPreserved, WHOLE_CONVERSATION,
} from './messenger-suite';

const DEMO_URL = 'https://www.messenger.com/e2ee/t/6612345678901234';
const FACEBOOK_URL = 'https://www.facebook.com/messages/e2ee/t/8823456789012345';
const CHANGED_URL = 'https://www.messenger.com/t/7712345678901234';

const session = openMessenger({
  // Separator times are read in the browser's zone; Chromium takes it from TZ. Pin the zone the
  // fixtures' expected ids were computed in (test/setup-timezone.ts does this for unit tests).
  timeZone: 'America/New_York',
  hosts: ['www.messenger.com', 'www.facebook.com'],
  routes: [
    ['www.messenger.com', '/e2ee/t/6612345678901234', 'messenger/demo.html'],
    ['www.messenger.com', '/t/7712345678901234', 'messenger/changed-layout.html'],
    ['www.facebook.com', '/messages/e2ee/t/8823456789012345', 'messenger/direct-e2ee-facebook-2025-en-gb.html'],
  ],
  demoUrl: DEMO_URL,
  rowSelector: '[role="log"] [role="row"]',
  // The page script gives the photo its blob: URL, as an e2ee chat does for a decrypted picture.
  blobPicture: '[aria-label="Open photo"] img',
});
let done: PreservedAndExported;

describe('Messenger → signed bundle', () => {
  it('the popup names the messenger and the thread it sees', async () => {
    await expectPopupNames(session.browser, session.chat, 'Messenger', 'Riverside Cleanup Crew');
  });

  it('Preserve thread keeps the five messages and the photo, back to the encryption notice; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', WHOLE_CONVERSATION);
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
  });

  it('thread.json keys the thread on the address, holds the derived ids and the picture\'s bytes', async () => {
    const thread = await bundledThread(done.bundlePath);
    const { json } = thread;
    expect(json).toContain('"e2ee/t/6612345678901234"');
    // The ids test/fixtures/messenger/demo.expected.json gives (the browser's zone is the test's).
    const expected = JSON.parse(fixture('messenger/demo.expected.json')) as { messages: { messageId: string }[] };
    for (const m of expected.messages) expect(json).toContain(m.messageId);
    expect(json).toContain('<img src=x onerror=alert(1)>');
    await expectPageAndPicture(thread, DEMO_URL);
  });

  it('preserving the same page again adds nothing: the derived ids are reproduced', async () => {
    await expectPreservedAgain(done.popup, '5 messages, 1 attachment, 0 new');
  });

  it('a newer message arriving adds exactly one', async () => {
    await session.chat.evaluate(() => {
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
    await expectPreservedAgain(done.popup, '6 messages, 1 attachment, 1 new');
    await done.popup.close();
  });
});

describe('Messenger inside facebook.com, and a layout the adapter does not know', () => {
  it('serves www.facebook.com/messages/e2ee/t/<id> too', async () => {
    const page = await session.browser.context.newPage();
    await page.goto(FACEBOOK_URL);
    await expectPopupNames(session.browser, page, 'Messenger', 'Tomás Reyes');
    await page.close();
  });

  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(session.browser, CHANGED_URL, '[role="row"], [aria-roledescription="message"]');
  });
});
