/**
 * Discord pictures from its CDN, in real Chromium with the built extension: the demo channel with
 * its picture served as https://cdn.discordapp.com/attachments/… (a signed URL, as Discord gives
 * it; the fixture server plays the CDN host and answers, as the real CDN does, with the uploading
 * site's origin in Access-Control-Allow-Origin). The content script reads the bytes itself,
 * without cookies. When the CDN answers an error at first, the picture is read again and kept
 * as an "updated" version (CaptureSession's attempts): in auto mode, and at the end of Preserve
 * thread, which waits for a first attempt due within seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveInPopup, setExtensionStorage, storedAttachmentBytes, storeRows } from './helpers';

const DEMO_CHANNEL = '1457780686848131119';
/** The same page under other channel ids (every id of it rewritten): other threads, for the cases where the CDN fails first. */
const AUTO_CHANNEL = '1457780686848131555';
const RETRY_CHANNEL = '1457780686848131777';
const CHANNEL = `/channels/1379127420518531120/${DEMO_CHANNEL}`;
const CHANNEL_AUTO = `/channels/1379127420518531120/${AUTO_CHANNEL}`;
const CHANNEL_RETRY = `/channels/1379127420518531120/${RETRY_CHANNEL}`;
const PICTURE_MESSAGE = '1483091117867139117';
const cdnPath = (channel: string, attachmentId: string) => `/attachments/${channel}/${attachmentId}/site-photo.png`;
const SIGNED = '?ex=69b8e4d5&is=69b79355&hm=5f0e6c1d2b3a4958677a8b9c0d1e2f30415263748596a7b8c9d0e1f2a3b4c5d6&';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const PNG_SHA256 = createHash('sha256').update(PNG).digest('hex');

/** The demo channel as channel `channel`, with its picture at `url` instead of the blob: URL its script makes. */
function channelWithPicture(channel: string, url: string): string {
  const page = fixture('discord/demo.html');
  const made = "var url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));";
  if (!page.includes(made)) throw new Error('test/fixtures/discord/demo.html no longer makes its picture the way this test replaces');
  return page.replaceAll(DEMO_CHANNEL, channel).replace(made, `var url = ${JSON.stringify(url)};`);
}

/** A CDN path that answers cross-origin reads (the content script's) with `failFirst` errors first; the page's own image loads always get the bytes. */
function cdn(failFirst: number) {
  const reads: IncomingHttpHeaders[] = [];
  const answer = (_url: URL, headers: IncomingHttpHeaders) => {
    const cors = headers['sec-fetch-mode'] === 'cors';
    if (cors) reads.push(headers);
    const cdnHeaders = { 'access-control-allow-origin': 'https://discord.com', vary: 'Origin' };
    if (cors && reads.length <= failFirst) return { body: 'upstream unavailable', contentType: 'text/plain', status: 503, headers: cdnHeaders };
    return { body: PNG, contentType: 'image/png', headers: cdnHeaders };
  };
  return { reads, answer };
}

let server: FixtureServer;
let b: ExtensionBrowser;
const preserved = cdn(0);
const auto = cdn(1);
const preservedAgain = cdn(1);

beforeAll(async () => {
  server = await startFixtureServer(['discord.com', 'cdn.discordapp.com']);
  for (const [channel, path, cdnAt, answer] of [
    [DEMO_CHANNEL, CHANNEL, cdnPath(DEMO_CHANNEL, '1483091117867139200'), preserved.answer],
    [AUTO_CHANNEL, CHANNEL_AUTO, cdnPath(AUTO_CHANNEL, '1483091117867139300'), auto.answer],
    [RETRY_CHANNEL, CHANNEL_RETRY, cdnPath(RETRY_CHANNEL, '1483091117867139400'), preservedAgain.answer],
  ] as const) {
    server.route('discord.com', path, { body: channelWithPicture(channel, `https://cdn.discordapp.com${cdnAt}${SIGNED}`) });
    server.route('cdn.discordapp.com', cdnAt, answer);
  }
  b = await launchWithExtension(server);
});
afterAll(async () => {
  await b?.close();
  await server?.close();
});

interface Version {
  threadId: string;
  messageId: string;
  version: number;
  kind: string;
  content: { attachments: { sha256: string | null; missingReason: string | null; originalName: string | null }[] };
}

