/**
 * Making bundles and sending them on their way: download, an email draft to the official
 * account, or the upload queue to the records system. One thread or many, full or incremental
 * (only what no earlier bundle carried), one bundle or one per thread. Each bundle is recorded
 * (export row, which message versions it carried, the thread's bundle list, the audit log)
 * before it leaves, so a worker stopped mid-job loses no finished bundle; re-running an
 * incremental export picks up the rest.
 */
import browser from 'webextension-polyfill';
import { appendAudit, audit, db } from './context';
import { DAMAGED_REASON, DamagedAttachmentError, exportThreads, type ExportedBundle, type ExportPhases } from './export';
import { getSigningKey, signerFor } from './signing-key';
import { loadSettings, type Settings } from './settings';
import { emlDraft } from '../forward/eml';
import { enqueueUpload, processUploads } from './uploads';
import type { ExportRow } from '../db/schema';
import { describeError } from './errors';
import { bundleFile, createBundleFile, deleteBundleFile, writeBundleFile, type BundleFileWriter } from './bundle-files';
import { downloadBundleFile, downloadFailedMessage, downloadFailure } from './download';
import { recordDownloadFailure } from './download-outcome';
import { humanSize } from '../bundle/bag-writer';
import { whileAlive } from './keep-alive';
import { leftOutWords } from '../ui/words';
import { touchThreads } from './deadline-tally';

export type Route = ExportRow['route'];
export type Scope = ExportRow['scope'];

export interface BundleResult {
  ok: boolean;
  threadIds: string[];
  fileName?: string;
  bagName?: string;
  sha256?: string;
  keyThumbprint?: string;
  messages?: number;
  attachments?: number;
  /** Stored attachments left out because their stored copy was damaged since capture; the bundle names each with the reason. */
  attachmentsLeftOut?: number;
  route?: Route;
  /** What happens next, in plain words ("saved to Downloads", "queued for upload"). */
  note?: string;
  /** Wall-clock seconds: to write the bundle file (read, render, stream, sign), and in all (recording included). */
  seconds?: { bundle: number; total: number };
  /** Where the bundle's time went, in milliseconds (ExportPhases), for the benchmark. */
  phases?: ExportPhases;
  error?: string;
}

/**
 * The largest bundle the email route attaches. Base64 makes it a third larger in the message,
 * and mail systems commonly refuse messages over 25 MB; a larger bundle is refused with a plain
 * message pointing to download or upload (docs/forwarding-email.md).
 */
export const EMAIL_BUNDLE_LIMIT = 18 * 1024 * 1024;

/**
 * Records a bundle: its export row (what it carried, read back through the exports' thread index,
 * src/background/marks.ts; no message row is rewritten), each thread's bundle list, one audit
 * entry per thread and, for an upload, its queue row, all in one transaction. So a bundle is
 * recorded with all of them or not at all: a worker stopped, or a disk full, in between cannot
 * leave an export the audit log does not show, or one counted as carried that nothing will send
 * (the user is then told the export failed, and its messages count as not exported).
 */
async function record(exported: ExportedBundle, threadIds: string[], scope: Scope, route: Route, downloadId: number | null, upload: { endpoint: string; file: string } | null): Promise<number> {
  return db.transaction('rw', [db.exports, db.threads, db.audit, db.uploads], async () => {
    const id = (await db.exports.add({
      at: new Date().toISOString(),
      bagName: exported.bundle.bagName,
      externalIdentifier: exported.externalIdentifier,
      fileName: exported.fileName,
      sha256: exported.bundle.sha256,
      keyThumbprint: exported.bundle.keyThumbprint,
      threadIds,
      messages: exported.messages,
      attachments: exported.attachments,
      downloadId,
      scope,
      route,
      carried: exported.carried,
      receipt: null,
    })) as number;
    for (const threadId of new Set(exported.carried.map(([t]) => t))) {
      await db.threads.where('id').equals(threadId).modify((t) => {
        t.bundles = [...(t.bundles ?? []), exported.externalIdentifier];
      });
    }
    // One entry per thread, so a later bundle of one of them carries its own entry whole and the
    // others withheld (src/background/audit-scope.ts): no entry names two conversations.
    for (const threadId of threadIds) {
      await appendAudit('export', {
        exportId: id, threadId, threadsInBundle: threadIds.length, scope, route,
        bagName: exported.bundle.bagName, sha256: exported.bundle.sha256, messages: exported.threadMessages.get(threadId) ?? 0,
      });
    }
    // An export recorded for upload is queued in the same transaction: a worker stopped right
    // after cannot leave an export counted as carried that nothing will ever send.
    if (upload) await enqueueUpload(id, exported, upload.endpoint, upload.file);
    return id;
  });
}

