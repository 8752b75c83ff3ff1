/**
 * The upload queue to the records system: persistent in IndexedDB, retried with exponential
 * backoff through chrome.alarms, so it survives a stopped worker and a browser restart. The
 * bundle itself is a file in the extension's Origin Private File System (bundle-files.ts), sent
 * from disk as the request body (a File, never read into memory); the row names it. Messages
 * count as forwarded only after the server's receipt, which is stored with the export. Wire
 * contract: docs/intake.md.
 */
import browser from 'webextension-polyfill';
import { appendAudit, audit, db } from './context';
import type { ExportedBundle } from './export';
import type { UploadRow } from '../db/schema';
import { loadSettings } from './settings';
import { markForwarded } from './exporter';
import { bundleFile, deleteBundleFile } from './bundle-files';
import { whileAlive } from './keep-alive';

export const UPLOAD_ALARM = 'tk-upload-queue';
const BASE_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 60 * 60_000;

/**
 * Queues the bundle written to bundle file `file` (which the queue then owns) for upload. Called
 * inside the transaction that records the export (src/background/exporter.ts), so an export
 * recorded for upload always has its queue row; start the queue (processUploads) once that
 * transaction is done.
 */
export async function enqueueUpload(exportId: number, exported: ExportedBundle, endpoint: string, file: string): Promise<void> {
  await db.uploads.add({
    id: exported.bundle.sha256,
    exportId,
    bagName: exported.bundle.bagName,
    sha256: exported.bundle.sha256,
    keyThumbprint: exported.bundle.keyThumbprint,
    file,
    endpoint,
    status: 'queued',
    attempts: 0,
    nextAttemptAt: Date.now(),
    lastError: null,
    receipt: null,
    createdAt: new Date().toISOString(),
  });
}

async function backoffBase(): Promise<number> {
  // Tests shorten the backoff by writing uploadBackoffMs; users never need to.
  const { uploadBackoffMs } = await browser.storage.local.get('uploadBackoffMs');
  return typeof uploadBackoffMs === 'number' && uploadBackoffMs > 0 ? uploadBackoffMs : BASE_BACKOFF_MS;
}

type Outcome = { kind: 'receipt'; receipt: Record<string, unknown> } | { kind: 'refused'; reason: string } | { kind: 'retry'; reason: string };

/** Read the server's answer: only a well-formed receipt for this very bundle counts. */
export async function interpret(res: Response, sha256: string, keyThumbprint?: string): Promise<Outcome> {
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = null;
  }
  if (res.status === 200 || res.status === 201) {
    if (body && body.accepted === true && body.bundleSha256 === sha256 && typeof body.receiptId === 'string' && (keyThumbprint === undefined || body.keyThumbprint === keyThumbprint)) {
      return { kind: 'receipt', receipt: body };
    }
    return { kind: 'retry', reason: `the records system answered ${res.status} without a valid receipt for this bundle` };
  }
  const said = body && Array.isArray(body.reasons)
    ? (body.reasons as { file?: string; message?: string }[]).map((r) => `${r.file ? `${r.file}: ` : ''}${r.message ?? ''}`).join('; ')
    : body && typeof body.error === 'string' ? body.error : '';
  const reason = `the records system answered ${res.status}${said ? `: ${said.slice(0, 500)}` : ''}`;
  // Refusals that a retry cannot fix; everything else (5xx, 429, proxies) is retried.
  if ([400, 401, 403, 404, 409, 413, 415, 422].includes(res.status)) return { kind: 'refused', reason };
  return { kind: 'retry', reason };
}

let running: Promise<void> | null = null;

export function processUploads(): Promise<void> {
  running ??= whileAlive(drain).finally(() => {
    running = null;
  });
  return running;
}

async function drain(): Promise<void> {
  const settings = await loadSettings();
  const base = await backoffBase();
  for (;;) {
    const now = Date.now();
    const due = (await db.uploads.where('status').anyOf('queued', 'sending').toArray()).filter((u) => u.nextAttemptAt <= now);
    if (due.length === 0) break;
    for (const u of due) await attempt(u, settings.endpoint?.token ?? '', base);
  }
  await scheduleNext();
}

