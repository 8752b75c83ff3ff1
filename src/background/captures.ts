/**
 * Capture records: started by the popup (manual, whole history) or by a page in auto mode,
 * advanced by the content script's progress and end messages, and closed by the browser's own
 * life cycle (tab closed, page navigated away, worker restarted). All state is in IndexedDB,
 * so a stopped service worker loses nothing: the next message finds the same record.
 */
import browser from 'webextension-polyfill';
import type { CaptureRow } from '../db/schema';
import { contentEndSchema, type AliveAnswer, type BackgroundToContent, type CaptureLimits, type CaptureView, type ContentEnd, type ContentPreserveStart, type ContentProgress, type EndReason, type PreserveStart } from '../shared/protocol';
import { parse } from '../shared/schema';
import type { Adapter } from '../adapters/types';
import { audit, db } from './context';
import { loadSettings } from './settings';
import { setBadge } from './badge';
import { refreshReminders } from './reminders';
import { dropStagedParts } from './blob-parts';

export const DEFAULT_LIMITS: CaptureLimits = { idleTimeoutMs: 20_000, hiddenTimeoutMs: 120_000, maxDurationMs: 60 * 60_000 };

const REASON_WORDS: Record<EndReason, string> = {
  beginning: 'reached the beginning of the conversation',
  'visible-only': 'only the messages loaded on the page were captured',
  cancelled: 'cancelled by the user',
  'history-refused': 'the messenger did not load older messages',
  'timed-out': 'nothing older arrived in time',
  'tab-hidden': 'the tab stayed in the background',
  budget: 'the time budget for one capture ran out',
  'layout-changed': 'the page layout could not be read',
  error: 'an error stopped the capture',
};

/** Where a capture runs: a tab, and the frame in it (0: the tab's own page). */
export interface Target {
  tabId: number;
  frameId: number;
  pageUrl: string;
  adapter: Adapter;
}

const frameOf = (c: CaptureRow): number => c.frameId ?? 0;

function newCapture({ tabId, frameId, pageUrl, adapter }: Target, mode: CaptureRow['mode']): CaptureRow {
  return {
    id: crypto.randomUUID(),
    threadId: null,
    tabId,
    frameId,
    pageUrl,
    adapter: adapter.id,
    mode,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    reachedBeginning: false,
    incompleteReason: null,
    error: null,
    extensionVersion: browser.runtime.getManifest().version,
    browser: navigator.userAgent,
    appliedSeqs: [],
    phase: 'reading',
    oldestSentAt: null,
    endReason: null,
    selector: null,
    counts: { messages: 0, events: 0, newMessages: 0, newEvents: 0, newVersions: 0, attachments: 0, attachmentsMissing: 0 },
  };
}

export async function runningCapture(tabId: number, mode?: CaptureRow['mode'], frameId?: number): Promise<CaptureRow | undefined> {
  const rows = await db.captures
    .where('tabId')
    .equals(tabId)
    .filter((c) => c.status === 'running' && (!mode || c.mode === mode) && (frameId === undefined || frameOf(c) === frameId))
    .toArray();
  return rows.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0];
}

/** Close a capture, once. A capture that kept something is incomplete, never "failed". */
export async function finishCapture(id: string, reason: EndReason, detail: string | null, selector: string | null = null): Promise<void> {
  const closed = await db.transaction('rw', db.captures, async () => {
    const c = await db.captures.get(id);
    if (!c || c.status !== 'running') return null;
    const kept = c.appliedSeqs.length > 0;
    const status: CaptureRow['status'] = reason === 'beginning' ? 'complete' : kept ? 'incomplete' : 'failed';
    const words = detail ?? REASON_WORDS[reason];
    await db.captures.update(id, {
      status,
      finishedAt: new Date().toISOString(),
      phase: null,
      endReason: reason,
      reachedBeginning: reason === 'beginning',
      incompleteReason: reason === 'beginning' ? null : words,
      error: ['layout-changed', 'error'].includes(reason) || (!kept && reason !== 'cancelled') ? words : null,
      selector,
    });
    return { ...c, status };
  });
  if (closed) {
    // Parts of an attachment it never finished sending (a worker stopped here leaves them to
    // dropStaleParts at the next start).
    await dropStagedParts(db, id).catch(() => undefined);
    await audit('capture-finished', { captureId: id, threadId: closed.threadId, mode: closed.mode, status: closed.status, reason, counts: closed.counts });
    // The tab's badge follows what is still running there.
    const still = (await runningCapture(closed.tabId, 'manual')) ? 'capturing' : (await runningCapture(closed.tabId, 'auto')) ? 'auto' : null;
    await setBadge(closed.tabId, still);
    await refreshReminders().catch(() => undefined);
  }
}

