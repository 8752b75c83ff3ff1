/**
 * A bundle download that Chrome interrupts (here cancelled as soon as it is created, as a user
 * would, or as a full disk or an unwritable Downloads folder would stop it) never reached the
 * user's disk. The user is told, the bundle counts as carrying nothing, and the next incremental
 * export carries every message again and verifies (src/background/download-outcome.ts).
 */
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

type Hook = (item: chrome.downloads.DownloadItem) => void;

/** Runs `action` on every download the moment it is created, until `unhook`. */
async function hook(action: 'cancel' | 'pause'): Promise<void> {
  await session.browser.worker.evaluate((what) => {
    const g = globalThis as { __hook?: Hook };
    g.__hook = (item) => void (what === 'cancel' ? chrome.downloads.cancel(item.id) : chrome.downloads.pause(item.id));
    chrome.downloads.onCreated.addListener(g.__hook);
  }, action);
}

async function unhook(): Promise<void> {
  await session.browser.worker.evaluate(() => chrome.downloads.onCreated.removeListener((globalThis as { __hook?: Hook }).__hook!));
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
    await hook('pause');
    try {
      await exportFromDashboard();
      // Recorded: the page says it was saved, while Chrome holds the download paused.
      await expect.poll(() => session.page.getByTestId('dashboard-message').innerText(), { timeout: 60_000 }).toMatch(/\.zip: saved to Downloads\.$/);
    } finally {
      await unhook();
    }
    await session.browser.worker.evaluate(async () => {
      const [paused] = await chrome.downloads.search({ state: 'in_progress' });
      await chrome.downloads.cancel(paused!.id);
    });
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