/** One POST of the bundle; what the answer (or the lack of one) means for the queue. */
async function send(u: UploadRow, token: string): Promise<Outcome> {
  let body: Blob;
  try {
    // A File from OPFS is disk-backed: fetch streams it from disk. Rows from before v3 carry their bytes.
    body = u.file ? await bundleFile(u.file) : new Blob([u.zip as Uint8Array<ArrayBuffer>]);
  } catch (err) {
    return { kind: 'refused', reason: `the bundle file of this upload is no longer in the extension's storage (${err instanceof Error ? err.message : String(err)}): export the thread again` };
  }
  try {
    const res = await fetch(`${u.endpoint}/v1/bundles`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/zip',
        Authorization: `Bearer ${token}`,
        'X-Threadkeeper-Bundle-SHA256': u.sha256,
        'X-Threadkeeper-Key': u.keyThumbprint,
        'Idempotency-Key': u.sha256,
      },
      body,
      // Two minutes, plus one second for every 256 KiB: a large bundle on a slow link is not cut off.
      signal: AbortSignal.timeout(120_000 + Math.ceil(body.size / 262_144) * 1000),
    });
    return await interpret(res, u.sha256, u.keyThumbprint);
  } catch (err) {
    // Network down, refused connection, bad certificate, timeout: the browser does not say which.
    return { kind: 'retry', reason: `could not reach the records system (${err instanceof Error ? err.message : String(err)}): the server may be down, or its certificate is not trusted` };
  }
}

async function attempt(u: UploadRow, token: string, base: number): Promise<void> {
  await db.uploads.update(u.id, { status: 'sending', attempts: u.attempts + 1 });
  const outcome = await send(u, token);
  // A receipt or a refusal is written with its audit entry in one transaction: a worker stopped,
  // or a disk full, in between cannot leave one the audit log does not show. One that cannot be
  // written leaves the upload "sending", sent again later; the records system answers a bundle
  // it already holds with the same receipt (Idempotency-Key).
  if (outcome.kind === 'receipt') {
    await db.transaction('rw', [db.exports, db.threads, db.uploads, db.audit], async () => {
      await markForwarded(u.exportId, outcome.receipt);
      await db.uploads.update(u.id, { status: 'done', receipt: outcome.receipt, lastError: null, file: null });
      await appendAudit('upload-receipt', { exportId: u.exportId, bagName: u.bagName, sha256: u.sha256, receiptId: outcome.receipt.receiptId });
    });
    // The records system holds the bundle now (its receipt says so): the copy on disk goes. If it
    // cannot go now, the next start's clean-up removes it, as no queued upload names it any more.
    if (u.file) await deleteBundleFile(u.file).catch((err: unknown) => console.warn('Threadkeeper could not delete an uploaded bundle file', u.file, err));
  } else if (outcome.kind === 'refused') {
    // Refused, the bundle reached nobody: its export counts as carrying nothing until it is
    // retried (src/background/marks.ts), so an incremental export does not skip its messages.
    await db.transaction('rw', [db.uploads, db.exports, db.audit], async () => {
      await db.uploads.update(u.id, { status: 'refused', lastError: outcome.reason });
      await db.exports.update(u.exportId, { uploadRefused: { at: new Date().toISOString(), reason: outcome.reason } });
      await appendAudit('upload-refused', { exportId: u.exportId, bagName: u.bagName, reason: outcome.reason });
    });
  } else {
    // A retry changes no record: its entry is best effort, and the backoff holds without it.
    const delay = Math.min(MAX_BACKOFF_MS, base * 2 ** u.attempts);
    await db.uploads.update(u.id, { status: 'queued', lastError: outcome.reason, nextAttemptAt: Date.now() + delay });
    await audit('upload-retry', { exportId: u.exportId, bagName: u.bagName, reason: outcome.reason, attempt: u.attempts + 1 });
  }
}

async function scheduleNext(): Promise<void> {
  const next = (await db.uploads.where('status').equals('queued').toArray()).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)[0];
  if (next) await browser.alarms.create(UPLOAD_ALARM, { when: Math.max(Date.now() + 1000, next.nextAttemptAt) });
  else await browser.alarms.clear(UPLOAD_ALARM);
}

/** "Retry now": every queued or refused upload is tried again at once. */
export async function retryAll(): Promise<void> {
  await db.transaction('rw', [db.uploads, db.exports], async () => {
    const refused = await db.uploads.where('status').equals('refused').toArray();
    await db.uploads.where('status').anyOf('queued', 'refused').modify({ status: 'queued', nextAttemptAt: 0 });
    // On its way again: it counts as carried again.
    for (const u of refused) {
      await db.exports.where('id').equals(u.exportId).modify((e) => {
        delete e.uploadRefused;
      });
    }
  });
  await processUploads();
}

/**
 * Bundle files the upload queue still needs (kept by the start-up clean-up): those of uploads
 * not yet received. A refused upload keeps its file, for "Retry uploads now".
 */
export async function uploadFiles(): Promise<string[]> {
  return (await db.uploads.toArray()).flatMap((u) => (u.file && u.status !== 'done' ? [u.file] : []));
}

/** At worker start: an upload cut off mid-send is queued again. */
export async function resumeUploads(): Promise<void> {
  await db.uploads.where('status').equals('sending').modify({ status: 'queued', nextAttemptAt: 0 });
  await processUploads();
}
