/**
 * Saving a bundle file to Downloads without reading it into memory. A service worker has no
 * URL.createObjectURL, and a data: URL would hold the whole bundle (base64, a third larger) in
 * memory and fails for large files; so an offscreen document (reason BLOBS) makes a blob: URL
 * of the disk-backed OPFS File, chrome.downloads saves it without a dialog, and when the
 * download completes or is interrupted the URL is revoked and the file deleted. Which download
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
    if (item && item.state !== 'in_progress') await ended(id);
    return id;
  });
}

/** Clean-up after a download (call serially): revoke the URL, close the document if idle, delete the file. Never throws. */
async function ended(id: number): Promise<void> {
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
}

/** downloads.onChanged: a bundle download completed or was interrupted. */
export function onDownloadChanged(delta: Downloads.OnChangedDownloadDeltaType): void {
  const state = delta.state?.current;
  if (state === 'complete' || state === 'interrupted') void serially(() => ended(delta.id));
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
      else await ended(Number(id));
    }
    return deleteBundleFilesExcept(live);
  });
}
