// @vitest-environment happy-dom
/**
 * An action whose answer never came (the service worker stopped while it handled it; the polyfill
 * resolves that as `undefined`, and `ask` rejects with STOPPED_BEFORE_ANSWER): the popup and the
 * dashboard find out what happened and say it, instead of "look again" (or, in the dashboard,
 * nothing at all: its purge and export buttons did not catch the rejection).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import type { ExportJob, ExportView, TabStatus, ThreadDeadline } from '../../src/shared/protocol';
import { mount, settle, shown, unmount } from '../helpers/preact';

vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/scripted-browser')).scriptedBrowser }));
const { scripted } = await import('../helpers/scripted-browser');
const asked = scripted.asked;
const { Popup } = await import('../../src/ui/popup/popup');
const { Dashboard } = await import('../../src/ui/dashboard/dashboard');

const THREAD = 'whatsapp:1@g.us';
const status: TabStatus = {
  kind: 'messenger', adapter: 'whatsapp', adapterName: 'WhatsApp Web', conversationOpen: true, thread: { threadId: THREAD, title: 'Permits', participants: 3 },
  readError: null, stored: { messages: 3, attachments: 0 }, autoCapturing: false, canPreservePage: true, exportState: null,
};
const thread: ThreadDeadline = { threadId: THREAD, platform: 'whatsapp', title: 'Permits', messages: 3, notForwarded: 0, earliestDeadline: null, state: 'forwarded', daysLeft: null };

/** An export row as the background lists it; `at` is set relative to now (ms). */
function exportView(at: number, over: Partial<ExportView> = {}): ExportView {
  return {
    id: 1, at: new Date(Date.now() + at).toISOString(), bagName: 'threadkeeper-whatsapp-abc', fileName: 'threadkeeper-whatsapp-abc.zip', route: 'download', scope: 'full',
    messages: 3, threadIds: [THREAD], upload: null, receipt: null, downloadFailed: null, ...over,
  };
}

async function click(root: HTMLElement, label: string): Promise<void> {
  const button = [...root.querySelectorAll('button')].find((b) => b.textContent?.trim() === label || b.getAttribute('aria-label') === label);
  if (!button) throw new Error(`no button ${label}; the page says: ${root.textContent}`);
  await act(() => button.click());
  await settle();
}

afterEach(async () => {
  await unmount();
  asked.length = 0;
  vi.unstubAllGlobals();
});

describe('the popup, when an export goes unanswered', () => {
  it('says the bundle was recorded and handed to Downloads when it was', async () => {
    // An older export of the thread, and the one recorded after the click.
    scripted.script = { 'popup/status': [status], 'popup/threads': [[]], 'popup/export': [undefined], 'popup/exports': [[exportView(60_000, { id: 2, fileName: 'threadkeeper-whatsapp-new.zip' }), exportView(-3_600_000)]] };
    const root = await mount(<Popup />);
    await click(root, 'Export bundle');
    const outcome = await shown(root, '[data-testid="export-outcome"]');
    expect(outcome.getAttribute('role')).toBe('status');
    expect(outcome.textContent).toBe("Threadkeeper's background stopped as it finished, after the bundle was recorded: threadkeeper-whatsapp-new.zip (3 messages) was handed to Downloads. If it is not in your Downloads, export again.");
    expect(asked).toContain('popup/exports');
  });

  it('says no bundle was recorded when none was since the click (an older one does not count)', async () => {
    scripted.script = { 'popup/status': [status], 'popup/threads': [[]], 'popup/export': [undefined], 'popup/exports': [[exportView(-60_000), exportView(60_000, { threadIds: ['whatsapp:other@g.us'] })]] };
    const root = await mount(<Popup />);
    await click(root, 'Export bundle');
    const outcome = await shown(root, '[data-testid="export-outcome"]');
    expect(outcome.getAttribute('role')).toBe('alert');
    expect(outcome.textContent).toMatch(/stopped before the export was recorded: no bundle was recorded, and everything kept is still here\. Export again\./);
  });
});

describe('the popup, reopened while an export of its thread is under way', () => {
  const since = new Date(Date.now() - 5_000).toISOString();
  const underWay: TabStatus = { ...status, exportState: { since, result: null } };

  it('says so, keeps Export bundle disabled, and shows the result when it ends', async () => {
    const result = { ok: true, threadIds: [THREAD], fileName: 'threadkeeper-whatsapp-done.zip', messages: 3, attachments: 0, keyThumbprint: 'K1' };
    scripted.script = { 'popup/status': [underWay, underWay, underWay, { ...status, exportState: { since, result } }], 'popup/threads': [[]] };
    const root = await mount(<Popup />);
    expect((await shown(root, '[data-testid="exporting"]')).textContent).toMatch(/^An export of this conversation is under way \(started .+\): signing and packaging the bundle… You can close this popup; the export goes on\.$/);
    const button = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Export bundle')!;
    expect(button.disabled).toBe(true);
    const saved = await shown(root, '[data-testid="export-result"]');
    expect(saved.textContent).toMatch(/^Saved threadkeeper-whatsapp-done\.zip to Downloads: 3 messages, 0 attachments, signed by key K1\.$/);
    expect(root.querySelector('[data-testid="exporting"]')).toBeNull();
    expect(button.disabled).toBe(false);
  });

  it('when the worker stopped meanwhile (its export gone with it), says whether a bundle was recorded', async () => {
    scripted.script = { 'popup/status': [underWay, { ...status, exportState: null }], 'popup/threads': [[]], 'popup/exports': [[exportView(-1_000)]] };
    const root = await mount(<Popup />);
    const outcome = await shown(root, '[data-testid="export-outcome"]');
    expect(outcome.textContent).toMatch(/after the bundle was recorded: threadkeeper-whatsapp-abc\.zip \(3 messages\) was handed to Downloads/);
  });
});

