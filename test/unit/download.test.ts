/**
 * Downloads from bundle files (src/background/download.ts) against fake extension APIs: a
 * download reported ended twice (its onChanged, and the check right after it started) is cleaned
 * up once; a download ending while the next one starts never closes the offscreen document the
 * next one uses; the document closes when the last download ends.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const session: Record<string, unknown> = {};
const states = new Map<number, string>();
let nextId = 1;
let finishAtOnce = false;
/** The state a download started with finishAtOnce ends in, and Chrome's reason when interrupted. */
let endAtOnce: { state: string; error?: string } = { state: 'complete' };
const errors = new Map<number, string>();
const deleted: string[] = [];
const log: string[] = [];
let open = false;

vi.mock('webextension-polyfill', () => ({
  default: {
    storage: {
      session: {
        get: async (key: string) => ({ [key]: structuredClone(session[key]) }),
        set: async (items: Record<string, unknown>) => void Object.assign(session, structuredClone(items)),
      },
    },
    downloads: {
      download: async () => {
        const id = nextId++;
        states.set(id, finishAtOnce ? endAtOnce.state : 'in_progress');
        if (finishAtOnce && endAtOnce.error) errors.set(id, endAtOnce.error);
        log.push(`download ${id}`);
        return id;
      },
      search: async ({ id }: { id: number }) => (states.has(id) ? [{ id, state: states.get(id), error: errors.get(id) }] : []),
    },
  },
}));
vi.mock('../../src/background/bundle-files', () => ({
  deleteBundleFile: async (name: string) => void deleted.push(name),
  deleteBundleFilesExcept: async () => [],
}));

(globalThis as Record<string, unknown>).chrome = {
  runtime: {
    ContextType: { OFFSCREEN_DOCUMENT: 'OFFSCREEN_DOCUMENT' },
    getContexts: async () => (open ? [{ contextType: 'OFFSCREEN_DOCUMENT' }] : []),
    sendMessage: async (m: { type: string; file: string }) => {
      // A closed document has no listener: Chrome rejects, as a closing one would.
      if (!open) throw new Error('Could not establish connection. Receiving end does not exist.');
      log.push(`${m.type} ${m.file}`);
      return m.type === 'offscreen/blob-url' ? { ok: true, url: `blob:chrome-extension://x/${m.file}` } : { ok: true };
    },
  },
  offscreen: {
    Reason: { BLOBS: 'BLOBS' },
    createDocument: async () => {
      if (open) throw new Error('Only a single offscreen document may be created.');
      open = true;
      log.push('create');
    },
    closeDocument: async () => {
      open = false;
      log.push('close');
    },
  },
};

const { downloadBundleFile, interruptedReason, onDownloadChanged, whenDownloadFails } = await import('../../src/background/download');
const failures: [number, string][] = [];
whenDownloadFails(async (id, reason) => void failures.push([id, reason]));
const settle = () => new Promise((r) => setTimeout(r, 10));

beforeEach(() => {
  for (const k of Object.keys(session)) delete session[k];
  states.clear();
  deleted.length = 0;
  log.length = 0;
  finishAtOnce = false;
  endAtOnce = { state: 'complete' };
  errors.clear();
  failures.length = 0;
  open = false;
});

describe('downloading a bundle file', () => {
  it('cleans up a download that ended before it was recorded once, though it is reported twice', async () => {
    finishAtOnce = true;
    const started = downloadBundleFile('a.zip', 'bundle.zip');
    // Its onChanged arrives while downloadBundleFile is still recording it.
    await Promise.resolve();
    onDownloadChanged({ id: 1, state: { current: 'complete' } } as never);
    expect(await started).toBe(1);
    await settle();
    expect(deleted).toEqual(['a.zip']);
    expect(log).toEqual(['create', 'offscreen/blob-url a.zip', 'download 1', 'offscreen/revoke a.zip', 'close']);
    expect(session.pendingDownloads).toEqual({});
  });

  it('keeps the document open while another download runs, and closes it after the last', async () => {
    const first = await downloadBundleFile('a.zip', 'a.zip');
    // The first ends just as the second starts: the second must still reach the document.
    const second = downloadBundleFile('b.zip', 'b.zip');
    states.set(first, 'complete');
    onDownloadChanged({ id: first, state: { current: 'complete' } } as never);
    const id2 = await second;
    await settle();
    expect(open).toBe(true);
    expect(deleted).toEqual(['a.zip']);
    states.set(id2, 'interrupted');
    onDownloadChanged({ id: id2, state: { current: 'interrupted' } } as never);
    await settle();
    expect(open).toBe(false);
    expect(deleted).toEqual(['a.zip', 'b.zip']);
    expect(log.filter((l) => l === 'create')).toHaveLength(1);
    // Another extension's download, or a state change that is not an end, is not ours to clean.
    onDownloadChanged({ id: 99, state: { current: 'complete' } } as never);
    onDownloadChanged({ id: id2, paused: { current: true } } as never);
    await settle();
    expect(deleted).toEqual(['a.zip', 'b.zip']);
  });

  it('reports an interrupted download to the failure listener, in plain words, after cleaning up; a completed one is not reported', async () => {
    const a = await downloadBundleFile('a.zip', 'a.zip');
    const b = await downloadBundleFile('b.zip', 'b.zip');
    states.set(a, 'complete');
    onDownloadChanged({ id: a, state: { current: 'complete' } } as never);
    states.set(b, 'interrupted');
    onDownloadChanged({ id: b, state: { current: 'interrupted' }, error: { current: 'FILE_NO_SPACE' } } as never);
    await settle();
    expect(deleted).toEqual(['a.zip', 'b.zip']);
    expect(failures).toEqual([[b, 'the disk is full']]);
    // Reported once, however many times Chrome says it.
    onDownloadChanged({ id: b, state: { current: 'interrupted' }, error: { current: 'FILE_NO_SPACE' } } as never);
    await settle();
    expect(failures).toHaveLength(1);
  });

  it('fails the start of a download that is interrupted at once, and cleans it up', async () => {
    finishAtOnce = true;
    endAtOnce = { state: 'interrupted', error: 'FILE_ACCESS_DENIED' };
    await expect(downloadBundleFile('a.zip', 'bundle.zip')).rejects.toThrow("the download failed: the Downloads folder cannot be written to; nothing was saved to Downloads, and the bundle's messages count as not exported");
    expect(deleted).toEqual(['a.zip']);
    expect(session.pendingDownloads).toEqual({});
    expect(failures).toEqual([[expect.any(Number), 'the Downloads folder cannot be written to']]);
  });

  it('names a reason it does not know as Chrome gives it', () => {
    expect(interruptedReason('USER_CANCELED')).toBe('the download was cancelled');
    expect(interruptedReason('SERVER_FORBIDDEN')).toBe('the download was interrupted (Chrome says SERVER_FORBIDDEN)');
    expect(interruptedReason(undefined)).toBe('the download was interrupted');
  });
});
