/** Shared steps of the end-to-end tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Page } from 'playwright-core';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { longThreadPage } from '../fixtures/long-thread/whatsapp-long-thread';
import type { Worker } from 'playwright-core';

const run = promisify(execFile);

export const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

/** The extension's downloads, oldest first (chrome.downloads gives no order otherwise), once none is in progress. */
export async function completedDownloads(worker: Worker, count: number, timeoutMs = 20_000): Promise<{ filename: string; state: string; error?: string }[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = await worker.evaluate(async () => (await chrome.downloads.search({ orderBy: ['startTime'] })).map((d) => ({ filename: d.filename, state: d.state, error: d.error })));
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
  const exported = await exportInPopup(popup, 30_000);
  const downloads = await completedDownloads(browser.worker, downloadsBefore + 1);
  const last = downloads[downloads.length - 1]!;
  if (last.state !== 'complete') throw new Error(`download ${last.state}: ${last.error ?? ''}`);
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'tk-bundle-')), 'bundle.zip');
  copyFileSync(last.filename, bundlePath);
  const keyThumbprint = (await popup.getByTestId('export-result').locator('code').nth(1).textContent()) ?? '';
  return { preserved, exported, bundlePath, keyThumbprint, popup };
}

/** Clicks Export bundle and waits for the popup's result line; the popup's error, if it shows one, is thrown. */
export async function exportInPopup(popup: Page, timeout: number): Promise<string> {
  await popup.getByRole('button', { name: 'Export bundle' }).click();
  const done = popup.getByTestId('export-result').or(popup.getByTestId('export-error'));
  await done.waitFor({ timeout });
  const exported = (await done.textContent()) ?? '';
  if (!(await popup.getByTestId('export-result').isVisible())) throw new Error(`Export bundle failed: ${exported}`);
  return exported;
}

/** Everything the extension keeps, read straight from its IndexedDB inside the service worker. */
export interface DbDump {
  messages: { threadId: string; messageId: string; type: string; versionCount: number }[];
  versions: { messageId: string; version: number; kind: string; text: string; deleted: boolean }[];
  captures: { id: string; tabId: number; frameId: number; mode: string; status: string; reachedBeginning: boolean; incompleteReason: string | null; counts: Record<string, number> }[];
  attachments: number;
}

export async function dumpDb(worker: Worker): Promise<DbDump> {
  type V = { messageId: string; version: number; kind: string; content: { text: string; deleted: boolean } };
  type C = { id: string; tabId: number; frameId?: number; mode: string; status: string; reachedBeginning: boolean; incompleteReason: string | null; counts: Record<string, number>; startedAt: string };
  return {
    messages: (await storeRows<{ threadId: string; messageId: string; type: string; versionCount: number }>(worker, 'messages')).map((m) => ({ threadId: m.threadId, messageId: m.messageId, type: m.type, versionCount: m.versionCount })),
    versions: (await storeRows<V>(worker, 'versions')).map((v) => ({ messageId: v.messageId, version: v.version, kind: v.kind, text: v.content.text, deleted: v.content.deleted })),
    captures: (await storeRows<C>(worker, 'captures'))
      .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1))
      .map((c) => ({ id: c.id, tabId: c.tabId, frameId: c.frameId ?? 0, mode: c.mode, status: c.status, reachedBeginning: c.reachedBeginning, incompleteReason: c.incompleteReason, counts: c.counts })),
    attachments: await storeCount(worker, 'attachments'),
  };
}

/**
 * Runs `body` in the service worker with the extension's database open, and closes it after.
 * `body` crosses as source text (it may use only its arguments and the worker's globals), and
 * `arg` as JSON. One place for the opening and closing every test that looks into IndexedDB needs.
 */
export async function inWorkerDb<T, A = null>(worker: Worker, body: (db: IDBDatabase, arg: A) => Promise<T> | T, arg: A = null as A): Promise<T> {
  return (await worker.evaluate(`(async () => {
    const open = indexedDB.open('threadkeeper');
    const db = await new Promise((res, rej) => {
      open.onsuccess = () => res(open.result);
      open.onerror = () => rej(open.error);
    });
    try {
      return await (${body.toString()})(db, ${JSON.stringify(arg)});
    } finally {
      db.close();
    }
  })()`)) as T;
}

/** Every row, or the number of rows, of one object store of the extension's database, read in the worker. */
function readStore(worker: Worker, store: string, what: 'rows' | 'count'): Promise<unknown> {
  return inWorkerDb(
    worker,
    (db, [store, what]) =>
      new Promise<unknown>((res, rej) => {
        const os = db.transaction(store).objectStore(store);
        const r: IDBRequest = what === 'count' ? os.count() : os.getAll();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      }),
    [store, what] as const,
  );
}

/** Every row of one object store (not for attachments: their bytes would cross to the test). */
export async function storeRows<T>(worker: Worker, store: string): Promise<T[]> {
  return (await readStore(worker, store, 'rows')) as T[];
}

/** How many rows one object store holds, counted in the worker. */
export async function storeCount(worker: Worker, store: string): Promise<number> {
  return (await readStore(worker, store, 'count')) as number;
}

/** The bytes the extension's database keeps under one attachment's SHA-256 (read in the worker), or null. */
export async function storedAttachmentBytes(worker: Worker, sha256: string): Promise<number[] | null> {
  return inWorkerDb(
    worker,
    (db, key) =>
      new Promise<number[] | null>((res, rej) => {
        const r = db.transaction('attachments').objectStore('attachments').get(key);
        r.onsuccess = () => res(r.result ? Array.from(r.result.bytes as Uint8Array) : null);
        r.onerror = () => rej(r.error);
      }),
    sha256,
  );
}

/** Write to the extension's chrome.storage.local (settings, capture limits) from the worker. */
export async function setExtensionStorage(worker: Worker, values: Record<string, unknown>): Promise<void> {
  await worker.evaluate((v) => chrome.storage.local.set(v), values);
}

/** Click Preserve thread in a popup and wait for the capture to end; returns the result text. */
export async function preserveInPopup(popup: Page, timeout = 240_000): Promise<{ result: string; completeness: string }> {
  await popup.getByRole('button', { name: 'Preserve thread' }).click();
  const done = popup.getByTestId('preserve-result').or(popup.getByTestId('preserve-error'));
  await done.waitFor({ timeout });
  const result = (await done.textContent()) ?? '';
  const completeness = (await popup.getByTestId('completeness').textContent().catch(() => '')) ?? '';
  return { result, completeness };
}

/**
 * The built extension in Chromium, with the long WhatsApp fixture served as
 * https://web.whatsapp.com/ (its options in the query string): started before the calling file's
 * tests, closed after them. `browser` throws if read before that.
 */
export function longThreadBrowser(): { readonly browser: ExtensionBrowser } {
  let server: FixtureServer | undefined;
  let browser: ExtensionBrowser | undefined;
  beforeAll(async () => {
    server = await startFixtureServer(['web.whatsapp.com']);
    server.route('web.whatsapp.com', '/', { body: longThreadPage() });
    browser = await launchWithExtension(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('the browser is not open: beforeAll did not finish');
      return browser;
    },
  };
}