describe('the dashboard, when an action goes unanswered', () => {
  async function dashboard(answers: Record<string, unknown[]>): Promise<HTMLElement> {
    vi.stubGlobal('confirm', () => true);
    scripted.script = { 'popup/exports': [[]], 'popup/job': [null], ...answers };
    return mount(<Dashboard />);
  }

  it('a purge: says it was done when the thread is gone', async () => {
    const root = await dashboard({ 'popup/threads': [[thread], []], 'popup/purge': [undefined] });
    await click(root, 'Purge Permits');
    const message = await shown(root, '[data-testid="dashboard-message"]');
    expect(message.getAttribute('role')).toBe('status');
    expect(message.textContent).toMatch(/^Purged “.Permits.” \(the background stopped as it finished/);
  });

  it('a purge: says nothing was removed when the thread is still there', async () => {
    const root = await dashboard({ 'popup/threads': [[thread]], 'popup/purge': [undefined] });
    await click(root, 'Purge Permits');
    const message = await shown(root, '[data-testid="dashboard-message"]');
    expect(message.getAttribute('role')).toBe('alert');
    expect(message.textContent).toMatch(/stopped before the purge was done: nothing of “.Permits.” was removed\. Try again\./);
  });

  it('an export of one thread: says whether it was recorded', async () => {
    const root = await dashboard({ 'popup/threads': [[thread]], 'popup/export': [undefined], 'popup/exports': [[], [exportView(60_000)]] });
    await click(root, 'Export Permits');
    expect((await shown(root, '[data-testid="dashboard-message"]')).textContent).toMatch(/after the bundle was recorded: threadkeeper-whatsapp-abc\.zip \(3 messages\) was handed to Downloads/);
  });

  it('an export that failed otherwise says why, as before', async () => {
    const root = await dashboard({ 'popup/threads': [[thread]] });
    scripted.script['popup/export'] = [{ ok: false, threadIds: [THREAD], error: 'export failed: no more storage space' }];
    await click(root, 'Export Permits');
    expect((await shown(root, '[data-testid="dashboard-message"]')).textContent).toBe('export failed: no more storage space');
  });

  it('a bulk export: says nothing was exported when no job started since the click', async () => {
    const old: ExportJob = { id: 'j0', status: 'done', total: 1, done: 1, startedAt: new Date(Date.now() - 3_600_000).toISOString(), results: [] };
    const root = await dashboard({ 'popup/threads': [[{ ...thread, notForwarded: 3, state: 'due' }]], 'popup/bulk-export': [undefined], 'popup/job': [old] });
    await click(root, 'Export everything pending');
    expect((await shown(root, '[data-testid="dashboard-message"]')).textContent).toMatch(/stopped before the export started: nothing was exported\. Start it again\./);
  });

  it('"Mark as sent" unanswered: says whether the email was marked', async () => {
    const draft = exportView(-60_000, { id: 5, route: 'email', fileName: 'threadkeeper-whatsapp-mail.zip' });
    const root = await dashboard({ 'popup/threads': [[thread]], 'popup/exports': [[draft], [{ ...draft, receipt: { kind: 'email-confirmed-by-user' } }]], 'popup/confirm-email': [undefined] });
    await click(root, 'Mark as sent');
    const message = await shown(root, '[data-testid="dashboard-message"]');
    expect(message.getAttribute('role')).toBe('status');
    expect(message.textContent).toBe('threadkeeper-whatsapp-mail.zip is marked as sent (the background stopped as it finished).');
  });

  it('"Mark as sent" refused, and "Retry uploads now" unanswered: each says so', async () => {
    const draft = exportView(-60_000, { id: 5, route: 'email', fileName: 'threadkeeper-whatsapp-mail.zip' });
    const root = await dashboard({ 'popup/threads': [[thread]], 'popup/exports': [[draft]], 'popup/confirm-email': [{ ok: false }], 'popup/retry-uploads': [undefined] });
    await click(root, 'Mark as sent');
    expect((await shown(root, '[data-testid="dashboard-message"]')).textContent).toBe('threadkeeper-whatsapp-mail.zip was not marked as sent: it is marked already, or its draft never reached Downloads.');
    await click(root, 'Retry uploads now');
    expect((await shown(root, '[data-testid="dashboard-message"]')).textContent).toMatch(/^Threadkeeper's background stopped before it answered.*\. Uploads not yet received stay queued\.$/);
  });
});
