/**
 * Saving a bundle file to Downloads without reading it into memory. A service worker has no
 * URL.createObjectURL, and a data: URL would hold the whole bundle (base64, a third larger) in
 * memory and fails for large files; so an offscreen document (reason BLOBS) makes a blob: URL
 * of the disk-backed OPFS File, chrome.downloads saves it without a dialog, and when the
 * download completes or is interrupted the URL is revoked and the file deleted (an interrupted
 * one is then reported to `whenDownloadFails`: its export counts as carrying nothing). Which download
 * is which file is kept in storage.session, so a worker stopped during a long download still
 * cleans up when downloads.onChanged wakes it; after a browser restart every such file is a
 * leftover, deleted at start (cleanUpBundleFiles).
 */
import browser, { type Downloads } from 'webextension-polyfill';
import type { OffscreenAnswer, OffscreenRequest } from '../shared/protocol';
import { deleteBundleFile, deleteBundleFilesExcept } from './bundle-files';
import { serialQueue } from '../shared/serial';

const OFFSCREEN_URL = 'src/offscreen/offscreen.html';
const PENDING_KEY = 'pendingDownloads';

type Pending = Record<string, string>; // download id → bundle file name

async function pending(): Promise<Pending> {
  const { [PENDING_KEY]: p } = await browser.storage.session.get(PENDING_KEY);
  return (p as Pending | undefined) ?? {};
}

/**
 * Every step that touches the offscreen document or the pending list runs one after another: a
 * download that ends while the next starts must not close the document the next one is about to
 * use, and a download reported ended twice (its onChanged event, and the check right after it
 * started) must be cleaned up once.
 */
const serially = serialQueue();

async function offscreenOpen(): Promise<boolean> {
  return (await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] })).length > 0;
}

async function toOffscreen(message: OffscreenRequest): Promise<OffscreenAnswer> {
  const answer = (await chrome.runtime.sendMessage(message)) as OffscreenAnswer | undefined;
  return answer ?? { ok: false, error: 'the offscreen document did not answer' };
}

/** Starts the download of a bundle file; the file is deleted when the download ends. Returns the download id. */
export function downloadBundleFile(file: string, filename: string): Promise<number> {
  return serially(async () => {
    if (!(await offscreenOpen())) {
      await chrome.offscreen.createDocument({ url: OFFSCREEN_URL, reasons: [chrome.offscreen.Reason.BLOBS], justification: 'Make a blob: URL of a bundle file on disk so that it downloads without being read into memory.' });
    }
    const answer = await toOffscreen({ type: 'offscreen/blob-url', file });
    if (!answer.ok || !answer.url) throw new Error(`could not open the bundle file for download (${answer.ok ? 'no URL' : answer.error})`);
    let id: number;
    try {
      id = await browser.downloads.download({ url: answer.url, filename, saveAs: false, conflictAction: 'uniquify' });
    } catch (err) {
      await toOffscreen({ type: 'offscreen/revoke', file }).catch(() => undefined);
      throw err;
    }
    await browser.storage.session.set({ [PENDING_KEY]: { ...(await pending()), [String(id)]: file } });
    // A download that finished before its id was recorded has had its onChanged already.
    const [item] = await browser.downloads.search({ id });
    if (item && item.state !== 'in_progress') {
      const failure = failureOf(item);
      await ended(id, failure);
      if (failure) throw new Error(downloadFailedMessage(failure));
    }
    return id;
  });
}

/**
 * Chrome's reasons for an interrupted download (DownloadInterruptReason), in plain words. A
 * reason not listed is named as Chrome gives it.
 */
