/**
 * Slack end to end in real Chromium: a channel with its thread pane open, served as
 * https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS (the URL names the workspace and the
 * channel), the built extension loaded, Preserve thread and Export bundle clicked in the popup,
 * the bundle checked by the real verifier CLI; and a channel whose layout the adapter does not
 * know, which must fail loudly.
 */
import { describe, expect, it } from 'vitest';
import { preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectVerified, openMessenger, expectPreserved,
  WHOLE_CONVERSATION,
} from './messenger-suite';

const DEMO_URL = 'https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS';
const CHANGED_URL = 'https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK';

const session = openMessenger({
  hosts: ['app.slack.com'],
  routes: [
    ['app.slack.com', '/client/T05HRBR7KQ2/C07CNCLRECS', 'slack/demo.html'],
    ['app.slack.com', '/client/T05HRBR7KQ2/C06PRMTDESK', 'slack/changed-layout.html'],
  ],
  demoUrl: DEMO_URL,
  rowSelector: '[data-qa="message_pane"] [data-qa="message_container"]',
  // The page script gives the picture its blob: URL.
  blobPicture: '[data-qa="message_pane"] .p-file_image_thumbnail__image',
});
let done: PreservedAndExported;

describe('Slack → signed bundle', () => {
  it('the popup names the messenger and the channel it sees', async () => {
    await expectPopupNames(session.browser, session.chat, 'Slack', 'council-records');
  });

  it('Preserve thread keeps the six messages (two thread replies) and the picture; Export bundle saves a signed ZIP', async () => {
    // Scroll-back stopped at the channel intro (history.atBeginning).
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 6 messages, 1 attachment, 6 new', WHOLE_CONVERSATION);
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 6 messages, 1 attachment');
  });

  it('thread.json keys the thread on the URL, links the replies to their parent, keeps the picture\'s bytes', async () => {
    const thread = await bundledThread(done.bundlePath);
    const text = JSON.stringify(thread.record);
    expect(text).toContain('"T05HRBR7KQ2/C07CNCLRECS"');
    // Both replies quote the thread's first message by its ts.
    expect(text.match(/"messageId":"1773752534\.118300"/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    const image = await expectPageAndPicture(thread, DEMO_URL);
    expect(image.originalName).toBe('whiteboard.png');
  });
});

describe('Slack in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(session.browser, CHANGED_URL, '[data-qa="message_container"], .c-message_kit__message');
  });
});
