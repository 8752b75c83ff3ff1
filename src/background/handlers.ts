/** What the background does for each checked message. */
import browser from 'webextension-polyfill';
import type { CustomDomain, PlatformId } from '../shared/model';
import type {
  HelloAnswer,
  AutoStartAnswer,
  BackgroundToContent,
  BatchAck,
  BlobPartAck,
  ContentRequest,
  ExportView,
  PopupRequest,
  PreserveStart,
  ProbeResult,
  TabStatus,
} from '../shared/protocol';
import { adapterById, adapterForUrl } from '../adapters/registry';
import { appendAudit, audit, db } from './context';
import { ingestBatch, IngestError, threadIdOf } from './ingest';
import { stageBlobPart } from './blob-parts';
import { getSigningKey } from './signing-key';
import { loadSettings, loadSettingsWithPolicy } from './settings';
import { confirmEmailSent, currentJob, exportBundle, exportState, startBulkExport } from './exporter';
import { retryAll } from './uploads';
import { refreshReminders, threadDeadlines } from './reminders';
import { attachmentHashes, threadAttachmentCount, threadTally } from './deadline-tally';
import { threadMarks } from './marks';
import { canReadTab, preservePage } from './page-capture';
import { checkChain, type ChainedEntry } from '../shared/audit-chain';
import { describeError } from './errors';
import { cancel, ownedBy, recordEnd, recordProgress, runningCapture, startAuto, startManual, view, type Target } from './captures';
import { forgetFrame, framesOf, rememberFrame } from './frames';

async function probeFrame(tabId: number, frameId: number): Promise<ProbeResult | null> {
  const message: BackgroundToContent = { type: 'bg/probe' };
  return ((await browser.tabs.sendMessage(tabId, message, { frameId }).catch(() => null)) as ProbeResult | null | undefined) ?? null;
}

/**
 * The messenger a tab shows, and where: its own page when the tab's URL is a messenger's
 * (probed only when asked), else the messenger frames inside it (Google Chat in Gmail) — the
 * first whose conversation is open, else the first that answers.
 */
async function findTarget(tabId: number, probeTop: boolean): Promise<{ target: Target; probe: ProbeResult | null } | { url: string | null }> {
  const tab = await browser.tabs.get(tabId);
  const adapter = adapterForUrl(tab.url, (await loadSettings()).customDomains);
  if (adapter && tab.url) {
    return { target: { tabId, frameId: 0, pageUrl: tab.url, adapter }, probe: probeTop ? await probeFrame(tabId, 0) : null };
  }
  let fallback: { target: Target; probe: ProbeResult | null } | null = null;
  for (const frame of await framesOf(tabId)) {
    const framed = adapterById(frame.adapter);
    if (!framed) continue;
    const probe = await probeFrame(tabId, frame.frameId);
    if (!probe) {
      await forgetFrame(tabId, frame.frameId); // gone with its page
      continue;
    }
    const found = { target: { tabId, frameId: frame.frameId, pageUrl: frame.url, adapter: framed }, probe };
    if (probe.ok && probe.conversationOpen) return found;
    fallback ??= found;
  }
  return fallback ?? { url: tab.url ?? null };
}

async function tabStatus(tabId: number): Promise<TabStatus> {
  const found = await findTarget(tabId, true);
  if (!('target' in found)) return { kind: 'unsupported', url: found.url, canPreservePage: await canReadTab(tabId) };
  const { adapter, frameId } = found.target;
  const probe = found.probe;
  if (!probe) return { kind: 'no-content-script', adapter: adapter.id, adapterName: adapter.name };
  if (!probe.ok) {
    return { kind: 'messenger', adapter: adapter.id, adapterName: adapter.name, conversationOpen: true, thread: null, readError: { selector: '', message: probe.error }, stored: null, autoCapturing: false, canPreservePage: true, exportState: null };
  }
  let thread: Extract<TabStatus, { kind: 'messenger' }>['thread'] = null;
  let stored: Extract<TabStatus, { kind: 'messenger' }>['stored'] = null;
  let exporting: Extract<TabStatus, { kind: 'messenger' }>['exportState'] = null;
  if (probe.thread) {
    const threadId = threadIdOf(adapter.id, probe.thread.threadKey);
    thread = { threadId, title: probe.thread.title, participants: probe.thread.participants.length };
    exporting = exportState(threadId);
    // Both counts are kept on the thread row while nothing changes them (deadline-tally.ts):
    // counting them here read every message and version of the thread each time the popup opened.
    const row = await db.threads.get(threadId);
    const found = row ? await threadTally(db, row) : null;
    if (found && found.tally.messages > 0) stored = { messages: found.tally.messages, attachments: await threadAttachmentCount(db, found.thread) };
  }
  const autoCapturing = Boolean(await runningCapture(tabId, 'auto', frameId));
  return { kind: 'messenger', adapter: adapter.id, adapterName: adapter.name, conversationOpen: probe.conversationOpen, thread, readError: probe.readError, stored, autoCapturing, canPreservePage: true, exportState: exporting };
}