const INTERRUPTED: Record<string, string> = {
  FILE_NO_SPACE: 'the disk is full',
  FILE_ACCESS_DENIED: 'the Downloads folder cannot be written to',
  FILE_NAME_TOO_LONG: 'the file name is too long for the Downloads folder',
  FILE_TOO_LARGE: 'the file is too large for the Downloads folder',
  FILE_TOO_SHORT: 'the file could not be read whole',
  FILE_FAILED: 'the file could not be written',
  FILE_TRANSIENT_ERROR: 'the file could not be written (a passing error; try again)',
  FILE_BLOCKED: 'the browser or its policy blocked the download',
  FILE_VIRUS_INFECTED: 'a virus scanner blocked the download',
  FILE_SECURITY_CHECK_FAILED: 'the browser could not finish its security check of the download',
  FILE_HASH_MISMATCH: 'the file changed while it was saved',
  USER_CANCELED: 'the download was cancelled',
  USER_SHUTDOWN: 'the browser was closed during the download',
  CRASH: 'the browser crashed during the download',
};

/** What the user is told of a bundle whose download failed (`reason` from interruptedReason). */
export function downloadFailedMessage(reason: string): string {
  return `the download failed: ${reason}; nothing was saved to Downloads, and the bundle's messages count as not exported`;
}

export function interruptedReason(error: string | undefined): string {
  if (!error) return 'the download was interrupted';
  return INTERRUPTED[error] ?? `the download was interrupted (Chrome says ${error})`;
}

/** The plain reason of a download that ended without its file, or null when it completed. */
function failureOf(item: { state?: string; error?: string }): string | null {
  return item.state === 'interrupted' ? interruptedReason(item.error) : null;
}

type FailureListener = (downloadId: number, reason: string) => Promise<void>;
let onFailure: FailureListener | null = null;

/**
 * Who is told when one of our downloads is interrupted, after its file is cleaned up
 * (src/background/download-outcome.ts marks its export as not carried and tells the user).
 */
export function whenDownloadFails(listener: FailureListener): void {
  onFailure = listener;
}

/**
 * Clean-up after a download (call serially): revoke the URL, close the document if idle, delete
 * the file; then, if it was interrupted (`failure`), tell the failure listener. Never throws.
 */
async function ended(id: number, failure: string | null): Promise<void> {
  const all = await pending();
  const file = all[String(id)];
  if (file === undefined) return; // not ours, or already cleaned up
  delete all[String(id)];
  await browser.storage.session.set({ [PENDING_KEY]: all });
  if (await offscreenOpen()) {
    await toOffscreen({ type: 'offscreen/revoke', file }).catch(() => undefined);
    if (Object.keys(all).length === 0) await chrome.offscreen.closeDocument().catch(() => undefined);
  }
  // If the file cannot go now, the next start's clean-up removes it.
  await deleteBundleFile(file).catch((err: unknown) => console.warn('Threadkeeper could not delete a downloaded bundle file', file, err));
  if (failure && onFailure) await onFailure(id, failure).catch((err: unknown) => console.error('Threadkeeper could not record a failed download', id, err));
}

/** downloads.onChanged: a bundle download completed or was interrupted. */
export function onDownloadChanged(delta: Downloads.OnChangedDownloadDeltaType): void {
  const state = delta.state?.current;
  if (state === 'complete' || state === 'interrupted') void serially(() => ended(delta.id, state === 'interrupted' ? interruptedReason(delta.error?.current) : null));
}

/** A download's state now, as Chrome reports it: its plain failure reason, or null (completed, running, or unknown). */
export async function downloadFailure(id: number): Promise<string | null> {
  const [item] = await browser.downloads.search({ id });
  return item ? failureOf(item) : null;
}

/**
 * At worker start: deletes bundle files that no running download and no upload (`keep`) needs:
 * those of a worker stopped mid-export, and of downloads from before a browser restart.
 */
export function cleanUpBundleFiles(keep: Iterable<string>): Promise<string[]> {
  return serially(async () => {
    const live = new Set(keep);
    for (const [id, file] of Object.entries(await pending())) {
      const [item] = await browser.downloads.search({ id: Number(id) });
      if (item?.state === 'in_progress') live.add(file);
      else await ended(Number(id), item ? failureOf(item) : null);
    }
    return deleteBundleFilesExcept(live);
  });
}
