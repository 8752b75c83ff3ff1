/** What the background does for each checked message. */
import browser from 'webextension-polyfill';
import type { CustomDomain } from '../shared/model';
import type {
  HelloAnswer,
  AutoStartAnswer,
  BackgroundToContent,
  BatchAck,
  ContentRequest,
  ExportResult,
  PopupRequest,
  PreserveStart,
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
import { cancel, recordEnd, recordProgress, runningCapture, startAuto, startManual, view } from './captures';

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
  const adapter = adapterForUrl(tab.url, (await loadSettings()).customDomains);
  if (!adapter) return { kind: 'unsupported', url: tab.url ?? null };
  let probe: ProbeResult;
  try {
    probe = await sendToTab<ProbeResult>(tabId, { type: 'bg/probe' });
  } catch {
    return { kind: 'no-content-script', adapter: adapter.id, adapterName: adapter.name };
  }
  if (!probe.ok) {
    return { kind: 'messenger', adapter: adapter.id, adapterName: adapter.name, conversationOpen: true, thread: null, readError: { selector: '', message: probe.error }, stored: null, autoCapturing: false };
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
  const autoCapturing = Boolean(await runningCapture(tabId, 'auto'));
  return { kind: 'messenger', adapter: adapter.id, adapterName: adapter.name, conversationOpen: probe.conversationOpen, thread, readError: probe.readError, stored, autoCapturing };
}

async function preserve(tabId: number): Promise<PreserveStart> {
  const tab = await browser.tabs.get(tabId);
  const adapter = adapterForUrl(tab.url, (await loadSettings()).customDomains);
  if (!adapter || !tab.url) return { ok: false, error: 'this tab is not a supported messenger' };
  return startManual(tabId, tab.url, adapter);
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
      return view(message.tabId);
    case 'popup/cancel':
      return { ok: await cancel(message.tabId) };
    case 'popup/export':
      return exportBundle(message.threadId);
    case 'popup/key-info': {
      const key = await getSigningKey(db);
      return { thumbprint: key.thumbprint, createdAt: key.createdAt };
    }
  }
}

type ContentAnswer = BatchAck | AutoStartAnswer | HelloAnswer | { ok: boolean; error?: string };

export async function handleContent(message: ContentRequest, tabId: number, url: string, customDomains: readonly CustomDomain[] = []): Promise<ContentAnswer> {
  const adapter = adapterForUrl(url, customDomains);
  if (!adapter) return { ok: false, error: 'no adapter serves this page' };
  if (message.type === 'content/hello') return { ok: true, adapter: adapter.id };
  if (adapter.id !== message.adapter) return { ok: false, error: 'the page does not match the adapter' };
  switch (message.type) {
    case 'content/batch': {
      const capture = await db.captures.get(message.captureId);
      if (!capture || capture.tabId !== tabId) return { ok: false, error: 'this capture was not started for this tab' };
      if (capture.adapter !== adapter.id) return { ok: false, error: 'the page changed since the capture started' };
      try {
        const r = await ingestBatch(db, message);
        return { ok: true, seq: message.seq, newMessages: r.newMessages, newVersions: r.newVersions };
      } catch (err) {
        const error = err instanceof IngestError ? err.message : describeError(err);
        await audit('batch-refused', { captureId: message.captureId, seq: message.seq, error });
        return { ok: false, error };
      }
    }
    case 'content/progress':
      await recordProgress(message, tabId);
      return { ok: true };
    case 'content/capture-end':
      return { ok: await recordEnd(message, tabId) };
    case 'content/auto-start': {
      const captureId = await startAuto(tabId, url, adapter);
      return captureId ? { ok: true, auto: true, captureId } : { ok: true, auto: false };
    }
  }
}
