/**
 * A picture whose page URL had expired when auto-capture first read it, in real Chromium with the
 * built extension: the message is kept at once with the reason, and when WhatsApp makes the
 * picture again under a new blob: URL (the row looks the same: a new URL is no change of the
 * message), the bytes are read on the next attempt and kept as an "updated" version. The capture
 * then no longer counts the picture as missing, and a later edit read while the URL has expired
 * again keeps the bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { longThreadBrowser, setExtensionStorage, storedAttachmentBytes, storeRows } from './helpers';

interface Fixture {
  append(text: string, sender?: string, picture?: boolean): { index: number; messageId: string };
  edit(i: number, text: string): void;
  expirePicture(i: number): void;
  renewPicture(i: number): void;
}

interface Version {
  messageId: string;
  version: number;
  kind: string;
  content: { attachments: { sha256: string | null; missingReason: string | null }[] };
}

const session = longThreadBrowser();
beforeAll(async () => setExtensionStorage(session.browser.worker, { settings: { autoCapture: ['whatsapp'] } }));

const versionsOf = async (messageId: string): Promise<Version[]> =>
  (await storeRows<Version>(session.browser.worker, 'versions')).filter((v) => v.messageId === messageId).sort((x, y) => x.version - y.version);

describe('an attachment read again after its page URL expired', () => {
  it('keeps the message at once, then the picture once the page makes it again', async () => {
    const chat = await session.browser.context.newPage();
    await chat.goto('https://web.whatsapp.com/?n=30&cached=30&media=0');
    await chat.waitForSelector('#main [role=row]');
    await expect.poll(async () => (await storeRows<{ mode: string; status: string }>(session.browser.worker, 'captures')).some((c) => c.mode === 'auto' && c.status === 'running'), { timeout: 10_000 }).toBe(true);

    // Appended and expired in one task: auto-capture's first read of it finds a dead URL.
    const added = await chat.evaluate(() => {
      const f = (window as unknown as { __fixture: Fixture }).__fixture;
      const a = f.append('Site photo of the loading dock', 'Amira Haddad', true);
      f.expirePicture(a.index);
      return a;
    });
    await expect.poll(async () => (await versionsOf(added.messageId)).length, { timeout: 10_000 }).toBe(1);
    const [first] = await versionsOf(added.messageId);
    expect(first!.content.attachments).toEqual([expect.objectContaining({ sha256: null, missingReason: 'expired: the page no longer holds it' })]);

    // The page shows the picture again under a new URL; the row is otherwise the same.
    const bytes = await chat.evaluate(async (i) => {
      const f = (window as unknown as { __fixture: Fixture }).__fixture;
      f.renewPicture(i);
      const img = [...document.querySelectorAll<HTMLImageElement>('#main [role=row] img[src^="blob:"]')].at(-1)!;
      return Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()));
    }, added.index);
    const sha256 = createHash('sha256').update(Uint8Array.from(bytes)).digest('hex');

    await expect.poll(async () => (await versionsOf(added.messageId)).length, { timeout: 20_000 }).toBe(2);
    const [, second] = await versionsOf(added.messageId);
    expect(second!.kind).toBe('updated');
    expect(second!.content.attachments).toEqual([expect.objectContaining({ sha256, missingReason: null })]);
    // The bytes are stored under that hash, as the page gave them.
    const stored = await storedAttachmentBytes(session.browser.worker, sha256);
    expect(stored).toEqual(bytes);
    const capture = (await storeRows<{ mode: string; status: string; counts: { attachments: number; attachmentsMissing: number } }>(session.browser.worker, 'captures')).find((c) => c.mode === 'auto' && c.status === 'running')!;
    expect(capture.counts).toMatchObject({ attachments: 1, attachmentsMissing: 0 });

    // The URL expires again and the message is edited: the edit is a version that keeps the bytes.
    await chat.evaluate((i) => {
      const f = (window as unknown as { __fixture: Fixture }).__fixture;
      f.expirePicture(i);
      f.edit(i, 'Site photo of the loading dock, north side');
    }, added.index);
    await expect.poll(async () => (await versionsOf(added.messageId)).length, { timeout: 10_000 }).toBe(3);
    const [, , third] = await versionsOf(added.messageId);
    expect(third!.kind).toBe('edited');
    expect(third!.content.attachments).toEqual([expect.objectContaining({ sha256, missingReason: null })]);
    await chat.close();
  });
});
