/**
 * Discord end to end in real Chromium: a guild channel served as
 * https://discord.com/channels/<guild>/<channel> (the URL names the conversation), the built
 * extension loaded, Preserve thread and Export bundle clicked in the popup, the bundle checked
 * by the real verifier CLI; and a channel whose layout the adapter does not know, which must
 * fail loudly. The demo's picture is a blob: URL made by the page (test/fixtures/discord/README.md),
 * so this test does not depend on the runner reading Discord's CDN hosts (discord-cdn.test.ts does).
 */
import { describe, expect, it } from 'vitest';
import { preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectTranscriptInert, expectVerified, openMessenger,
  expectPreserved, WHOLE_CONVERSATION,
} from './messenger-suite';

const DEMO_PATH = '/channels/1379127420518531120/1457780686848131119';
const CHANGED_PATH = '/channels/1091827364519283746/1091827364519283750';

const session = openMessenger({
  hosts: ['discord.com'],
  routes: [
    ['discord.com', DEMO_PATH, 'discord/demo.html'],
    ['discord.com', CHANGED_PATH, 'discord/changed-layout.html'],
  ],
  demoUrl: `https://discord.com${DEMO_PATH}`,
  rowSelector: 'ol[data-list-id="chat-messages"] li[id^="chat-messages-"]',
  // The page script gives the picture its blob: URL.
  blobPicture: '[id^="message-accessories-"] img',
});
let done: PreservedAndExported;

describe('Discord → signed bundle', () => {
  it('the popup names the messenger and the channel it sees', async () => {
    await expectPopupNames(session.browser, session.chat, 'Discord', 'records-requests');
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    // Scroll-back stopped at the channel's start banner (history.atBeginning).
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', WHOLE_CONVERSATION);
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
  });

  it('thread.json keys the thread on the URL, dates messages by their snowflakes, keeps the picture\'s bytes', async () => {
    const thread = await bundledThread(done.bundlePath);
    const text = JSON.stringify(thread.record);
    expect(text).toContain('"1379127420518531120/1457780686848131119"');
    // 1483087712092291114 >> 22 + Discord's epoch is 2026-03-16T13:01:05Z.
    expect(text).toMatch(/"messageId":"1483087712092291114"/);
    expect(text).toMatch(/"sentAt":"2026-03-16T\d\d:01:05[+-]\d\d:\d\d"/);
    // Dana's reply links Marco's message by its id.
    expect(text.match(/"messageId":"1483087712092291114"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    await expectPageAndPicture(thread, `https://discord.com${DEMO_PATH}`);
  });

  it('the transcript keeps markup typed as text inert', async () => {
    await expectTranscriptInert(done.bundlePath);
  });
});

describe('Discord in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(session.browser, `https://discord.com${CHANGED_PATH}`, 'li[id^="chat-messages-"], [data-list-id="chat-messages"] [id^="chat-messages-"]');
  });
});
