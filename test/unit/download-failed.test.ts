/**
 * A bundle that reached nobody counts as carrying nothing. One whose download was interrupted
 * (disk full, Downloads not writable, cancelled) never reached the user's disk: counted as
 * carried, the next incremental export said "nothing new to export" while the deadlines still
 * called those messages pending, and the bundle stayed in the thread's list for later bundles to
 * build on. Now the export is marked, the
 * bundle leaves the thread's list, an audit entry says so, the user is notified, and the next
 * incremental export carries the messages again. The same holds for a bundle whose upload the
 * records system refused, until the user retries it.
 */
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../src/bundle/bag-writer';

const notices: { id: string; title: string; message: string }[] = [];
vi.mock('webextension-polyfill', async () => {
  const { quietBrowser } = await import('../helpers/quiet-browser');
  return {
    default: {
      ...quietBrowser,
      notifications: { create: async (id: string, o: { title: string; message: string }) => void notices.push({ id, title: o.title, message: o.message }) },
      runtime: { ...quietBrowser.runtime, getPlatformInfo: async () => ({}) },
      alarms: { create: async () => undefined, clear: async () => true },
    },
  };
});
vi.mock('../../src/background/bundle-files', () => ({
  createBundleFile: async () => ({ name: 'b.zip', sink: new MemorySink(), close: async () => undefined, abort: async () => undefined }),
  deleteBundleFile: async () => undefined,
  bundleFile: async () => new Blob(['zip']),
}));
/** Each download gets the next id; `failing` says which have been interrupted, and why. */
const failing = new Map<number, string>();
let nextDownload = 100;
vi.mock('../../src/background/download', () => ({
  downloadBundleFile: async () => nextDownload++,
  downloadFailure: async (id: number) => failing.get(id) ?? null,
  downloadFailedMessage: (reason: string) => `the download failed: ${reason}; nothing was saved to Downloads, and the bundle's messages count as not exported`,
}));
if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node test' }, configurable: true });

const { db } = await import('../../src/background/context');
const { exportBundle, exportState } = await import('../../src/background/exporter');
const { recordDownloadFailure } = await import('../../src/background/download-outcome');
const { processUploads, retryAll } = await import('../../src/background/uploads');
const { loadSettings } = await import('../../src/background/settings');
const { capturedThread } = await import('./factories');

let n = 0;
/** A captured thread of two messages; returns its id. */
const captured = (): Promise<string> => capturedThread(db, `chat-${n++}`);

beforeEach(() => {
  notices.length = 0;
  failing.clear();
});

