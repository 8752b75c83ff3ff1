/** What the background does for each checked message. */
import browser from 'webextension-polyfill';
import type {
  BackgroundToContent,
  BatchAck,
  CaptureProgress,
  ContentPreserveResult,
  ContentRequest,
  ExportResult,
  PopupRequest,
  PreserveResult,
  ProbeResult,
  TabStatus,
} from '../shared/protocol';
import { adapterForUrl } from '../adapters/registry';
import { audit, db } from './context';
import { ingestBatch, IngestError, threadIdOf } from './ingest';
import { exportThreads } from './export';
import { getSigningKey, signerFor } from './signing-key';
import { loadSettings } from './settings';
import { bytesToBase64 } from '../shared/bytes';
import type { CaptureRow } from '../db/schema';

export const VISIBLE_ONLY_REASON =
  'only the messages loaded on the page were captured (scrolling back through the whole history is not implemented yet)';

function describeError(err: unknown): string {
  if (err instanceof DOMException && err.name === 'QuotaExceededError') {
    return 'the browser has no more storage space for Threadkeeper; free disk space, then preserve again (what was already kept is safe)';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

async function sendToTab<T>(tabId: number, message: BackgroundToContent): Promise<T> {
  return (await browser.tabs.sendMessage(tabId, message)) as T;
}

async function tabStatus(tabId: number): Promise<TabStatus> {
  const tab = await browser.tabs.get(tabId);
  const adapter = adapterForUrl(tab.url);
  if (!adapter) return { kind: 'unsupported', url: tab.url ?? null };
  let probe: ProbeResult;
  try {
    probe = await sendToTab<ProbeResult>(tabId, { type: 'bg/probe' });
  } catch {
    return { kind: 'no-content-script', adapter: adapter.id, adapterName: adapter.name };
  }
  if (!probe.ok) {
    return { kind: 'messenger', adapter: adapter.id, adapterName: adapter.name, conversationOpen: true, thread: null, readError: { selector: '', message: probe.error }, stored: null };
  }
  let thread: Extract<TabStatus, { kind: 'messenger' }>['thread'] = null;
  let stored: Extract<TabStatus, { kind: 'messenger' }>['stored'] = null;
  if (probe.thread) {
    const threadId = threadIdOf(adapter.id, probe.thread.threadKey);
    thread = { threadId, title: probe.thread.title, participants: probe.thread.participants.length };
    const messages = await db.messages.where('threadId').equals(threadId).filter((m) => m.type === 'message').count();
    if (messages > 0) {
      const hashes = new Set<string>();
      await db.versions.where('threadId').equals(threadId).each((v) => v.content.attachments.forEach((a) => a.sha256 && hashes.add(a.sha256)));
      stored = { messages, attachments: hashes.size };
    }
  }
  return { kind: 'messenger', adapter: adapter.id, adapterName: adapter.name, conversationOpen: probe.conversationOpen, thread, readError: probe.readError, stored };
}

async function preserve(tabId: number): Promise<PreserveResult> {
  const tab = await browser.tabs.get(tabId);
  const adapter = adapterForUrl(tab.url);
  if (!adapter || !tab.url) return { ok: false, error: 'this tab is not a supported messenger' };
  const capture: CaptureRow = {
    id: crypto.randomUUID(),
    threadId: null,
    tabId,
    pageUrl: tab.url,
    adapter: adapter.id,
    mode: 'manual',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    status: 'running',
    reachedBeginning: false,
    incompleteReason: null,
    error: null,
    extensionVersion: browser.runtime.getManifest().version,
    browser: navigator.userAgent,
    appliedSeqs: [],
    counts: { messages: 0, events: 0, newMessages: 0, newEvents: 0, newVersions: 0, attachments: 0, attachmentsMissing: 0 },
  };
  await db.captures.add(capture);
  await audit('capture-started', { captureId: capture.id, pageUrl: capture.pageUrl, adapter: adapter.id, mode: 'manual' });

  let result: ContentPreserveResult;
  try {
    result = await sendToTab<ContentPreserveResult>(tabId, { type: 'bg/preserve', captureId: capture.id });
  } catch (err) {
    result = { ok: false, error: `the ${adapter.name} tab stopped answering (${describeError(err)}); reload it and try again` };
  }
  const finished = (await db.captures.get(capture.id))!;
  const error = result.ok ? null : result.error;
  const update: Partial<CaptureRow> = {
    finishedAt: new Date().toISOString(),
    // A capture that stopped part-way keeps every acknowledged batch and says it is incomplete.
    status: error === null ? 'incomplete' : finished.appliedSeqs.length > 0 ? 'incomplete' : 'failed',
    reachedBeginning: false,
    incompleteReason: error === null ? VISIBLE_ONLY_REASON : `stopped: ${error}`,
    error,
  };
  await db.captures.update(capture.id, update);
  await audit('capture-finished', { captureId: capture.id, threadId: finished.threadId, status: update.status, counts: finished.counts, error: update.error });
  if (!result.ok) return { ok: false, error: result.error, selector: result.selector, captureId: capture.id };
  const thread = finished.threadId ? await db.threads.get(finished.threadId) : undefined;
  if (!thread || finished.counts.messages + finished.counts.events === 0) {
    // Never report an empty capture as a success.
    await db.captures.update(capture.id, { status: 'failed', error: 'no messages were read from the page' });
    return { ok: false, error: 'could not read any messages on this page', captureId: capture.id };
  }
  return {
    ok: true,
    summary: {
      captureId: capture.id,
      threadId: thread.id,
      threadTitle: thread.title,
      messages: finished.counts.messages,
      events: finished.counts.events,
      attachments: finished.counts.attachments - finished.counts.attachmentsMissing,
      attachmentsMissing: finished.counts.attachmentsMissing,
      newMessages: finished.counts.newMessages,
      newVersions: finished.counts.newVersions,
    },
  };
}

/** The newest capture of a tab, for the popup's progress line. */
async function progress(tabId: number): Promise<CaptureProgress | null> {
  const c = await db.captures.where('tabId').equals(tabId).reverse().sortBy('startedAt').then((rows) => rows[0]);
  return c ? { status: c.status, messages: c.counts.messages, newMessages: c.counts.newMessages } : null;
}

async function exportBundle(threadId: string): Promise<ExportResult> {
  try {
    const key = await getSigningKey(db);
    const settings = await loadSettings();
    const exported = await exportThreads(db, [threadId], {
      settings,
      signer: signerFor(key),
      softwareAgent: `Threadkeeper ${browser.runtime.getManifest().version} (${navigator.userAgent})`,
      now: new Date(),
    });
    // A service worker has no URL.createObjectURL; a data: URL downloads without a dialog.
    const downloadId = await browser.downloads.download({
      url: `data:application/zip;base64,${bytesToBase64(exported.bundle.zip)}`,
      filename: exported.fileName,
      saveAs: false,
      conflictAction: 'uniquify',
    });
    await db.exports.add({
      at: new Date().toISOString(),
      bagName: exported.bundle.bagName,
      fileName: exported.fileName,
      sha256: exported.bundle.sha256,
      keyThumbprint: exported.bundle.keyThumbprint,
      threadIds: [threadId],
      messages: exported.messages,
      attachments: exported.attachments,
      downloadId,
    });
    await audit('export', { threadIds: [threadId], bagName: exported.bundle.bagName, sha256: exported.bundle.sha256, downloadId });
    return {
      ok: true,
      fileName: exported.fileName,
      bagName: exported.bundle.bagName,
      sha256: exported.bundle.sha256,
      keyThumbprint: exported.bundle.keyThumbprint,
      messages: exported.messages,
      attachments: exported.attachments,
    };
  } catch (err) {
    await audit('export-failed', { threadIds: [threadId], error: describeError(err) });
    return { ok: false, error: `export failed: ${describeError(err)}` };
  }
}

export async function handlePopup(message: PopupRequest): Promise<unknown> {
  switch (message.type) {
    case 'popup/status':
      return tabStatus(message.tabId);
    case 'popup/preserve':
      return preserve(message.tabId);
    case 'popup/progress':
      return progress(message.tabId);
    case 'popup/export':
      return exportBundle(message.threadId);
    case 'popup/key-info': {
      const key = await getSigningKey(db);
      return { thumbprint: key.thumbprint, createdAt: key.createdAt };
    }
  }
}

export async function handleContent(message: ContentRequest, tabId: number, url: string): Promise<BatchAck | { ok: false; error: string }> {
  switch (message.type) {
    case 'content/batch': {
      const capture = await db.captures.get(message.captureId);
      if (!capture || capture.tabId !== tabId) return { ok: false, error: 'this capture was not started for this tab' };
      if (adapterForUrl(url)?.id !== capture.adapter) return { ok: false, error: 'the page changed since the capture started' };
      try {
        const r = await ingestBatch(db, message);
        return { ok: true, seq: message.seq, newMessages: r.newMessages, newVersions: r.newVersions };
      } catch (err) {
        const error = err instanceof IngestError ? err.message : describeError(err);
        await audit('batch-refused', { captureId: message.captureId, seq: message.seq, error });
        return { ok: false, error };
      }
    }
  }
}