const pictureVersions = async (channel: string): Promise<Version[]> =>
  (await storeRows<Version>(b.worker, 'versions'))
    .filter((v) => v.messageId === PICTURE_MESSAGE && v.threadId === `discord:1379127420518531120/${channel}`)
    .sort((x, y) => x.version - y.version);

describe('Discord pictures read from the CDN', () => {
  it('Preserve thread reads the signed CDN URL from the page, without cookies, and keeps the bytes', async () => {
    const chat = await b.context.newPage();
    await chat.goto(`https://discord.com${CHANNEL}`);
    await chat.waitForFunction(() => (document.querySelector('[id^="message-accessories-"] img') as HTMLImageElement | null)?.complete === true);
    const popup = await b.openPopup(await b.tabIdOf(chat));
    expect((await preserveInPopup(popup, 60_000)).result).toContain('Kept: 5 messages, 1 attachment, 5 new');

    // One cross-origin read, from the page's origin, cookie-free, with the whole signed query.
    expect(preserved.reads).toHaveLength(1);
    expect(preserved.reads[0]!.origin).toBe('https://discord.com');
    expect(preserved.reads[0]!.cookie).toBeUndefined();
    const [only] = await pictureVersions(DEMO_CHANNEL);
    expect(only!.content.attachments).toEqual([expect.objectContaining({ sha256: PNG_SHA256, originalName: 'site-photo.png', missingReason: null })]);
    expect(await storedAttachmentBytes(b.worker, PNG_SHA256)).toEqual(Array.from(PNG));
    await popup.close();
    await chat.close();
  });

  it('Preserve thread waits for the first attempt after a CDN error, so the picture is kept and the popup says so', async () => {
    const chat = await b.context.newPage();
    await chat.goto(`https://discord.com${CHANNEL_RETRY}`);
    await chat.waitForFunction(() => (document.querySelector('[id^="message-accessories-"] img') as HTMLImageElement | null)?.complete === true);
    const popup = await b.openPopup(await b.tabIdOf(chat));
    const { result } = await preserveInPopup(popup, 60_000);
    expect(result).toContain('Kept: 5 messages, 1 attachment, 5 new, 1 new version');
    expect(await popup.textContent('body')).not.toContain('could not be read');
    expect(preservedAgain.reads).toHaveLength(2);
    const versions = await pictureVersions(RETRY_CHANNEL);
    expect(versions.map((v) => [v.kind, v.content.attachments[0]!.sha256, v.content.attachments[0]!.missingReason])).toEqual([
      ['original', null, 'the page could not provide it (HTTP 503)'],
      ['updated', PNG_SHA256, null],
    ]);
    await popup.close();
    await chat.close();
  });

  it('auto mode keeps the message when the CDN fails, then the picture on the next attempt', async () => {
    await setExtensionStorage(b.worker, { settings: { autoCapture: ['discord'] } });
    const chat = await b.context.newPage();
    await chat.goto(`https://discord.com${CHANNEL_AUTO}`);
    await expect.poll(async () => (await pictureVersions(AUTO_CHANNEL)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const [first] = await pictureVersions(AUTO_CHANNEL);
    expect(first!.content.attachments).toEqual([expect.objectContaining({ sha256: null, missingReason: 'the page could not provide it (HTTP 503)' })]);

    // Nothing on the page changes; the attempt is due about 2 s after the first read.
    await expect.poll(async () => (await pictureVersions(AUTO_CHANNEL)).length, { timeout: 15_000 }).toBe(2);
    const [, second] = await pictureVersions(AUTO_CHANNEL);
    expect(second!.kind).toBe('updated');
    expect(second!.content.attachments).toEqual([expect.objectContaining({ sha256: PNG_SHA256, missingReason: null })]);
    expect(auto.reads).toHaveLength(2);
    const capture = (await storeRows<{ mode: string; status: string; counts: Record<string, number> }>(b.worker, 'captures')).find((c) => c.mode === 'auto' && c.status === 'running')!;
    expect(capture.counts).toMatchObject({ messages: 5, attachments: 1, attachmentsMissing: 0 });
    await setExtensionStorage(b.worker, { settings: { autoCapture: [] } });
    await chat.close();
  });
});