async function limits(): Promise<CaptureLimits> {
  const { captureLimits } = await browser.storage.local.get('captureLimits');
  const out = { ...DEFAULT_LIMITS };
  if (captureLimits && typeof captureLimits === 'object') {
    for (const key of Object.keys(out) as (keyof CaptureLimits)[]) {
      const v = (captureLimits as Record<string, unknown>)[key];
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = v;
    }
  }
  return out;
}

export async function startManual(target: Target): Promise<PreserveStart> {
  const { tabId, frameId, pageUrl, adapter } = target;
  const already = await runningCapture(tabId, 'manual');
  if (already) return { ok: true, captureId: already.id };
  const capture = newCapture(target, 'manual');
  await db.captures.add(capture);
  await audit('capture-started', { captureId: capture.id, pageUrl, adapter: adapter.id, mode: 'manual', ...(frameId !== 0 ? { frameId } : {}) });
  let answer: ContentPreserveStart | undefined;
  try {
    answer = (await browser.tabs.sendMessage(tabId, { type: 'bg/preserve', captureId: capture.id, limits: await limits() }, { frameId })) as ContentPreserveStart | undefined;
  } catch (err) {
    answer = { ok: false, error: `the ${adapter.name} tab did not answer (${err instanceof Error ? err.message : String(err)}); reload it and try again` };
  }
  // A page that went away while it answered closes the message port unanswered, which the
  // polyfill resolves as undefined: no capture runs there.
  answer ??= { ok: false, error: `the ${adapter.name} tab did not answer (it was reloaded or left as the capture started); reload it and try again` };
  if (!answer.ok) {
    await finishCapture(capture.id, answer.selector ? 'layout-changed' : 'error', answer.error, answer.selector ?? null);
    return { ok: false, error: answer.error, selector: answer.selector };
  }
  await setBadge(tabId, 'capturing');
  return { ok: true, captureId: capture.id };
}

export async function startAuto(target: Target): Promise<string | null> {
  const { tabId, frameId, pageUrl, adapter } = target;
  const settings = await loadSettings();
  if (!settings.autoCapture.includes(adapter.id)) return null;
  // One auto capture per page session (per frame, for messenger frames inside another site's
  // page): a reload ends the old one (tabs.onUpdated) first.
  const existing = await runningCapture(tabId, 'auto', frameId);
  if (existing && existing.pageUrl === pageUrl) return existing.id;
  if (existing) await finishCapture(existing.id, 'visible-only', 'automatic capture ended: the page changed');
  const capture = newCapture(target, 'auto');
  capture.phase = null;
  await db.captures.add(capture);
  await audit('capture-started', { captureId: capture.id, pageUrl, adapter: adapter.id, mode: 'auto' });
  await setBadge(tabId, 'auto');
  return capture.id;
}

/** Whether a capture record belongs to the tab and frame a content message came from. */
export function ownedBy(c: CaptureRow, tabId: number, frameId: number): boolean {
  return c.tabId === tabId && frameOf(c) === frameId;
}

export async function recordProgress(p: ContentProgress, tabId: number, frameId: number): Promise<void> {
  await db.captures
    .where('id')
    .equals(p.captureId)
    .filter((c) => ownedBy(c, tabId, frameId) && c.status === 'running')
    .modify({ phase: p.phase, oldestSentAt: p.oldestSentAt, lastActivityAt: new Date().toISOString() });
}

export async function recordEnd(e: ContentEnd, tabId: number, frameId: number): Promise<boolean> {
  const c = await db.captures.get(e.captureId);
  if (!c || !ownedBy(c, tabId, frameId)) return false;
  await finishCapture(e.captureId, e.reason, e.detail, e.selector);
  return true;
}