describe('a bundle whose download was interrupted', () => {
  it('counts as carrying nothing: marked, out of the thread bundle list, audited, told, and exported again incrementally', async () => {
    const threadId = await captured();
    const first = await exportBundle([threadId], 'incremental', 'download');
    expect(first).toMatchObject({ ok: true, messages: 2 });
    expect(await exportBundle([threadId], 'incremental', 'download')).toMatchObject({ ok: false, error: expect.stringMatching(/nothing new to export/) });
    const [row] = await db.exports.where('threadIds').equals(threadId).toArray();

    expect(await recordDownloadFailure(row!.downloadId!, 'the disk is full')).toBe(first.fileName);
    expect((await db.exports.get(row!.id!))!.downloadFailed).toEqual({ at: expect.any(String), reason: 'the disk is full' });
    expect((await db.threads.get(threadId))!.bundles).toEqual([]);
    expect((await db.audit.toArray()).filter((e) => e.action === 'download-failed').map((e) => e.details)).toEqual([
      { exportId: row!.id, bagName: first.bagName, route: 'download', reason: 'the disk is full' },
    ]);
    expect(notices).toEqual([{ id: `tk-download-${row!.id}`, title: 'Threadkeeper: a bundle did not reach Downloads', message: `${first.fileName}: the disk is full. Nothing of it was saved; its messages count as not exported. Export again.` }]);

    // Marked once, however often it is reported.
    expect(await recordDownloadFailure(row!.downloadId!, 'the disk is full')).toBeNull();
    expect(notices).toHaveLength(1);

    const again = await exportBundle([threadId], 'incremental', 'download');
    expect(again).toMatchObject({ ok: true, messages: 2 });
    // The new bundle does not build on the one nobody has.
    expect((await db.threads.get(threadId))!.bundles).toHaveLength(1);
  });

  it('interrupted before the export was recorded: the export fails plainly and its messages stay pending', async () => {
    const threadId = await captured();
    failing.set(nextDownload, 'the download was cancelled');
    const r = await exportBundle([threadId], 'full', 'download');
    expect(r.ok).toBe(false);
    expect(r.error).toBe("export failed: the download failed: the download was cancelled; nothing was saved to Downloads, and the bundle's messages count as not exported");
    expect((await db.exports.where('threadIds').equals(threadId).first())!.downloadFailed?.reason).toBe('the download was cancelled');
    expect(await exportBundle([threadId], 'incremental', 'download')).toMatchObject({ ok: true, messages: 2 });
  });

  it('an export with a receipt, or a download that is not an export, is left alone', async () => {
    const threadId = await captured();
    const done = await exportBundle([threadId], 'full', 'download');
    const [row] = await db.exports.where('threadIds').equals(threadId).toArray();
    await db.exports.update(row!.id!, { receipt: { receiptId: 'r-1' } });
    expect(await recordDownloadFailure(row!.downloadId!, 'the disk is full')).toBeNull();
    expect(await recordDownloadFailure(99_999, 'the disk is full')).toBeNull();
    expect((await db.exports.get(row!.id!))!.downloadFailed).toBeUndefined();
    expect((await db.threads.get(threadId))!.bundles).toEqual([row!.externalIdentifier]);
    expect(done.ok).toBe(true);
    expect(notices).toEqual([]);
  });
});

describe('a bundle whose upload the records system refused', () => {
  it('counts as carrying nothing until it is retried, so an incremental export does not skip its messages', async () => {
    const threadId = await captured();
    const settings = { ...(await loadSettings()), endpoint: { url: 'https://records.example', token: 't' } };
    const answers: Response[] = [];
    vi.stubGlobal('fetch', async () => answers.shift() ?? new Response('{}', { status: 503 }));
    try {
      answers.push(new Response(JSON.stringify({ accepted: false, error: 'the bundle is too large' }), { status: 413 }));
      const first = await exportBundle([threadId], 'incremental', 'upload', settings);
      expect(first).toMatchObject({ ok: true, messages: 2 });
      await processUploads();
      const [row] = await db.exports.where('threadIds').equals(threadId).toArray();
      expect(row!.uploadRefused).toEqual({ at: expect.any(String), reason: 'the records system answered 413: the bundle is too large' });
      expect((await db.audit.toArray()).filter((e) => e.action === 'upload-refused').map((e) => e.details.exportId)).toEqual([row!.id]);

      // Nothing new was carried by a bundle that reached nobody: the messages go again.
      const again = await exportBundle([threadId], 'incremental', 'upload', settings);
      expect(again).toMatchObject({ ok: true, messages: 2 });
      await processUploads();

      // Retried (the server is down now: it stays queued), the refused bundle is on its way again
      // and counts as carried.
      await retryAll();
      expect((await db.uploads.where('exportId').equals(row!.id!).first())!.status).toBe('queued');
      expect((await db.exports.get(row!.id!))!.uploadRefused).toBeUndefined();
      expect(await exportBundle([threadId], 'incremental', 'upload', settings)).toMatchObject({ ok: false, error: expect.stringMatching(/nothing new to export/) });
    } finally {
      await processUploads();
      await db.uploads.clear();
      vi.unstubAllGlobals();
    }
  });
});

describe('an export under way, as the popup asks about it', () => {
  it('is known while it runs and keeps its result once done, for every thread it carries', async () => {
    const threadId = await captured();
    expect(exportState(threadId)).toBeNull();
    const running = exportBundle([threadId], 'full', 'download');
    expect(exportState(threadId)).toEqual({ since: expect.any(String), result: null });
    const result = await running;
    expect(result.ok).toBe(true);
    expect(exportState(threadId)).toEqual({ since: expect.any(String), result });
  });
});
