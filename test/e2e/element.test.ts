/**
 * Element end to end in real Chromium: a room served as
 * https://app.element.io/#/room/!pRkRec2026aBcDeF:example.org (the URL's hash names the room),
 * the built extension loaded, Preserve thread and Export bundle clicked in the popup, the bundle
 * checked by the real verifier CLI; and a room whose layout the adapter does not know, which
 * must fail loudly.
 */
import { describe, expect, it } from 'vitest';
import { preserveAndExport, type PreservedAndExported } from './helpers';
import {
  bundledThread, expectChangedLayoutRefused, expectPageAndPicture, expectPopupNames, expectTranscriptInert, expectVerified, openMessenger,
  expectPreserved, WHOLE_CONVERSATION,
} from './messenger-suite';

const ROOM = '!pRkRec2026aBcDeF:example.org';
const DEMO_URL = `https://app.element.io/#/room/${ROOM}`;
const CHANGED_URL = 'https://app.element.io/changed#/room/!kXnQrPzLmWvTyBsA:example.org';

const session = openMessenger({
  hosts: ['app.element.io'],
  routes: [
    ['app.element.io', '/', 'element/demo.html'],
    ['app.element.io', '/changed', 'element/changed-layout.html'],
  ],
  demoUrl: DEMO_URL,
  rowSelector: '.mx_RoomView_MessageList li.mx_EventTile[data-event-id]',
  // The page script gives the picture its blob: URL, as Element does for decrypted media.
  blobPicture: '.mx_RoomView_MessageList .mx_MImageBody img',
});
let done: PreservedAndExported;

describe('Element → signed bundle', () => {
  it('the popup names the messenger and the room it sees', async () => {
    await expectPopupNames(session.browser, session.chat, 'Element', 'Eastside Parks Records');
  });

  it('Preserve thread keeps the five messages and the picture; Export bundle saves a signed ZIP', async () => {
    // Scroll-back stopped at the room's intro (history.atBeginning).
    done = await preserveAndExport(session.browser, session.chat);
    expectPreserved(done, 'Kept: 5 messages, 1 attachment, 5 new', WHOLE_CONVERSATION);
  });

  it('the verifier CLI accepts the bundle and names its key', async () => {
    await expectVerified(done, '1 thread, 5 messages, 1 attachment');
  });

  it('thread.json keys the thread on the room id, links the reply by event id, keeps the picture\'s bytes', async () => {
    const thread = await bundledThread(done.bundlePath);
    const text = JSON.stringify(thread.record);
    expect(text).toContain(`"${ROOM}"`);
    // Marco's request, and Dana's reply quoting it by event id.
    expect(text.match(/"messageId":"\$P4jACf4bSxt3b8iP9qjloMEImkVrMNF059tcU5m588Y"/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const image = await expectPageAndPicture(thread, DEMO_URL);
    expect(image.originalName).toBe('playground-notice.png');
  });

  it('the transcript keeps markup typed as text inert', async () => {
    await expectTranscriptInert(done.bundlePath);
  });
});

describe('Element in a layout the adapter does not know', () => {
  it('names the failed selector, and offers nothing to preserve', async () => {
    await expectChangedLayoutRefused(
      session.browser,
      CHANGED_URL,
      '.mx_RoomView_MessageList li.mx_EventTile[data-event-id], .mx_RoomView_MessageList li.mx_EventTile[data-scroll-tokens], .mx_RoomView_MessageList li.mx_GenericEventListSummary, .mx_RoomView_MessageList li[data-event-id], .mx_RoomView_MessageList li[data-scroll-tokens]',
    );
  });
});
