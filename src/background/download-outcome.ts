/**
 * A bundle whose download was interrupted (disk full, Downloads folder not writable, the user
 * cancelled it, the browser closed) never reached the user's disk, and its file in the extension
 * is deleted with the download. Counted as carried, its messages would be left out of every
 * later incremental export while the deadlines still call them pending. So the export is marked
 * `downloadFailed` (src/background/marks.ts then counts it as carrying nothing), its bundle
 * identifier leaves its threads' bundle lists (a later bundle must not build on a bundle nobody
 * has), an audit entry is written in the same transaction, and the user is told.
 */
import browser from 'webextension-polyfill';
import { appendAudit, db } from './context';

/**
 * Marks the export of download `downloadId` as not carried, with its audit entry, and notifies
 * the user. Returns the export's file name, or null when no export of this download is recorded
 * (yet, or any more) or it is already marked. An export with a receipt is left as it is.
 */
export async function recordDownloadFailure(downloadId: number, reason: string): Promise<string | null> {
  const marked = await db.transaction('rw', [db.exports, db.threads, db.audit], async () => {
    const row = await db.exports.where('downloadId').equals(downloadId).first();
    if (!row || row.downloadFailed || row.receipt) return null;
    await db.exports.update(row.id!, { downloadFailed: { at: new Date().toISOString(), reason } });
    for (const threadId of row.threadIds) {
      await db.threads.where('id').equals(threadId).modify((t) => {
        t.bundles = (t.bundles ?? []).filter((b) => b !== row.externalIdentifier);
      });
    }
    await appendAudit('download-failed', { exportId: row.id, bagName: row.bagName, route: row.route, reason });
    return row;
  });
  if (!marked) return null;
  const what = marked.route === 'email' ? 'email draft' : 'bundle';
  await browser.notifications
    .create(`tk-download-${marked.id}`, {
      type: 'basic',
      iconUrl: browser.runtime.getURL('icons/icon-128.png'),
      title: `Threadkeeper: a ${what} did not reach Downloads`,
      message: `${marked.route === 'email' ? `The email draft of ${marked.fileName}` : marked.fileName}: ${reason}. Nothing of it was saved; its messages count as not exported. Export again.`,
      priority: 2,
    })
    .catch((err: unknown) => console.warn('Threadkeeper could not show a notification', err));
  return marked.fileName;
}
