/** Shared steps of the end-to-end tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ExtensionBrowser } from '../../scripts/lib/browser';
import type { Worker } from 'playwright-core';

const run = promisify(execFile);

export const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

/** The extension's downloads, as chrome.downloads reports them, once none is in progress. */
export async function completedDownloads(worker: Worker, count: number, timeoutMs = 20_000): Promise<{ filename: string; state: string; error?: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await worker.evaluate(async () => (await chrome.downloads.search({})).map((d) => ({ filename: d.filename, state: d.state, error: d.error })));
    if (items.length >= count && items.every((d) => d.state !== 'in_progress')) return items;
    if (Date.now() > deadline) throw new Error(`downloads did not finish: ${JSON.stringify(items)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Run the real verifier CLI (the built bin) and return its exit code and output. */
export async function verifyCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['dist-cli/threadkeeper-verify.mjs', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}


export interface PreservedAndExported {
  /** The popup's result line after Preserve thread, e.g. "Kept: 12 messages, 1 attachment, 12 new. …" */
  preserved: string;
  /** The popup's line after Export bundle. */
  exported: string;
  /** The bundle copied out of the browser's downloads. */
  bundlePath: string;
  /** The key thumbprint the popup showed. */
  keyThumbprint: string;
  popup: Page;
}

/**
 * What every messenger's end-to-end test does: open the popup on the messenger tab, click
 * Preserve thread, then Export bundle, and copy the downloaded ZIP out. `downloadsBefore` is
 * how many downloads the browser already finished (0 in a fresh browser).
 */
export async function preserveAndExport(browser: ExtensionBrowser, chat: Page, downloadsBefore = 0): Promise<PreservedAndExported> {
  const popup = await browser.openPopup(await browser.tabIdOf(chat));
  await popup.getByRole('button', { name: 'Preserve thread' }).click();
  const kept = popup.getByTestId('preserve-result').or(popup.getByTestId('preserve-error'));
  await kept.waitFor({ timeout: 30_000 });
  const preserved = (await kept.textContent()) ?? '';
  if (!(await popup.getByTestId('preserve-result').isVisible())) throw new Error(`Preserve thread failed: ${preserved}`);
  await popup.getByRole('button', { name: 'Export bundle' }).click();
  const done = popup.getByTestId('export-result').or(popup.getByTestId('export-error'));
  await done.waitFor({ timeout: 30_000 });
  const exported = (await done.textContent()) ?? '';
  if (!(await popup.getByTestId('export-result').isVisible())) throw new Error(`Export bundle failed: ${exported}`);
  const downloads = await completedDownloads(browser.worker, downloadsBefore + 1);
  const last = downloads[downloads.length - 1]!;
  if (last.state !== 'complete') throw new Error(`download ${last.state}: ${last.error ?? ''}`);
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'tk-bundle-')), 'bundle.zip');
  copyFileSync(last.filename, bundlePath);
  const keyThumbprint = (await popup.getByTestId('export-result').locator('code').nth(1).textContent()) ?? '';
  return { preserved, exported, bundlePath, keyThumbprint, popup };
}
