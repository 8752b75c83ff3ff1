/**
 * A popup closed while its thread's export runs, and opened again: it says an export is under way
 * (Export bundle stays disabled, so the same bundle is not made twice), and shows the export's
 * result when it ends — read from the running service worker in real Chromium.
 */
import { describe, expect, it } from 'vitest';
import { longThreadPage } from '../fixtures/long-thread/whatsapp-long-thread';
import { completedDownloads, verifyCli } from './helpers';
import { withSeededThread } from './seeded';

const MiB = 1024 * 1024;
// Large enough that writing the bundle takes a few seconds; the chat page shows the seeded thread.
const session = withSeededThread({ messages: 2000, files: 80, fileBytes: 4 * MiB }, { whatsappPage: longThreadPage() });

describe('a popup reopened during an export of its thread', () => {
  it('says the export is under way, keeps Export bundle disabled, and shows its result', async () => {
    const { browser } = session;
    const chat = await browser.context.newPage();
    await chat.goto('https://web.whatsapp.com/?n=40');
    await chat.waitForSelector('#main [role=row]');
    const tabId = await browser.tabIdOf(chat);

    // Started elsewhere (the dashboard page), not awaited: as from a popup that was closed.
    void session.page.evaluate((threadId) => chrome.runtime.sendMessage({ type: 'popup/export', threadIds: [threadId], scope: 'full', route: 'download' }), session.seeded.threadId);
    const popup = await browser.openPopup(tabId);
    await expect
      .poll(() => popup.getByTestId('exporting').innerText({ timeout: 1_000 }).catch(() => ''), { timeout: 15_000 })
      .toMatch(/^An export of this conversation is under way \(started .+\): signing and packaging the bundle… You can close this popup; the export goes on\.$/);
    expect(await popup.getByRole('button', { name: 'Export bundle' }).isDisabled()).toBe(true);

    const result = popup.getByTestId('export-result');
    await result.waitFor({ timeout: 120_000 });
    expect(await result.innerText()).toMatch(/^Saved threadkeeper-whatsapp-\S+\.zip to Downloads: 2000 messages, 80 attachments, signed by key \S+\.$/);
    expect(await popup.getByTestId('exporting').count()).toBe(0);
    expect(await popup.getByRole('button', { name: 'Export bundle' }).isDisabled()).toBe(false);

    const [download] = await completedDownloads(browser.worker, 1, 120_000);
    const { code, stdout, stderr } = await verifyCli(download!.filename);
    expect(code, stdout + stderr).toBe(0);
  });
});
