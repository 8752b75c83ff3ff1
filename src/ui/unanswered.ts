/**
 * What to tell the user when the background stopped before it answered an action (`ask` rejects
 * with STOPPED_BEFORE_ANSWER): the action may have been done or not. Rather than "look again",
 * the page looks: a recorded export is written with its audit entries in one transaction, and a
 * purge with its entry (src/background/context.ts, appendAudit), so what the background's lists
 * show is what happened.
 */
import type { ExportJob, ExportView, PopupRequest, ThreadDeadline } from '../shared/protocol';
import { askAgain, STOPPED_BEFORE_ANSWER } from './ask';
import { plural } from './words';

export interface Outcome {
  ok: boolean;
  text: string;
}

/** Whether `err` is the background stopping before it answered (not a refusal or another failure). */
export function unanswered(err: unknown): boolean {
  return err instanceof Error && err.message === STOPPED_BEFORE_ANSWER;
}

/** A list read again until it comes (askAgain); null when the background stays silent. */
async function look<T>(request: PopupRequest): Promise<T | null> {
  return askAgain<T>(request).catch(() => null);
}

/** When the lists cannot be read either, all that can be said. */
const SILENT: Outcome = { ok: false, text: STOPPED_BEFORE_ANSWER };

/**
 * A full export of one thread to Downloads, asked at `since` (ISO time), went unanswered: was it
 * recorded? An export is recorded only after its download started.
 */
export async function exportOutcome(threadId: string, since: string): Promise<Outcome> {
  const views = await look<ExportView[]>({ type: 'popup/exports' });
  if (!views) return SILENT;
  const done = views.find((e) => e.at >= since && e.route === 'download' && e.scope === 'full' && e.threadIds.length === 1 && e.threadIds[0] === threadId);
  if (done?.downloadFailed) {
    return { ok: false, text: `Threadkeeper's background stopped as it finished. The bundle ${done.fileName} was made, but its download failed: ${done.downloadFailed.reason}. Nothing was saved; export again.` };
  }
  if (done) {
    return {
      ok: true,
      text: `Threadkeeper's background stopped as it finished, after the bundle was recorded: ${done.fileName} (${plural(done.messages, 'message')}) was handed to Downloads. If it is not in your Downloads, export again.`,
    };
  }
  return {
    ok: false,
    text: "Threadkeeper's background stopped before the export was recorded: no bundle was recorded, and everything kept is still here. Export again.",
  };
}

/** A purge went unanswered: is the thread gone? A purge removes it in one transaction with its audit entry. */
export async function purgeOutcome(threadId: string, title: string): Promise<Outcome> {
  const threads = await look<ThreadDeadline[]>({ type: 'popup/threads' });
  if (!threads) return SILENT;
  return threads.some((t) => t.threadId === threadId)
    ? { ok: false, text: `Threadkeeper's background stopped before the purge was done: nothing of “${title}” was removed. Try again.` }
    : { ok: true, text: `Purged “${title}” (the background stopped as it finished; the purge and its audit entry were written together).` };
}

/** "Mark as sent" for export `exportId` went unanswered: is it marked? */
export async function emailOutcome(exportId: number, fileName: string): Promise<Outcome> {
  const now = (await look<ExportView[]>({ type: 'popup/exports' }))?.find((x) => x.id === exportId);
  if (!now) return SILENT;
  return now.receipt
    ? { ok: true, text: `${fileName} is marked as sent (the background stopped as it finished).` }
    : { ok: false, text: `Threadkeeper's background stopped before ${fileName} was marked as sent: mark it again.` };
}

/**
 * A bulk export asked at `since` went unanswered: did a job start? One that did is kept in
 * storage (and shown as interrupted if it was cut short), so the page follows it.
 */
export async function bulkOutcome(since: string): Promise<Outcome & { started: boolean }> {
  const job = await look<ExportJob | null>({ type: 'popup/job' });
  return job && job.startedAt >= since
    ? { ok: false, started: true, text: "Threadkeeper's background stopped as it started the export; what the export did is below." }
    : { ok: false, started: false, text: "Threadkeeper's background stopped before the export started: nothing was exported. Start it again." };
}
