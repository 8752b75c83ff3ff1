/**
 * Issue #6: a bundle far larger than a data: URL can carry (80 MiB of attachments; Chrome caps
 * URLs at 2 MiB) is exported from the built extension, streamed to a file in the Origin Private
 * File System, downloaded through the offscreen document's blob: URL, and verified by the real
 * CLI. The file on disk and the offscreen document are gone once the download is complete, and
 * a file a stopped worker left behind is deleted when the worker starts again.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { completedDownloads, verifyCli } from './helpers';
import { bundleFiles, withSeededThread } from './seeded';

const MiB = 1024 * 1024;
const session = withSeededThread({ messages: 2000, files: 20, fileBytes: 4 * MiB });

describe('exporting a large bundle', () => {
  it('streams 80 MiB of attachments to Downloads, and the CLI verifies it', async () => {
    const r = await session.page.evaluate(
      (threadId) => chrome.runtime.sendMessage({ type: 'popup/export', threadIds: [threadId], scope: 'full', route: 'download' }),
      session.seeded.threadId,
    );
    expect(r).toMatchObject({ ok: true, messages: 2000, attachments: 20, route: 'download' });
    const [download] = await completedDownloads(session.browser.worker, 1, 120_000);
    expect(download).toMatchObject({ state: 'complete' });
    expect(statSync(download!.filename).size).toBeGreaterThan(80 * MiB);
    // The SHA-256 the extension computed while streaming (recorded, shown, sent with uploads and
    // matched against receipts) is that of the file the user got.
    const file = createHash('sha256').update(readFileSync(download!.filename)).digest('hex');
    expect(r.sha256).toBe(file);
    const { code, stdout, stderr } = await verifyCli(download!.filename);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/^valid: signed by key \S+, 1 thread, 2000 messages, 20 attachments/);
  }, 300_000);

  it('leaves no bundle file on disk and closes the offscreen document once the download is done', async () => {
    const state = async () => ({
      files: await bundleFiles(session.browser.worker),
      offscreen: await session.browser.worker.evaluate(async () => (await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] })).length),
    });
    await expect.poll(state, { timeout: 20_000 }).toEqual({ files: [], offscreen: 0 });
  });

  it('deletes, at the next start, a bundle file that a worker stopped mid-export left behind', async () => {
    // What an export cut short leaves: a half-written bundle file no download or upload names.
    await session.browser.worker.evaluate(async () => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('bundles', { create: true });
      const w = await (await dir.getFileHandle('0-left-behind.zip', { create: true })).createWritable();
      await w.write(new Uint8Array(1024));
      await w.close();
      (globalThis as { __beforeStop?: boolean }).__beforeStop = true;
    });
    expect(await bundleFiles(session.browser.worker)).toEqual(['0-left-behind.zip']);
    const cdp = await session.browser.context.newCDPSession(session.page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    // Any message wakes the worker; its start-up removes the leftover.
    await session.page.evaluate(() => chrome.runtime.sendMessage({ type: 'popup/threads' }));
    await expect.poll(() => bundleFiles(session.browser.worker), { timeout: 20_000 }).toEqual([]);
    expect(await session.browser.worker.evaluate(() => (globalThis as { __beforeStop?: boolean }).__beforeStop)).toBeUndefined();
  });
});
