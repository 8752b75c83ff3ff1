/**
 * An act that changes the records and its audit entry are written together or not at all: a
 * purge, a recorded export, a receipt from the records system, a confirmed email. Here the audit
 * log's store refuses every write (as a full disk does; a worker stopped between two separate
 * writes leaves the same state as the second one failing): before, the act was kept and its entry
 * silently lost, so a purge could leave no trace. Now the act is not done, the user is told, and
 * once the log can be written again the act goes through with its entry.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../src/bundle/bag-writer';

vi.mock('webextension-polyfill', async () => {
  const { quietBrowser } = await import('../helpers/quiet-browser');
  return {
    default: {
      ...quietBrowser,
      runtime: { ...quietBrowser.runtime, getPlatformInfo: async () => ({}) },
      alarms: { create: async () => undefined, clear: async () => true },
    },
  };
});
/** Bundle files in memory instead of the Origin Private File System, which Node has not. */
vi.mock('../../src/background/bundle-files', () => {
  let n = 0;
  return {
    createBundleFile: async () => {
      const sink = new MemorySink();
      return { name: `b${n++}.zip`, sink, close: async () => undefined, abort: async () => undefined };
    },
    deleteBundleFile: async () => undefined,
    bundleFile: async () => new Blob(['zip']),
    writeBundleFile: async () => 'draft.eml',
  };
});
vi.mock('../../src/background/download', () => ({ downloadBundleFile: async () => 41, downloadFailure: async () => null, downloadFailedMessage: (r: string) => r }));

const { db } = await import('../../src/background/context');
const { confirmEmailSent, exportBundle, markForwarded } = await import('../../src/background/exporter');
const { handlePopup } = await import('../../src/background/handlers');
const { processUploads } = await import('../../src/background/uploads');
const { loadSettings } = await import('../../src/background/settings');
const { capturedThread, exportRow } = await import('./factories');

const realAdd = IDBObjectStore.prototype.add;
// The exporter names the browser in the bag (Software-Agent); Node 20 has no navigator.
if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'Node test' }, configurable: true });

/** From now on every new row of `store` (the audit log, unless named) fails as a full disk does; other stores still write. */
function refuseAuditWrites(store = 'audit'): void {
  IDBObjectStore.prototype.add = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['add']>) {
    if (this.name === store) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return realAdd.apply(this, args);
  };
}

function allowAuditWrites(): void {
  IDBObjectStore.prototype.add = realAdd;
}

afterEach(allowAuditWrites);

let n = 0;
/** A captured thread of two messages; returns its id. */
const captured = (): Promise<string> => capturedThread(db, `chat-${n++}`);

async function entries(action: string, threadId?: string): Promise<Record<string, unknown>[]> {
  return (await db.audit.toArray()).filter((e) => e.action === action && (threadId === undefined || e.details.threadId === threadId)).map((e) => e.details);
}

async function carriedBy(threadId: string, receipt: Record<string, unknown> | null, route: 'download' | 'email' = 'download'): Promise<number> {
  const rows = await db.messages.where('threadId').equals(threadId).toArray();
  return (await db.exports.add(exportRow(rows.map((m) => [threadId, m.messageId, m.versionCount]), receipt, [threadId], { route }))) as number;
}

