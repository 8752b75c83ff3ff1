/**
 * An attachment larger than one batch may carry (24 MiB) is kept whole: sent in parts over the
 * batch port, put together and checked in the background, stored like any attachment, bundled
 * and verified by the real CLI. A service worker stopped while the parts travel loses none of it.
 * Real Chromium, the built extension, the long WhatsApp fixture with its newest picture padded
 * (`big=<MiB>`).
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import type { Page, Worker } from 'playwright-core';
import { completedDownloads, dumpDb, exportInPopup, inWorkerDb, longThreadBrowser, preserveInPopup, storeCount, verifyCli } from './helpers';

const session = longThreadBrowser();

interface StoredAttachment {
  sha256: string;
  size: number;
  mediaType: string;
  sha512: string | null;
  crc32: number | null;
  /** SHA-256 of the stored bytes, computed in the worker. */
  bytesSha256: string;
}

/** Every stored attachment without its bytes (read and hashed inside the worker). */
function storedAttachments(worker: Worker): Promise<StoredAttachment[]> {
  return inWorkerDb(worker, async (db) => {
    const rows: { sha256: string; size: number; mediaType: string; sha512?: string; crc32?: number; bytes: Uint8Array<ArrayBuffer> }[] = await new Promise((res, rej) => {
      const r = db.transaction('attachments').objectStore('attachments').getAll();
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    return Promise.all(rows.map(async (a) => ({
      sha256: a.sha256, size: a.size, mediaType: a.mediaType, sha512: a.sha512 ?? null, crc32: a.crc32 ?? null,
      bytesSha256: hex(await crypto.subtle.digest('SHA-256', a.bytes)),
    })));
  });
}

/** The SHA-256 and size of the picture the page shows for its newest image, read in the page. */
async function newestPicture(chat: Page): Promise<{ sha256: string; size: number }> {
  return chat.evaluate(async () => {
    const imgs = [...document.querySelectorAll<HTMLImageElement>('#main img[src^="blob:"]')];
    const bytes = await (await fetch(imgs[imgs.length - 1]!.src)).arrayBuffer();
    const hex = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((x) => x.toString(16).padStart(2, '0')).join('');
    return { sha256: hex, size: bytes.byteLength };
  });
}

async function openChat(query: string): Promise<Page> {
  const chat = await session.browser.context.newPage();
  await chat.goto(`https://web.whatsapp.com/?${query}`);
  await chat.waitForSelector('#main [role=row]');
  return chat;
}

describe('an attachment over 24 MiB', () => {
  it('is captured whole, stored with its digests, bundled, and the bundle verifies', async () => {
    const chat = await openChat('n=300&media=100&initial=300&cached=300&big=40');
    const picture = await newestPicture(chat);
    expect(picture.size).toBeGreaterThan(40 * 1048576);
    const popup = await session.browser.openPopup(await session.browser.tabIdOf(chat));
    const { result, completeness } = await preserveInPopup(popup, 120_000);
    expect(result).toContain('Kept: 300 messages, 3 attachments, 300 new');
    expect(completeness).toContain('back to its beginning');

    const stored = await storedAttachments(session.browser.worker);
    const big = stored.find((a) => a.sha256 === picture.sha256);
    expect(big).toMatchObject({ size: picture.size, mediaType: 'image/png', bytesSha256: picture.sha256 });
    expect(big!.sha512).toMatch(/^[0-9a-f]{128}$/);
    expect(typeof big!.crc32).toBe('number');
    expect(await storeCount(session.browser.worker, 'blobParts')).toBe(0);
    expect((await dumpDb(session.browser.worker)).captures.at(-1)!.counts).toMatchObject({ attachments: 3, attachmentsMissing: 0 });

    await exportInPopup(popup, 120_000);
    const file = (await completedDownloads(session.browser.worker, 1, 60_000)).at(-1)!.filename;
    const verdict = await verifyCli(file);
    expect(verdict.code).toBe(0);
    expect(verdict.stdout).toContain('3 attachments');
    const zip = await JSZip.loadAsync(readFileSync(file));
    const path = Object.keys(zip.files).find((p) => p.includes(`/attachments/${picture.sha256.slice(0, 16)}`))!;
    const inBundle = await zip.file(path)!.async('nodebuffer');
    expect(createHash('sha256').update(inBundle).digest('hex')).toBe(picture.sha256);
    await chat.close();
    await popup.close();
  });

  it('a service worker stopped while the parts travel: the attachment is still kept whole, once', async () => {
    const chat = await openChat('n=200&media=199&initial=200&cached=200&big=96');
    const picture = await newestPicture(chat);
    const popup = await session.browser.openPopup(await session.browser.tabIdOf(chat));
    await session.browser.worker.evaluate(() => ((globalThis as { __beforeStop?: boolean }).__beforeStop = true));
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    // Parts are staged and not yet put together (that drops them): stop the worker now.
    await expect.poll(() => storeCount(session.browser.worker, 'blobParts'), { timeout: 60_000, interval: 20 }).toBeGreaterThan(0);
    const cdp = await session.browser.context.newCDPSession(popup);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');

    const done = popup.getByTestId('preserve-result').or(popup.getByTestId('preserve-error'));
    await done.waitFor({ timeout: 120_000 });
    expect(await done.textContent()).toContain('Kept: 200 messages, 1 attachment');
    expect(await session.browser.worker.evaluate(() => (globalThis as { __beforeStop?: boolean }).__beforeStop)).toBeUndefined();
    const kept = (await storedAttachments(session.browser.worker)).filter((a) => a.sha256 === picture.sha256);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ size: picture.size, bytesSha256: picture.sha256 });
    expect(await storeCount(session.browser.worker, 'blobParts')).toBe(0);
    await chat.close();
  });
});
