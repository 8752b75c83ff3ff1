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

const OFFSCREEN_URL = 'src/offscreen/offscreen.html';
const PENDING_KEY = 'pendingDownloads';

type Pending = Record<string, string>; // download id → bundle file name

async function pending(): Promise<Pending> {
  const { [PENDING_KEY]: p } = await browser.storage.session.get(PENDING_KEY);
  return (p as Pending | undefined) ?? {};
}

let creating: Promise<void> | null = null;

async function ensureOffscreen(): Promise<void> {
  const open = await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] });
  if (open.length > 0) return;
  // Two exports at once must not both create it (Chrome allows one offscreen document).
  creating ??= chrome.offscreen
    .createDocument({ url: OFFSCREEN_URL, reasons: [chrome.offscreen.Reason.BLOBS], justification: 'Make a blob: URL of a bundle file on disk so that it downloads without being read into memory.' })
    .finally(() => {
      creating = null;
    });
  await creating;
}

async function toOffscreen(message: OffscreenRequest): Promise<OffscreenAnswer> {
  const answer = (await chrome.runtime.sendMessage(message)) as OffscreenAnswer | undefined;
  return answer ?? { ok: false, error: 'the offscreen document did not answer' };
}

/** Starts the download of a bundle file; the file is deleted when the download ends. Returns the download id. */
export async function downloadBundleFile(file: string, filename: string): Promise<number> {
  await ensureOffscreen();
  const answer = await toOffscreen({ type: 'offscreen/blob-url', file });
  if (!answer.ok || !answer.url) throw new Error(`could not open the bundle file for download (${answer.ok ? 'no URL' : answer.error})`);
  let id: number;
  try {
    id = await browser.downloads.download({ url: answer.url, filename, saveAs: false, conflictAction: 'uniquify' });
  } catch (err) {
    await toOffscreen({ type: 'offscreen/revoke', file });
    throw err;
  }
  await browser.storage.session.set({ [PENDING_KEY]: { ...(await pending()), [String(id)]: file } });
  // A download that finished before its id was recorded has no onChanged left to come.
  const [item] = await browser.downloads.search({ id });
  if (item && item.state !== 'in_progress') await downloadEnded(id);
  return id;
}

async function downloadEnded(id: number): Promise<void> {
  const all = await pending();
  const file = all[String(id)];
  if (file === undefined) return;
  delete all[String(id)];
  await browser.storage.session.set({ [PENDING_KEY]: all });
  const open = await chrome.runtime.getContexts({ contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT] });
  if (open.length > 0) {
    await toOffscreen({ type: 'offscreen/revoke', file }).catch(() => undefined);
    if (Object.keys(all).length === 0) await chrome.offscreen.closeDocument().catch(() => undefined);
  }
  await deleteBundleFile(file);
}

/** downloads.onChanged: a bundle download completed or was interrupted. */
export function onDownloadChanged(delta: Downloads.OnChangedDownloadDeltaType): void {
  const state = delta.state?.current;
  if (state === 'complete' || state === 'interrupted') void downloadEnded(delta.id).catch((err: unknown) => console.error('Threadkeeper could not clean up a bundle file', err));
}

/**
 * At worker start: deletes bundle files that no running download and no upload (`keep`) needs:
 * those of a worker stopped mid-export, and of downloads from before a browser restart.
 */
export async function cleanUpBundleFiles(keep: Iterable<string>): Promise<string[]> {
  const all = await pending();
  const live = new Set(keep);
  for (const [id, file] of Object.entries(all)) {
    const [item] = await browser.downloads.search({ id: Number(id) });
    if (item?.state === 'in_progress') live.add(file);
    else await downloadEnded(Number(id));
  }
  return deleteBundleFilesExcept(live);
}
