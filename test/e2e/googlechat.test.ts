/**
 * Google Chat end to end in real Chromium: the demo space served as
 * https://chat.google.com/app/chat/AAAAbR7dKq0 (a page that enforces Trusted Types, as Chat
 * does), the built extension loaded, Preserve thread and Export bundle clicked in the popup, the
 * bundle checked by the real verifier CLI; and a space whose layout the adapter does not know,
 * which must fail loudly.
 */
import { describe, expect, it } from 'vitest';
import { preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectPreservedAgain, expectVerified, openMessenger,
  expectPreserved, WHOLE_CONVERSATION,
} from './messenger-suite';

const DEMO_URL = 'https://chat.google.com/app/chat/AAAAbR7dKq0';
const CHANGED_URL = 'https://chat.google.com/app/chat/AAAAq3Hk7Zs';

const session = openMessenger({
  hosts: ['chat.google.com'],
  routes: [
    ['chat.google.com', '/app/chat/AAAAbR7dKq0', 'googlechat/demo.html'],
    ['chat.google.com', '/app/chat/AAAAq3Hk7Zs', 'googlechat/changed-layout.html'],
  ],
  demoUrl: DEMO_URL,
  rowSelector: '[data-id][data-user-id]',
  // The page script gives the picture its blob: URL, as a page does for a downloaded file.
  blobPicture: '[data-attachment-id] img',
});
let done: PreservedAndExported;

describe('Google Chat → signed bundle', () => {
  it('the demo page enforces Trusted Types, as Chat does', async () => {
    const outcome = await session.chat.evaluate(() => {
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
    await expectPopupNames(session.browser, session.chat, 'Google Chat', 'Bridge Repair Coordination');
  });

  it('Preserve thread keeps the five messages and the picture, back to the space\'s creation; Export bundle saves a signed ZIP', async () => {
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', WHOLE_CONVERSATION);
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
  });

  it('thread.json keys the thread on the id in the address, keeps the picture\'s bytes and the literal markup', async () => {
    const thread = await bundledThread(done.bundlePath);
    expect(thread.json).toContain('"AAAAbR7dKq0"');
    expect(thread.json).toContain('gT5kW2pZr8T');
    expect(thread.json).toContain('<img src=x onerror=alert(1)>');
    await expectPageAndPicture(thread, DEMO_URL);
  });

  it('preserving again adds nothing: every message has its platform id', async () => {
    await expectPreservedAgain(done.popup, '5 messages, 1 attachment, 0 new');
    await done.popup.close();
  });
});

describe('Google Chat in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(session.browser, CHANGED_URL, '[data-id][data-user-id], [role="group"][data-id], [role="heading"][data-message-id]');
  });
});