describe('an act and its audit entry', () => {
  it('a purge that cannot be audited removes nothing, says so, and goes through once it can', async () => {
    const threadId = await captured();
    await markForwarded(await carriedBy(threadId, null), { receiptId: 'r-1' });

    refuseAuditWrites();
    const refused = (await handlePopup({ type: 'popup/purge', threadId })) as { ok: boolean; error?: string };
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/^nothing was purged: the browser has no more storage space for Threadkeeper/);
    expect(await db.threads.get(threadId)).toBeDefined();
    expect(await db.messages.where('threadId').equals(threadId).count()).toBe(2);
    expect(await db.versions.where('threadId').equals(threadId).count()).toBe(2);

    allowAuditWrites();
    expect(await handlePopup({ type: 'popup/purge', threadId })).toMatchObject({ ok: true, messages: 2 });
    expect(await db.messages.where('threadId').equals(threadId).count()).toBe(0);
    expect(await entries('purge', threadId)).toEqual([expect.objectContaining({ threadId, messages: 2 })]);
  });

  it('an export that cannot be audited is not recorded: the user is told, and its messages stay pending', async () => {
    const threadId = await captured();
    refuseAuditWrites();
    const failed = await exportBundle([threadId], 'full', 'download');
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/was made and handed to Downloads, but it could not be recorded as exported: the browser has no more storage space.*\. Its messages count as not exported: export again/);
    expect(await db.exports.where('threadIds').equals(threadId).count()).toBe(0);
    expect((await db.threads.get(threadId))!.bundles).toEqual([]);

    allowAuditWrites();
    const done = await exportBundle([threadId], 'full', 'download');
    expect(done.ok).toBe(true);
    const [row] = await db.exports.where('threadIds').equals(threadId).toArray();
    expect(row).toMatchObject({ bagName: done.bagName, downloadId: 41 });
    expect((await db.threads.get(threadId))!.bundles).toEqual([row!.externalIdentifier]);
    expect(await entries('export', threadId)).toEqual([expect.objectContaining({ exportId: row!.id, bagName: done.bagName, messages: 2 })]);
  });

  it('an export for upload whose queue row cannot be written is not recorded: nothing counts as carried that nothing will send', async () => {
    const threadId = await captured();
    const settings = { ...(await loadSettings()), endpoint: { url: 'https://records.example', token: 't' } };
    refuseAuditWrites('uploads');
    const failed = await exportBundle([threadId], 'full', 'upload', settings);
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/could not be recorded as exported: the browser has no more storage space/);
    expect(await db.exports.where('threadIds').equals(threadId).count()).toBe(0);
    expect(await entries('export', threadId)).toEqual([]);

    allowAuditWrites();
    vi.stubGlobal('fetch', async () => new Response('down', { status: 503 }));
    try {
      const done = await exportBundle([threadId], 'full', 'upload', settings);
      expect(done).toMatchObject({ ok: true, note: 'queued for upload to the records system' });
      const [row] = await db.exports.where('threadIds').equals(threadId).toArray();
      expect(await db.uploads.where('exportId').equals(row!.id!).count()).toBe(1);
    } finally {
      // The queue the export started runs to its end, and its row goes, before the next test.
      await processUploads();
      await db.uploads.clear();
      vi.unstubAllGlobals();
    }
  });

  it('an email confirmation that cannot be audited does not count the messages as forwarded', async () => {
    const threadId = await captured();
    const exportId = await carriedBy(threadId, null, 'email');
    refuseAuditWrites();
    await expect(confirmEmailSent(exportId)).rejects.toThrow();
    expect((await db.exports.get(exportId))!.receipt).toBeNull();

    allowAuditWrites();
    expect(await confirmEmailSent(exportId)).toBe(true);
    expect((await db.exports.get(exportId))!.receipt).toMatchObject({ kind: 'email-confirmed-by-user' });
    expect(await entries('email-confirmed')).toContainEqual({ exportId, bagName: 'b' });
  });

  it('a receipt that cannot be audited is not recorded; the upload is sent again and its receipt then kept with its entry', async () => {
    const threadId = await captured();
    const exportId = await carriedBy(threadId, null);
    const sha256 = 'c'.repeat(64);
    await db.uploads.add({
      id: sha256, exportId, bagName: 'b', sha256, keyThumbprint: 'k', file: 'b0.zip', endpoint: 'https://records.example',
      status: 'queued', attempts: 0, nextAttemptAt: 0, lastError: null, receipt: null, createdAt: '2026-11-27T10:00:00.000Z',
    });
    const posts: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      posts.push(url);
      return new Response(JSON.stringify({ accepted: true, receiptId: 'r-77', bundleSha256: sha256, keyThumbprint: 'k' }), { status: 201 });
    });
    try {
      refuseAuditWrites();
      await expect(processUploads()).rejects.toThrow();
      expect((await db.exports.get(exportId))!.receipt).toBeNull();
      expect((await db.uploads.get(sha256))!.status).toBe('sending');

      allowAuditWrites();
      await processUploads();
      expect(posts).toEqual(['https://records.example/v1/bundles', 'https://records.example/v1/bundles']);
      expect((await db.exports.get(exportId))!.receipt).toMatchObject({ receiptId: 'r-77' });
      expect((await db.uploads.get(sha256))!.status).toBe('done');
      expect(await entries('upload-receipt')).toContainEqual({ exportId, bagName: 'b', sha256, receiptId: 'r-77' });
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
