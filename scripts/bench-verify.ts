/**
 * Benchmark part 3: the built verifier CLI (`node dist-cli/threadkeeper-verify.mjs`) on a large
 * bundle, against raw SHA-512 (node:crypto) of the same payload bytes, in the same run.
 *
 * The bundle is made by the extension's own code in Node: thread rows for n synthetic messages
 * (the long-thread fixture's content) with `files` random attachments totalling `attachmentMB`,
 * rendered by renderThreadFiles (thread.json, transcript.html, messages.csv, attachments) and
 * written by bag-writer's writeBundle, signed with a freshly made P-256 key (WebCrypto).
 */
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttachmentRow, MessageRow, VersionRow } from '../src/db/schema';
import { threadIdOf } from '../src/background/ingest';
import { threadFolder } from '../src/background/export';
import { renderThreadFiles } from '../src/bundle/thread-record';
import { writeBundle, type PayloadFile } from '../src/bundle/bag-writer';
import { sha256Hex } from '../src/shared/bytes';
import { benchThread, pictureRef, SEEDED_AT, seededThreadRows, storedRows, syntheticMessages } from './lib/ingest-workload';
import { runVerifier, VERIFY_CLI } from './lib/run-verifier';
import { webCryptoSigner } from '../test/helpers/signer';
import { median } from './lib/stats';

export { VERIFY_CLI };

export interface VerifyBench {
  messages: number;
  attachments: number;
  payloadBytes: number;
  zipBytes: number;
  /** Seconds per verifier run (whole process: start, read, inflate, hash, signature). */
  verifySeconds: number[];
  /** The verifier process's peak resident set size in each round, MB. */
  verifyPeakMB: number[];
  shaSeconds: number[];
  verifyMBps: number;
  shaMBps: number;
  ratio: number;
  verdict: string;
  buildSeconds: number;
}

const MB = 1024 * 1024;


/** Builds the bundle's payload: one thread of n messages, `files` attachments of random bytes. */
async function buildPayload(n: number, files: number, attachmentBytes: number): Promise<PayloadFile[]> {
  const messages = syntheticMessages(n);
  const threadId = threadIdOf('whatsapp', benchThread.threadKey);
  const attachments = new Map<string, AttachmentRow>();
  const perFile = Math.floor(attachmentBytes / files);
  const every = Math.max(1, Math.floor(n / files));
  const versions: VersionRow[] = [];
  const rows: MessageRow[] = [];
  for (const [i, m] of messages.entries()) {
    if (i % every === every - 1 && attachments.size < files) {
      const bytes = randomFillSync(new Uint8Array(perFile));
      const sha256 = await sha256Hex(bytes);
      attachments.set(sha256, { sha256, mediaType: 'image/jpeg', size: bytes.length, bytes, firstSeenAt: SEEDED_AT });
      m.attachments = [pictureRef(sha256, bytes.length)];
    }
    const { row, version } = storedRows(m, threadId, 'bench', i + 1);
    rows.push(row);
    versions.push(version);
  }
  if (attachments.size !== files) throw new Error(`made ${attachments.size} attachments, expected ${files}`);
  const { thread, capture } = seededThreadRows(threadId, 'bench', n, files);
  const { files: rendered } = await renderThreadFiles({ thread, messages: rows, versions, attachments, captures: [capture] });
  const folder = await threadFolder(threadId);
  return rendered.map((f) => ({ path: `${folder}/${f.path}`, bytes: f.bytes })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export async function verifyBench(opts: { n: number; files: number; attachmentMB: number; rounds: number }, log: (line: string) => void): Promise<VerifyBench> {
  if (!existsSync(VERIFY_CLI)) throw new Error(`no built verifier at ${VERIFY_CLI}: run npm run build`);
  const dir = mkdtempSync(join(tmpdir(), 'tk-bench-verify-'));
  try {
    const b0 = performance.now();
    const payload = await buildPayload(opts.n, opts.files, opts.attachmentMB * MB);
    const bundle = await writeBundle({
      bagName: 'threadkeeper-bench',
      payload,
      signer: await webCryptoSigner(),
      info: { externalIdentifier: 'urn:threadkeeper:bundle:bench', baggingDate: '2026-03-02', softwareAgent: 'Threadkeeper benchmark (scripts/bench.ts)' },
    });
    const file = join(dir, 'bench-bundle.zip');
    writeFileSync(file, bundle.zip);
    const buildSeconds = (performance.now() - b0) / 1000;
    const payloadBytes = payload.reduce((s, f) => s + f.bytes.length, 0);
    log(`  bundle: ${opts.n} messages, ${opts.files} attachments, payload ${(payloadBytes / MB).toFixed(1)} MB, ZIP ${(bundle.zip.length / MB).toFixed(1)} MB (built in ${buildSeconds.toFixed(1)} s)`);

    const verifySeconds: number[] = [];
    const verifyPeakMB: number[] = [];
    const shaSeconds: number[] = [];
    let verdict = '';
    const expected = new RegExp(`^valid: signed by key \\S+, 1 thread, ${opts.n} messages, ${opts.files} attachments$`);
    for (let r = 0; r < opts.rounds; r++) {
      const v = await runVerifier(file, expected);
      verifySeconds.push(v.seconds);
      verifyPeakMB.push(v.peakMB);
      verdict = v.verdict;

      const s0 = performance.now();
      for (const f of payload) createHash('sha512').update(f.bytes).digest();
      shaSeconds.push((performance.now() - s0) / 1000);
      log(`  round ${r + 1}: verifier ${verifySeconds[r]!.toFixed(2)} s (peak ${verifyPeakMB[r]!.toFixed(0)} MB), SHA-512 ${shaSeconds[r]!.toFixed(2)} s`);
    }
    const verifyMBps = payloadBytes / MB / median(verifySeconds);
    const shaMBps = payloadBytes / MB / median(shaSeconds);
    return {
      messages: opts.n, attachments: opts.files, payloadBytes, zipBytes: bundle.zip.length, verifySeconds, verifyPeakMB, shaSeconds,
      verifyMBps, shaMBps, ratio: verifyMBps / shaMBps, verdict, buildSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