async function preserve(tabId: number): Promise<PreserveStart> {
  const found = await findTarget(tabId, false);
  if (!('target' in found)) return { ok: false, error: 'this tab is not a supported messenger' };
  return startManual(found.target);
}

async function purge(threadId: string): Promise<{ ok: boolean; error?: string }> {
  // Records leave the database only here: a thread whose every message version was carried by
  // an export the records system acknowledged with a receipt. The purge and its audit entry are
  // one transaction: if the entry cannot be written, nothing is removed.
  return db.transaction('rw', [db.threads, db.messages, db.versions, db.attachments, db.exports, db.audit], async () => {
    const thread = await db.threads.get(threadId);
    if (!thread) return { ok: false, error: 'no such thread' };
    const messages = await db.messages.where('threadId').equals(threadId).toArray();
    const { receipted } = await threadMarks(db, threadId);
    const missing = messages.filter((m) => (receipted.get(m.messageId) ?? 0) < m.versionCount);
    if (missing.length > 0) {
      return { ok: false, error: `${missing.length} message${missing.length === 1 ? ' has' : 's have'} not been forwarded with a receipt from the records system; nothing was purged` };
    }
    const versions = await db.versions.where('threadId').equals(threadId).toArray();
    const hashes = attachmentHashes(versions);
    await db.versions.where('threadId').equals(threadId).delete();
    await db.messages.where('threadId').equals(threadId).delete();
    await db.threads.delete(threadId);
    // Attachment bytes go only when no other thread's version still refers to them. The other
    // versions are walked with a cursor, one at a time, and only until every picture of this
    // thread was found in use (the whole database never sits in memory).
    const unused = new Set(hashes);
    if (unused.size > 0) {
      await db.versions.toCollection().until(() => unused.size === 0).each((v) => {
        for (const a of v.content.attachments) if (a.sha256) unused.delete(a.sha256);
      });
    }
    for (const h of unused) await db.attachments.delete(h);
    const result = { ok: true, messages: messages.length, title: thread.title };
    await appendAudit('purge', { threadId, ...result });
    return result;
  }).catch((err: unknown) => ({ ok: false, error: `nothing was purged: ${describeError(err)}` }));
}

