/**
 * A capture is never shown as running forever: when the page has been quiet about it, the next
 * look asks the page, and records what the page says — or closes it when nobody answers.
 */
import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

let answer: () => Promise<unknown> = async () => undefined;
const asked: { tabId: number; message: unknown; frameId?: number }[] = [];
vi.mock('webextension-polyfill', async () => ({
  default: {
    ...(await import('../helpers/quiet-browser')).quietBrowser,
    tabs: {
      sendMessage: async (tabId: number, message: unknown, options?: { frameId?: number }) => {
        asked.push({ tabId, message, frameId: options?.frameId });
        return answer();
      },
    },
  },
}));

const { db } = await import('../../src/background/context');
const { view, QUIET_MS, startManual } = await import('../../src/background/captures');
const { adapterById } = await import('../../src/adapters/registry');
const { captureRow } = await import('./factories');

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

beforeEach(async () => {
  await db.captures.clear();
  asked.length = 0;
});

async function running(startedAgo: number, over: Record<string, unknown> = {}) {
  await db.captures.add({ ...captureRow('c1'), tabId: 7, frameId: 3, mode: 'manual', status: 'running', startedAt: ago(startedAgo), appliedSeqs: [0], ...over });
}

describe('a running capture the page is quiet about', () => {
  it('is not asked about while the page reports', async () => {
    await running(QUIET_MS * 4, { lastActivityAt: ago(1000) });
    expect((await view(7))!.status).toBe('running');
    expect(asked).toEqual([]);
  });

  it('stays running when the page says it still runs, and is not asked again at once', async () => {
    await running(QUIET_MS * 2);
    answer = async () => ({ ok: true, running: true });
    expect((await view(7))!.status).toBe('running');
    expect(asked).toEqual([{ tabId: 7, frameId: 3, message: { type: 'bg/alive', captureId: 'c1' } }]);
    await view(7);
    expect(asked).toHaveLength(1);
  });

  it('records the end the page reports when its end message was lost', async () => {
    await running(QUIET_MS * 2);
    answer = async () => ({ ok: true, running: false, end: { type: 'content/capture-end', captureId: 'c1', adapter: 'whatsapp', reason: 'beginning', detail: null, selector: null } });
    expect(await view(7)).toMatchObject({ status: 'complete', reachedBeginning: true });
  });

  it('is closed, keeping what was acknowledged, when the page knows nothing of it or does not answer', async () => {
    await running(QUIET_MS * 2);
    answer = async () => ({ ok: false });
    expect(await view(7)).toMatchObject({ status: 'incomplete', reachedBeginning: false, reason: expect.stringMatching(/the page stopped reporting on this capture/) });
    await db.captures.clear();
    await running(QUIET_MS * 2, { appliedSeqs: [] });
    answer = async () => { throw new Error('Could not establish connection. Receiving end does not exist.'); };
    expect((await view(7))!.status).toBe('failed');
  });

  it('does not take a malformed answer for an end', async () => {
    await running(QUIET_MS * 2);
    answer = async () => ({ ok: true, running: false, end: { type: 'content/capture-end', captureId: 'c1', adapter: 'whatsapp', reason: 'all done, trust me', detail: null, selector: null } });
    expect(await view(7)).toMatchObject({ status: 'incomplete', reason: expect.stringMatching(/stopped reporting/) });
  });
});

describe('starting a capture in a page that goes away as it answers', () => {
  it('closes the record with a plain reason instead of leaving it running (the port closed unanswered: undefined)', async () => {
    answer = async () => undefined;
    vi.stubGlobal('navigator', { userAgent: 'test' }); // a capture row names the browser
    const started = await startManual({ tabId: 7, frameId: 0, pageUrl: 'https://web.whatsapp.com/', adapter: adapterById('whatsapp')! });
    expect(started).toEqual({ ok: false, error: 'the WhatsApp Web tab did not answer (it was reloaded or left as the capture started); reload it and try again', selector: undefined });
    const [row] = await db.captures.toArray();
    expect(row).toMatchObject({ status: 'failed', error: started.ok ? null : started.error });
  });
});
