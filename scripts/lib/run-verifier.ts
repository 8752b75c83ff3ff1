/**
 * Runs the built verifier CLI on a bundle as a records officer would (`node
 * dist-cli/threadkeeper-verify.mjs FILE`), for the benchmark: its wall time, its verdict (which
 * must match `expected`) and its peak memory, reported by a preloaded exit hook
 * (report-max-rss.cjs) so the CLI itself is the one that ships.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const VERIFY_CLI = 'dist-cli/threadkeeper-verify.mjs';
const PRELOAD = resolve(import.meta.dirname, 'report-max-rss.cjs');

export interface VerifierRun {
  seconds: number;
  verdict: string;
  /** Peak resident set size of the verifier's process, in MB. */
  peakMB: number;
}

export async function runVerifier(file: string, expected: RegExp): Promise<VerifierRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tk-verify-rss-'));
  try {
    const rssFile = join(dir, 'max-rss');
    const t0 = performance.now();
    const { stdout } = await run('node', ['-r', PRELOAD, VERIFY_CLI, file], {
      timeout: 900_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, TK_MAX_RSS_FILE: rssFile },
    }).catch((e: { stdout?: string; stderr?: string; message?: string }) => {
      throw new Error(`verifier failed: ${(e.stdout ?? '').trim()} ${(e.stderr ?? e.message ?? '').trim()}`);
    });
    const seconds = (performance.now() - t0) / 1000;
    const verdict = stdout.trim();
    if (!expected.test(verdict)) throw new Error(`unexpected verifier output: ${verdict}`);
    return { seconds, verdict, peakMB: Number(readFileSync(rssFile, 'utf8')) / 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
