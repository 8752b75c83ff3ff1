/**
 * An attachment whose stored copy was damaged after capture does not block the thread's export:
 * the bundle is written again without it, names it with the reason, carries the audit entry, and
 * verifies; the popup says so. Real Chromium, the built extension, the long WhatsApp fixture.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import { completedDownloads, exportInPopup, inWorkerDb, longThreadBrowser, preserveInPopup, verifyCli } from './helpers';

const session = longThreadBrowser();

describe('a stored attachment damaged after capture', () => {
  it('is left out of the bundle, named with the reason; the rest is exported and verifies', async () => {
    const chat = await session.browser.context.newPage();
    await chat.goto('https://web.whatsapp.com/?n=100&media=50&initial=100&cached=100');
    await chat.waitForSelector('#main [role=row]');
    const popup = await session.browser.openPopup(await session.browser.tabIdOf(chat));
    expect((await preserveInPopup(popup, 60_000)).result).toContain('Kept: 100 messages, 2 attachments');

    // Flip one bit of one stored picture, as a failing disk would: its recorded digests stay.
    const damaged = await inWorkerDb(session.browser.worker, (db) =>
      new Promise<string>((res, rej) => {
        const tx = db.transaction('attachments', 'readwrite');
        const cursor = tx.objectStore('attachments').openCursor();
        let sha = '';
        cursor.onsuccess = () => {
          const c = cursor.result!;
          const row = c.value as { sha256: string; bytes: Uint8Array };
          const at = row.bytes.length - 20;
          row.bytes[at] = row.bytes[at]! ^ 0x10;
          sha = row.sha256;
          c.update(row);
        };
        tx.oncomplete = () => res(sha);
        tx.onerror = () => rej(tx.error);
      }),
    );

    const shown = await exportInPopup(popup, 60_000);
    expect(shown).toContain('1 attachment,');
    expect(await popup.getByTestId('export-left-out').textContent()).toBe(
      '1 attachment was left out: the stored copy was damaged after capture. The bundle names it with that reason.',
    );

    const file = (await completedDownloads(session.browser.worker, 1, 30_000)).at(-1)!.filename;
    const verdict = await verifyCli(file);
    expect(verdict.code, verdict.stdout).toBe(0);
    expect(verdict.stdout).toMatch(/valid: .*1 thread, 100 messages, 1 attachment$/m);
    const zip = await JSZip.loadAsync(readFileSync(file));
    const names = Object.keys(zip.files);
    expect(names.filter((n) => n.includes('/attachments/'))).toHaveLength(1);
    expect(names.some((n) => n.includes(`/attachments/${damaged.slice(0, 16)}`))).toBe(false);
    const record = JSON.parse(await zip.file(names.find((n) => n.endsWith('/thread.json'))!)!.async('string')) as { attachments: { path: string | null; sha256: string; missingReason: string | null }[] };
    expect(record.attachments.find((a) => a.sha256 === damaged)).toMatchObject({ path: null, missingReason: expect.stringMatching(/^the stored copy was damaged after capture/) });
    const audit = (await zip.file(names.find((n) => n.endsWith('/audit-log.jsonl'))!)!.async('string')).trim().split('\n').map((l) => JSON.parse(l) as { action?: string; details?: { sha256?: string } });
    expect(audit.some((e) => e.action === 'attachment-damaged' && e.details?.sha256 === damaged)).toBe(true);
    await chat.close();
  });
});
