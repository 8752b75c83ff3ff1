/**
 * A bundle download that Chrome interrupts (here cancelled as soon as it is created, as a user
 * would, or as a full disk or an unwritable Downloads folder would stop it) never reached the
 * user's disk. The user is told, the bundle counts as carrying nothing, and the next incremental
 * export carries every message again and verifies (src/background/download-outcome.ts).
 */
import type { CDPSession } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { LONG_THREAD_TITLE } from '../fixtures/long-thread/whatsapp-long-thread';
import { completedDownloads, storeRows, verifyCli } from './helpers';
import { bundleFiles, withSeededThread } from './seeded';

const MiB = 1024 * 1024;
const session = withSeededThread({ messages: 400, files: 4, fileBytes: 4 * MiB });

interface ExportState {
  downloadFailed?: { reason: string };
  carried: unknown[];
}

type Hook = (item: chrome.downloads.DownloadItem, suggest?: () => void) => boolean | void;

/**
 * Interrupts every download the moment it is created, until `unhook`: 'cancel' cancels it;
 * 'hold' keeps it in progress by never naming its file (an onDeterminingFilename listener that
 * says it will answer later and never does), so that it cannot complete before the test cancels
 * it. (Pausing it from onCreated raced the download, which could complete before the pause.)
 * Chrome asks extensions to name a file only under its own download handling, so for 'hold' the
 * browser is given that back from Playwright's (which names every file itself) until `unhook`.
 */
async function hook(action: 'cancel' | 'hold'): Promise<void> {
  if (action === 'hold') await downloadBehavior({ behavior: 'default' });
  await session.browser.worker.evaluate((what) => {
    const g = globalThis as { __hook?: Hook };
    if (what === 'cancel') {
      g.__hook = (item) => void chrome.downloads.cancel(item.id);
      chrome.downloads.onCreated.addListener(g.__hook);
    } else {
      g.__hook = () => true;
      chrome.downloads.onDeterminingFilename.addListener(g.__hook);
    }
  }, action);
}

async function unhook(): Promise<void> {
  await session.browser.worker.evaluate(() => {
    const g = globalThis as { __hook?: Hook };
    chrome.downloads.onCreated.removeListener(g.__hook!);
    chrome.downloads.onDeterminingFilename.removeListener(g.__hook!);
  });
  // Playwright's own handling again: every file into the run's temporary downloads folder.
  await downloadBehavior({ behavior: 'allowAndName', downloadPath: session.browser.downloadsPath, eventsEnabled: true });
}

/**
 * Sets how the browser handles downloads. The DevTools session stays open until the browser
 * closes: Chrome puts its default handling back when the session that changed it detaches.
 */
let cdp: CDPSession | undefined;
async function downloadBehavior(params: { behavior: 'default' } | { behavior: 'allowAndName'; downloadPath: string; eventsEnabled: boolean }): Promise<void> {
  cdp ??= await session.browser.context.newCDPSession(session.page);
  await cdp.send('Browser.setDownloadBehavior', params);
}

async function exportFromDashboard(): Promise<void> {
  await session.page.reload();
  await session.page.getByRole('button', { name: `Export ${LONG_THREAD_TITLE}` }).click();
}

/** Nothing counts as carried, and no bundle file is left in the extension. */
async function nothingCarried(): Promise<ExportState[]> {
  const exports = await storeRows<ExportState>(session.browser.worker, 'exports');
  expect(exports.every((e) => e.downloadFailed?.reason === 'the download was cancelled')).toBe(true);
  await expect.poll(() => bundleFiles(session.browser.worker), { timeout: 15_000 }).toEqual([]);
  return exports;
}

describe('a bundle download that is interrupted', () => {
  it('at once: the export fails in plain words, and nothing counts as carried', async () => {
    await hook('cancel');
    try {
      await exportFromDashboard();
      await expect
        .poll(() => session.page.getByTestId('dashboard-message').innerText(), { timeout: 60_000 })
        .toBe("export failed: the download failed: the download was cancelled; nothing was saved to Downloads, and the bundle's messages count as not exported");
    } finally {
      await unhook();
    }
    const [download] = await completedDownloads(session.browser.worker, 1, 60_000);
    expect(download).toMatchObject({ state: 'interrupted', error: 'USER_CANCELED' });
    // Whether Chrome's cancel landed before the export was recorded (no row) or just after (a row
    // marked as not saved), the user is told the same, and nothing counts as carried.
    expect((await nothingCarried()).length).toBeLessThanOrEqual(1);
    const audit = await storeRows<{ action: string; details: { error?: string } }>(session.browser.worker, 'audit');
    expect(audit.filter((e) => e.action === 'export-failed').map((e) => e.details.error)).toEqual([expect.stringContaining('the download was cancelled')]);
  });

  it('after the export was recorded: its row says so, it counts as carrying nothing, and the audit log says why', async () => {
    await hook('hold');
    try {
      await exportFromDashboard();
      // Recorded: the page says it was saved, while Chrome holds the download unfinished.
      await expect.poll(() => session.page.getByTestId('dashboard-message').innerText(), { timeout: 60_000 }).toMatch(/\.zip: saved to Downloads\.$/);
      // Cancelled while still held: taking the listener away first would let Chrome go on and finish it.
      await session.browser.worker.evaluate(async () => {
        const [held] = await chrome.downloads.search({ state: 'in_progress' });
        await chrome.downloads.cancel(held!.id);
      });
    } finally {
      await unhook();
    }
    await expect.poll(() => session.page.getByTestId('exports-table').innerText(), { timeout: 15_000 }).toContain('not saved: the download was cancelled; its messages count as not exported (export again)');
    // This export's row, and any the first test left, each marked once, with one entry each.
    const exports = await nothingCarried();
    expect(exports.length).toBeGreaterThanOrEqual(1);
    const audit = await storeRows<{ action: string; details: { reason?: string } }>(session.browser.worker, 'audit');
    expect(audit.filter((e) => e.action === 'download-failed').map((e) => e.details.reason)).toEqual(exports.map(() => 'the download was cancelled'));
  });

  it('the next incremental export carries every message, and the verifier accepts it', async () => {
    const r = await session.page.evaluate(
      (threadId) => chrome.runtime.sendMessage({ type: 'popup/export', threadIds: [threadId], scope: 'incremental', route: 'download' }),
      session.seeded.threadId,
    );
    expect(r).toMatchObject({ ok: true, messages: session.seeded.messages, attachments: 4 });
    const downloads = await completedDownloads(session.browser.worker, 3, 120_000);
    const last = downloads[downloads.length - 1]!;
    expect(last.state).toBe('complete');
    const { code, stdout, stderr } = await verifyCli(last.filename);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(new RegExp(`^valid: signed by key \\S+, 1 thread, ${session.seeded.messages} messages, 4 attachments`));
  });
});