/**
 * Exports of each thread in this worker instance: under way (`result` null) or the last one
 * finished. Kept in memory on purpose: a worker that stops takes its exports with it, so a popup
 * reopened later is never shown an export that nothing runs (it then looks in the exports list).
 */
const exportStates = new Map<string, { since: string; result: BundleResult | null }>();

/** The thread's export as this worker knows it (see exportStates), for the popup. */
export function exportState(threadId: string): { since: string; result: BundleResult | null } | null {
  return exportStates.get(threadId) ?? null;
}

/** Make one bundle of these threads and send it by `route`. Never throws: failures come back as results. */
export async function exportBundle(threadIds: string[], scope: Scope, route: Route, settings?: Settings): Promise<BundleResult> {
  const since = new Date().toISOString();
  const state = { since, result: null as BundleResult | null };
  for (const threadId of threadIds) exportStates.set(threadId, state);
  const result = await whileAlive(() => writeAndSend(threadIds, scope, route, settings));
  state.result = result;
  return result;
}

async function writeAndSend(threadIds: string[], scope: Scope, route: Route, settings?: Settings): Promise<BundleResult> {
  try {
    const s = settings ?? (await loadSettings());
    if (route === 'email' && !s.officialEmail) throw new Error('no official email address is set (Settings → Records)');
    if (route === 'upload' && !s.endpoint) throw new Error('no records system is set (Settings → Records)');
    const started = performance.now();
    const key = await getSigningKey(db);
    // Attachments whose stored copy turned out damaged: the bundle is written again without them,
    // each named in it with the reason, rather than the whole thread left unexported. Each round
    // adds one, so this ends.
    const leftOut = new Map<string, string>();
    let out: BundleFileWriter;
    let exported: ExportedBundle;
    for (;;) {
      // Read again each round: the bundle then carries the entry about a damaged copy.
      const auditLog = await db.audit.orderBy('seq').toArray();
      // The bundle is streamed into a file on disk (never whole in memory), then leaves from there.
      out = await createBundleFile('zip');
      try {
        exported = await exportThreads(db, threadIds, {
          settings: s,
          signer: signerFor(key),
          softwareAgent: `Threadkeeper ${browser.runtime.getManifest().version} (${navigator.userAgent})`,
          now: new Date(),
          scope,
          auditLog,
          sink: out.sink,
          leftOut,
        });
        await out.close();
        break;
      } catch (err) {
        await out.abort();
        if (!(err instanceof DamagedAttachmentError) || leftOut.has(err.sha256)) throw err;
        leftOut.set(err.sha256, DAMAGED_REASON);
        // One entry per thread that refers to it, as for an export: a bundle of one of them then
        // carries its own entry and withholds the others' (audit-scope.ts).
        for (const threadId of err.threadIds) {
          const error = threadId === err.foundIn ? err.message : 'the same stored file, found damaged while another conversation of this export was written';
          await audit('attachment-damaged', { threadId, threadsInBundle: threadIds.length, sha256: err.sha256, error });
        }
      }
    }
    const bundleSeconds = (performance.now() - started) / 1000;
    const carriedThreads = [...new Set(exported.carried.map(([t]) => t))];
    let downloadId: number | null = null;
    let note = '';
    try {
      if (route === 'download') {
        downloadId = await downloadBundleFile(out.name, exported.fileName);
        note = 'saved to Downloads';
      } else if (route === 'email') {
        if (exported.bundle.size > EMAIL_BUNDLE_LIMIT) {
          throw new Error(`the bundle is ${humanSize(exported.bundle.size)}, too large to send by email (attached, it would be about a third larger, and mail systems refuse messages over about 25 MB): download it or upload it to the records system instead`);
        }
        const eml = emlDraft({
          to: s.officialEmail,
          subject: `Records: messenger conversation${carriedThreads.length > 1 ? 's' : ''} preserved by Threadkeeper (${exported.messages} messages)`,
          summaryLines: [
            `This email carries a complete, signed copy of ${exported.messages} message${exported.messages === 1 ? '' : 's'} from ${carriedThreads.length} conversation${carriedThreads.length === 1 ? '' : 's'}, forwarded to the official record (44 U.S.C. 2911).`,
            '',
            `Bundle: ${exported.fileName}`,
            `Bundle SHA-256: ${exported.bundle.sha256}`,
            `Signed by key: ${exported.bundle.keyThumbprint}`,
            '',
            'Verify it with: npm run verify -- ' + exported.fileName,
          ],
          // At most EMAIL_BUNDLE_LIMIT bytes: small enough to hold.
          attachment: { fileName: exported.fileName, mediaType: 'application/zip', bytes: new Uint8Array(await (await bundleFile(out.name)).arrayBuffer()) },
          date: new Date(),
          messageIdDomain: 'threadkeeper.invalid',
          bundleSha256: exported.bundle.sha256,
          keyThumbprint: exported.bundle.keyThumbprint,
        });
        await deleteBundleFile(out.name);
        downloadId = await downloadBundleFile(await writeBundleFile('eml', eml), exported.fileName.replace(/\.zip$/, '.eml'));
        note = `email draft to ${s.officialEmail} saved to Downloads: open it, send it, then mark it sent here`;
      }
    } catch (err) {
      // Best effort: a file that cannot be deleted now goes at the next start.
      await deleteBundleFile(out.name).catch(() => undefined);
      throw err;
    }
    let exportId: number;
    try {
      exportId = await record(exported, carriedThreads, scope, route, downloadId, route === 'upload' ? { endpoint: s.endpoint!.url, file: out.name } : null);
    } catch (err) {
      throw new Error(`the bundle ${exported.fileName} was made${downloadId !== null ? ' and handed to Downloads' : ''}, but it could not be recorded as exported: ${describeError(err)}. Its messages count as not exported: export again once this is mended`);
    }
    if (route === 'upload') {
      void processUploads();
      note = 'queued for upload to the records system';
    }
    // A download interrupted before the export was recorded found no export to mark: look now.
    const failure = downloadId === null ? null : await downloadFailure(downloadId);
    if (failure !== null && downloadId !== null) {
      await recordDownloadFailure(downloadId, failure);
      throw new Error(downloadFailedMessage(failure));
    }
    return {
      ok: true,
      threadIds: carriedThreads,
      fileName: exported.fileName,
      bagName: exported.bundle.bagName,
      sha256: exported.bundle.sha256,
      keyThumbprint: exported.bundle.keyThumbprint,
      messages: exported.messages,
      attachments: exported.attachments,
      ...(leftOut.size > 0 ? { attachmentsLeftOut: leftOut.size } : {}),
      route,
      note: leftOut.size > 0 ? `${note}; ${leftOutWords(leftOut.size)}` : note,
      seconds: { bundle: bundleSeconds, total: (performance.now() - started) / 1000 },
      phases: exported.phases,
    };
  } catch (err) {
    const error = describeError(err);
    for (const threadId of new Set(threadIds)) {
      await audit('export-failed', { threadId, threadsInBundle: threadIds.length, scope, route, error: withoutOtherThreads(error, threadIds, threadId) });
    }
    return { ok: false, threadIds, error: `export failed: ${describeError(err)}` };
  }
}

