/** Shared steps of the end-to-end tests. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
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
