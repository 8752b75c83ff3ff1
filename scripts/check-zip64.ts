/**
 * `npm run check:zip64`: a real bundle past 4 GiB, end to end outside the browser. The extension's
 * bag writer (streamBundle) writes nine attachments of 512 MiB to a file, the built verifier CLI
 * checks it (wall time and peak memory printed), and Python's zipfile, when python3 is installed,
 * reads it as an independent ZIP64 reader. Needs about 5 GB of free disk in the temp folder and a
 * minute or two, so it is not part of `npm test` (where the ZIP64 tests lower the threshold:
 * test/unit/zip64.test.ts). The file is deleted at the end, also on failure.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamBundle, type PayloadSource } from '../src/bundle/bag-writer';
import { runVerifier } from './lib/run-verifier';
import { webCryptoSigner } from '../test/helpers/signer';

const ATTACHMENTS = 9;
const SIZE = 512 * 1024 * 1024;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tk-zip64-'));
  const file = join(dir, 'bundle.zip');
  try {
    // Two buffers in turn: the writer holds at most two payload files at once (this one and the
    // next, read ahead), so the one it is done with can be refilled. Each file differs in byte 0.
    const buffers = [new Uint8Array(SIZE), new Uint8Array(SIZE)];
    for (const b of buffers) for (let i = 0; i < SIZE; i += 4096) b[i] = (i >> 12) & 0xff;
    const payload: PayloadSource[] = Array.from({ length: ATTACHMENTS }, (_, k) => ({
      path: `threads/t/attachments/${k}.bin`,
      size: SIZE,
      read: async () => {
        const b = buffers[k % 2]!;
        b[0] = k;
        return b;
      },
    }));
    const record = { messages: [], attachments: payload.map((f) => ({ path: f.path.slice('threads/t/'.length), size: SIZE, sha256: null })) };
    payload.push({ path: 'threads/t/thread.json', bytes: new TextEncoder().encode(JSON.stringify(record)) });

    const fd = openSync(file, 'w');
    const t0 = performance.now();
    let written;
    try {
      written = await streamBundle({
        bagName: 'zip64-check',
        payload,
        info: { externalIdentifier: 'urn:threadkeeper:check:zip64', baggingDate: new Date().toISOString().slice(0, 10), softwareAgent: 'Threadkeeper check-zip64' },
        signer: await webCryptoSigner(),
        sink: { write: async (chunk) => void writeSync(fd, chunk) },
      });
    } finally {
      closeSync(fd);
    }
    console.log(`written: ${(written.size / 1e9).toFixed(2)} GB, ${written.files.length} files, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (written.size <= 0xffffffff) throw new Error('the bundle did not pass 4 GiB');

    const verified = await runVerifier(file, new RegExp(`^valid: .*1 thread, 0 messages, ${ATTACHMENTS} attachments$`));
    console.log(`verifier: ${verified.verdict} (${verified.seconds.toFixed(1)} s, peak resident ${verified.peakMB.toFixed(0)} MB)`);

    const py = spawnSync('python3', ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nprint(len(z.infolist()), bad)\nsys.exit(1 if bad else 0)', file], { encoding: 'utf8' });
    if (py.error) console.log("python3: not installed, Python's zipfile not tried");
    else if (py.status !== 0) throw new Error(`Python's zipfile refused the bundle: ${py.stdout.trim()} ${py.stderr.trim()}`);
    else console.log(`python3 zipfile: ${py.stdout.trim().split(' ')[0]} entries read, every CRC-32 correct`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`check-zip64 failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