export async function cancel(tabId: number): Promise<boolean> {
  const c = await runningCapture(tabId, 'manual');
  if (!c) return false;
  try {
    const r = (await browser.tabs.sendMessage(tabId, { type: 'bg/cancel', captureId: c.id }, { frameId: frameOf(c) })) as { ok?: boolean };
    if (r?.ok) return true; // the content script will report the end itself
  } catch {
    /* the tab is gone: close the record here */
  }
  await finishCapture(c.id, 'cancelled', null);
  return true;
}

/** Running captures of a tab that closed or navigated away end here, keeping what they had. */
export async function tabGone(tabId: number, why: 'closed' | 'navigated'): Promise<void> {
  const rows = await db.captures.where('tabId').equals(tabId).filter((c) => c.status === 'running').toArray();
  for (const c of rows) {
    const detail = c.mode === 'auto'
      ? `automatic capture ended: the tab was ${why === 'closed' ? 'closed' : 'reloaded or left'}`
      : `the tab was ${why === 'closed' ? 'closed' : 'reloaded or navigated away'} before the capture finished; everything acknowledged is kept`;
    await finishCapture(c.id, c.mode === 'auto' ? 'visible-only' : 'error', detail);
  }
}

/** After a browser restart or worker update: captures whose tab no longer exists are closed. */
export async function reconcile(): Promise<void> {
  const running = await db.captures.where('status').equals('running').toArray();
  for (const c of running) {
    const alive = await browser.tabs.get(c.tabId).then(() => true, () => false);
    if (!alive) await tabGone(c.tabId, 'closed');
  }
}

/** After this long without word from the page, the popup's next look asks the page whether the capture still runs. */
export const QUIET_MS = 30_000;

/**
 * A running capture the page has been quiet about: ask the page. Still running — note it; ended
 * — record the end it reports (its end message was lost); no such capture or no answer (the
 * content script is gone) — close the record, keeping everything acknowledged. So a capture is
 * never shown as running forever.
 */
export async function checkQuiet(c: CaptureRow, now = Date.now()): Promise<void> {
  if (c.status !== 'running' || c.mode !== 'manual') return;
  if (now - Date.parse(c.lastActivityAt ?? c.startedAt) < QUIET_MS) return;
  const message: BackgroundToContent = { type: 'bg/alive', captureId: c.id };
  const answer = (await browser.tabs.sendMessage(c.tabId, message, { frameId: frameOf(c) }).catch(() => null)) as AliveAnswer | null | undefined;
  if (answer?.ok && answer.running) {
    await db.captures.update(c.id, { lastActivityAt: new Date(now).toISOString() });
    return;
  }
  const end = answer?.ok ? (() => { try { return parse(contentEndSchema, answer.end); } catch { return null; } })() : null;
  if (end && end.captureId === c.id) {
    await finishCapture(c.id, end.reason, end.detail, end.selector);
    return;
  }
  await finishCapture(c.id, 'error', 'the page stopped reporting on this capture (reloaded, or its content script was stopped); everything acknowledged is kept');
}

export async function view(tabId: number): Promise<CaptureView | null> {
  const latest = async () => (await db.captures.where('tabId').equals(tabId).filter((x) => x.mode === 'manual').toArray()).sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1))[0];
  let c = await latest();
  if (!c) return null;
  if (c.status === 'running') {
    await checkQuiet(c);
    c = (await latest())!;
  }
  const thread = c.threadId ? await db.threads.get(c.threadId) : undefined;
  return {
    captureId: c.id,
    status: c.status,
    phase: c.phase,
    threadTitle: thread?.title ?? null,
    threadId: c.threadId,
    messages: c.counts.messages,
    events: c.counts.events,
    attachments: c.counts.attachments - c.counts.attachmentsMissing,
    attachmentsMissing: c.counts.attachmentsMissing,
    truncated: c.counts.truncated ?? 0,
    newMessages: c.counts.newMessages,
    newVersions: c.counts.newVersions,
    oldestSentAt: c.oldestSentAt,
    reachedBeginning: c.reachedBeginning,
    reason: c.status === 'complete' ? null : c.incompleteReason ?? c.error,
    selector: c.selector,
  };
}
