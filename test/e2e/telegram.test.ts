/**
 * Telegram Web end to end in real Chromium: the Web A demo group served as
 * https://web.telegram.org/a/#-1001234567890 (the hash names the chat), the built extension
 * loaded, Preserve thread and Export bundle clicked in the popup, the bundle checked by the real
 * verifier CLI; and a Web K page whose layout the adapter does not know, which must fail loudly.
 */
import { describe, expect, it } from 'vitest';
import { preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectVerified, openMessenger, expectPreserved,
  WHOLE_CONVERSATION,
} from './messenger-suite';

const DEMO_URL = 'https://web.telegram.org/a/#-1001234567890';

const session = openMessenger({
  hosts: ['web.telegram.org'],
  // The hash never reaches the server: the client paths are what is served.
  routes: [
    ['web.telegram.org', '/a/', 'telegram/demo.html'],
    ['web.telegram.org', '/k/', 'telegram/changed-layout.html'],
  ],
  demoUrl: DEMO_URL,
  rowSelector: '.MessageList .message-list-item',
  // The page script gives the picture its blob: URL, as Web A does once a photo is downloaded.
  blobPicture: '.media-inner img.full-media',
});
let done: PreservedAndExported;

describe('Telegram Web (Web A) → signed bundle', () => {
  it('the popup names the messenger and the thread it sees', async () => {
    await expectPopupNames(session.browser, session.chat, 'Telegram Web', 'Eastside Park Cleanup');
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    // Scroll-back stopped at the group's creation notice (history.atBeginning).
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', WHOLE_CONVERSATION);
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
  });

  it('thread.json keys the thread on the URL hash and keeps the picture\'s bytes', async () => {
    const thread = await bundledThread(done.bundlePath);
    expect(JSON.stringify(thread.record)).toContain('"a:-1001234567890"');
    await expectPageAndPicture(thread, DEMO_URL);
  });
});

describe('Telegram Web (Web K) in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(session.browser, 'https://web.telegram.org/k/#-1876543210', '.bubbles-inner .bubble, .bubble[data-mid]');
  });
});
