/**
 * Vitest global setup for both test configurations: every temporary file of a run (the tests'
 * own folders, browser profiles and downloads, Chromium's and Playwright's scratch files) goes
 * under one folder made here, removed when the run ends. Runs left their folders in the machine's
 * temporary directory before; over many runs they filled its disk, and the tests then failed on
 * a full disk rather than on anything they test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'tk-run-'));
  const before = process.env.TMPDIR;
  // Read by os.tmpdir() in the test workers (started after this) and by the browsers they launch.
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