/**
 * An error about a shared export as the entry about `threadId` records it: the ids of the other
 * threads (an error can name one, "no preserved thread …") replaced, as the entry is carried
 * whole in bundles of this thread only.
 */
export function withoutOtherThreads(error: string, threadIds: readonly string[], threadId: string): string {
  let out = error;
  // Longest first, so an id that contains another is replaced whole.
  for (const other of [...new Set(threadIds)].filter((t) => t !== threadId).sort((a, b) => b.length - a.length)) {
    out = out.split(other).join('(another conversation of this export)');
  }
  return out;
}

export interface ExportJob {
  id: string;
  status: 'running' | 'done' | 'interrupted';
  total: number;
  done: number;
  startedAt: string;
  results: BundleResult[];
  /** The worker instance running it: a job "running" in another (stopped) instance is dead. */
  worker?: string;
}

const JOB_KEY = 'exportJob';
/** This service worker instance. A stopped worker's jobs do not run on in its successor. */
const WORKER = crypto.randomUUID();

/**
 * The latest bulk job. One left "running" by an earlier worker instance was cut short by the
 * browser and is reported (and stored) as interrupted — from the first question on, not only
 * once the start-up work has run, so nobody is shown a job that nothing is running.
 */
export async function currentJob(): Promise<ExportJob | null> {
  const { [JOB_KEY]: stored } = await browser.storage.local.get(JOB_KEY);
  const job = (stored as ExportJob | undefined) ?? null;
  if (job?.status === 'running' && job.worker !== WORKER) {
    const cut: ExportJob = { ...job, status: 'interrupted' };
    await browser.storage.local.set({ [JOB_KEY]: cut });
    return cut;
  }
  return job;
}