async function exportViews(): Promise<ExportView[]> {
  const rows = await db.exports.orderBy('at').reverse().limit(200).toArray();
  const uploads = new Map((await db.uploads.toArray()).map((u) => [u.exportId, u]));
  return rows.map((e) => {
    const u = uploads.get(e.id!);
    return {
      id: e.id!,
      at: e.at,
      bagName: e.bagName,
      fileName: e.fileName,
      route: e.route,
      scope: e.scope,
      messages: e.messages,
      threadIds: e.threadIds,
      upload: u ? { status: u.status, attempts: u.attempts, lastError: u.lastError, nextAttemptAt: u.nextAttemptAt } : null,
      receipt: e.receipt,
      downloadFailed: e.downloadFailed ?? null,
    };
  });
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
    case 'popup/export': {
      const r = await exportBundle(message.threadIds, message.scope, message.route);
      void refreshReminders();
      return r;
    }
    case 'popup/bulk-export': {
      const pending = (await threadDeadlines()).filter((d) => d.notForwarded > 0).map((d) => d.threadId);
      if (pending.length === 0) return { ok: false, error: 'nothing is pending: every preserved message has been forwarded' };
      return { ok: true, job: await startBulkExport(pending, message.scope, message.route, message.grouping) };
    }
    case 'popup/job':
      return currentJob();
    case 'popup/threads':
      return threadDeadlines();
    case 'popup/exports':
      return exportViews();
    case 'popup/retry-uploads':
      await retryAll();
      void refreshReminders();
      return exportViews();
    case 'popup/confirm-email': {
      const ok = await confirmEmailSent(message.exportId);
      void refreshReminders();
      return { ok };
    }
    case 'popup/purge': {
      const r = await purge(message.threadId);
      void refreshReminders();
      return r;
    }
    case 'popup/audit': {
      const all = (await db.audit.orderBy('seq').toArray()) as ChainedEntry[];
      return { total: all.length, entries: all.slice(-100).reverse().map(({ seq, at, action, details }) => ({ seq, at, action, details })), chainProblems: checkChain(all) };
    }
    case 'popup/preserve-page':
      return preservePage(message.tabId, message.returnToTabId ?? undefined);
    case 'popup/policy': {
      const { settings, policy } = await loadSettingsWithPolicy();
      return { settings, locked: policy.locked, warnings: policy.warnings };
    }
    case 'popup/key-info': {
      const key = await getSigningKey(db);
      return { thumbprint: key.thumbprint, createdAt: key.createdAt };
    }
  }
}

/** A refusal unless the capture was started for this tab and frame, on this adapter. */
async function notThisPagesCapture(captureId: string, tabId: number, frameId: number, adapterId: PlatformId): Promise<{ ok: false; error: string } | null> {
  const capture = await db.captures.get(captureId);
  if (!capture || !ownedBy(capture, tabId, frameId)) return { ok: false, error: 'this capture was not started for this tab' };
  if (capture.adapter !== adapterId) return { ok: false, error: 'the page changed since the capture started' };
  return null;
}

type ContentAnswer = BlobPartAck | BatchAck | AutoStartAnswer | HelloAnswer | { ok: boolean; error?: string };

export async function handleContent(message: ContentRequest, tabId: number, frameId: number, url: string, customDomains: readonly CustomDomain[] = []): Promise<ContentAnswer> {
  const adapter = adapterForUrl(url, customDomains);
  if (!adapter) return { ok: false, error: 'no adapter serves this page' };
  // A messenger frame inside another site's page (the boundary let only declared ones through).
  if (frameId !== 0) await rememberFrame(tabId, { frameId, adapter: adapter.id, url });
  if (message.type === 'content/hello') return { ok: true, adapter: adapter.id };
  if (adapter.id !== message.adapter) return { ok: false, error: 'the page does not match the adapter' };
  switch (message.type) {
    case 'content/batch': {
      const refused = await notThisPagesCapture(message.captureId, tabId, frameId, adapter.id);
      if (refused) return refused;
      try {
        const r = await ingestBatch(db, message);
        return { ok: true, seq: message.seq, newMessages: r.newMessages, newVersions: r.newVersions };
      } catch (err) {
        const error = err instanceof IngestError ? err.message : describeError(err);
        await audit('batch-refused', { captureId: message.captureId, seq: message.seq, error });
        return { ok: false, error };
      }
    }
    case 'content/blob-part': {
      const refused = await notThisPagesCapture(message.captureId, tabId, frameId, adapter.id);
      if (refused) return refused;
      try {
        return await stageBlobPart(db, message);
      } catch (err) {
        const error = err instanceof IngestError ? err.message : describeError(err);
        await audit('blob-part-refused', { captureId: message.captureId, sha256: message.sha256, offset: message.offset, size: message.size, error });
        return { ok: false, error };
      }
    }
    case 'content/progress':
      await recordProgress(message, tabId, frameId);
      return { ok: true };
    case 'content/capture-end':
      return { ok: await recordEnd(message, tabId, frameId) };
    case 'content/auto-start': {
      const captureId = await startAuto({ tabId, frameId, pageUrl: url, adapter });
      return captureId ? { ok: true, auto: true, captureId } : { ok: true, auto: false };
    }
  }
}