/**
 * "Export everything pending": every thread with unforwarded messages, as one bundle or one
 * per thread. Runs on after the request returns; progress is kept in storage so the dashboard
 * (or a reopened one) can show it, and a job cut short by the browser says so.
 */
export async function startBulkExport(threadIds: string[], scope: Scope, route: Route, grouping: 'one' | 'per-thread'): Promise<ExportJob> {
  const existing = await currentJob();
  if (existing?.status === 'running') return existing;
  const groups = grouping === 'one' ? [threadIds] : threadIds.map((t) => [t]);
  const job: ExportJob = { id: crypto.randomUUID(), status: 'running', total: groups.length, done: 0, startedAt: new Date().toISOString(), results: [], worker: WORKER };
  await browser.storage.local.set({ [JOB_KEY]: job });
  void whileAlive(async () => {
    const settings = await loadSettings();
    for (const group of groups) {
      const result = await exportBundle(group, scope, route, settings);
      job.results.push(result);
      job.done++;
      await browser.storage.local.set({ [JOB_KEY]: job });
    }
    job.status = 'done';
    await browser.storage.local.set({ [JOB_KEY]: job });
  });
  return job;
}

/** At worker start: a job still marked running was cut short by the browser (currentJob stores it so). */
export async function markInterruptedJob(): Promise<void> {
  await currentJob();
}

/** The user says the email draft of this export was sent: its messages count as forwarded. */
export async function confirmEmailSent(exportId: number): Promise<boolean> {
  return db.transaction('rw', [db.exports, db.threads, db.audit], async () => {
    const row = await db.exports.get(exportId);
    if (!row || row.route !== 'email' || row.receipt || row.downloadFailed) return false;
    await markForwarded(exportId, { kind: 'email-confirmed-by-user', confirmedAt: new Date().toISOString() });
    await appendAudit('email-confirmed', { exportId, bagName: row.bagName });
    return true;
  });
}

/**
 * A receipt (or confirmation) marks exactly the versions that export carried as forwarded: the
 * receipt goes into the export row, and readers count that row's `carried` as forwarded
 * (src/background/marks.ts). Callers write its audit entry in the same transaction (a
 * transaction of theirs that includes these tables and `db.audit`).
 */
export async function markForwarded(exportId: number, receipt: Record<string, unknown>): Promise<void> {
  await db.transaction('rw', [db.exports, db.threads], async () => {
    const row = await db.exports.get(exportId);
    if (!row) return;
    await db.exports.update(exportId, { receipt });
    // Forwarded messages change the threads' deadlines: their kept tallies no longer count.
    await touchThreads(db, [...row.threadIds, ...row.carried.map(([threadId]) => threadId)]);
  });
}
