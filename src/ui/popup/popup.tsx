/**
 * The toolbar popup. Opened as a page with `?tab=<tabId>` it acts on that tab (keyboard users
 * and tests rely on this); otherwise on the active tab. Every string shown here that came from
 * a page is rendered as text by Preact (never as HTML), and inside `<bdi>` with its bidi
 * controls balanced where other words stand beside it, so it cannot reorder them.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { CaptureView, ExportResult, PagePreserveResult, PreserveStart, TabStatus, ThreadDeadline } from '../../shared/protocol';
import { deadlineWords } from '../../background/deadlines';
import { adapters } from '../../adapters/registry';
import { ask, askAgain, STOPPED_BEFORE_ANSWER } from '../ask';
import { leftOutWords, messageOf, plural } from '../words';
import { balanceBidi } from '../../bundle/escape';
import { exportOutcome, unanswered, type Outcome } from '../unanswered';

async function targetTabId(): Promise<number | null> {
  const param = new URLSearchParams(location.search).get('tab');
  if (param !== null && /^\d+$/.test(param)) return Number(param);
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}


export function summaryLine(s: CaptureView): string {
  const parts = [plural(s.messages, 'message'), plural(s.attachments, 'attachment'), `${s.newMessages} new`];
  if (s.newVersions > 0) parts.push(plural(s.newVersions, 'new version'));
  return parts.join(', ');
}

const PHASES: Record<NonNullable<CaptureView['phase']>, string> = {
  reading: 'reading the page',
  scrolling: 'scrolling back through the history',
  'loading-history': 'waiting for older messages to load',
  'paused-hidden': 'paused: bring the messenger tab to the front to continue (a background tab shows only part of the conversation)',
};

function shortDate(iso: string | null): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d.toLocaleDateString();
}

export function Popup() {
  const [tabId, setTabId] = useState<number | null>(null);
  const [status, setStatus] = useState<TabStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'export' | 'page' | null>(null);
  const [pageResult, setPageResult] = useState<PagePreserveResult | null>(null);
  const [capture, setCapture] = useState<CaptureView | null>(null);
  const [startError, setStartError] = useState<PreserveStart | null>(null);
  const [exported, setExported] = useState<ExportResult | null>(null);
  const [exportOutcomeShown, setExportOutcome] = useState<Outcome | null>(null);
  const [exportingSince, setExportingSince] = useState<string | null>(null);
  const polling = useRef(false);
  const [followError, setFollowError] = useState<string | null>(null);

  const refresh = async (id: number): Promise<TabStatus | null> => {
    try {
      const s = await askAgain<TabStatus>({ type: 'popup/status', tabId: id });
      setStatus(s);
      return s;
    } catch (err) {
      setLoadError(messageOf(err));
      return null;
    }
  };

  /**
   * An export of this thread is under way (started by a popup since closed, or the dashboard):
   * say so, keep Export bundle disabled, and show its result when it ends. If the worker stopped
   * meanwhile (its exports go with it), the exports list tells whether the bundle was recorded.
   */
  const followExport = async (id: number, threadId: string, since: string) => {
    setBusy('export');
    setExportingSince(since);
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const s = await askAgain<TabStatus>({ type: 'popup/status', tabId: id });
        setStatus(s);
        // The tab moved to another conversation: this popup no longer speaks of that export.
        if (s.kind !== 'messenger' || s.thread?.threadId !== threadId) break;
        const now = s.exportState;
        if (now?.since === since && now.result) {
          setExported(now.result);
          break;
        }
        if (now?.since !== since) {
          setExportOutcome(await exportOutcome(threadId, since));
          break;
        }
      }
    } catch (err) {
      setExportOutcome({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(null);
      setExportingSince(null);
      void loadThreads();
    }
  };

  /** Follow the tab's capture until it ends: the work runs in the page and background, not here. */
  const follow = async (id: number) => {
    if (polling.current) return;
    polling.current = true;
    try {
      for (;;) {
        // A worker restarted mid-capture is retried, never read as "no capture": the progress
        // must not vanish while the page goes on capturing.
        const v = await askAgain<CaptureView | null>({ type: 'popup/progress', tabId: id });
        setCapture(v);
        if (!v || v.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 300));
      }
    } catch (err) {
      setFollowError(messageOf(err));
    } finally {
      polling.current = false;
      await refresh(id);
    }
  };

  useEffect(() => {
    void navigator.storage?.persist?.().catch(() => false);
    void targetTabId().then(async (id) => {
      setTabId(id);
      if (id === null) {
        setLoadError('There is no tab to look at.');
        return;
      }
      const s = await refresh(id);
      // A capture started earlier (popup closed meanwhile) shows its live progress again.
      const v = await askAgain<CaptureView | null>({ type: 'popup/progress', tabId: id }).catch(() => null);
      if (v?.status === 'running') void follow(id);
      // So does an export of this thread still under way.
      if (s?.kind === 'messenger' && s.thread && s.exportState && s.exportState.result === null) void followExport(id, s.thread.threadId, s.exportState.since);
    });
  }, []);

  const onPreserve = async () => {
    if (tabId === null) return;
    setStartError(null);
    setFollowError(null);
    setExported(null);
    setExportOutcome(null);
    setCapture(null);
    const started = await ask<PreserveStart>({ type: 'popup/preserve', tabId }).catch((err: unknown) => ({ ok: false as const, error: messageOf(err) }));
    if (!started.ok) {
      // The worker stopped while it started the capture: it may have started. If a capture is
      // running in this tab, show it instead of saying nothing was kept.
      const v = started.error === STOPPED_BEFORE_ANSWER ? await askAgain<CaptureView | null>({ type: 'popup/progress', tabId }).catch(() => null) : null;
      if (v?.status !== 'running') {
        setStartError(started);
        return;
      }
    }
    await follow(tabId);
  };

  const onPreservePage = async () => {
    if (tabId === null) return;
    setBusy('page');
    setPageResult(null);
    try {
      // When this popup is a tab of its own (?tab=), come back to it after the screenshot.
      const self = await browser.tabs.getCurrent().catch(() => undefined);
      setPageResult(await ask<PagePreserveResult>({ type: 'popup/preserve-page', tabId, returnToTabId: self?.id ?? null }));
    } catch (err) {
      setPageResult({ ok: false, error: messageOf(err) });
    } finally {
      setBusy(null);
    }
  };

  const onCancel = async () => {
    if (tabId !== null) await ask({ type: 'popup/cancel', tabId }).catch(() => undefined);
  };

  const onExport = async (threadId: string) => {
    setBusy('export');
    setExported(null);
    setExportOutcome(null);
    const since = new Date().toISOString();
    try {
      setExported(await ask<ExportResult>({ type: 'popup/export', threadIds: [threadId], scope: 'full', route: 'download' }));
    } catch (err) {
      // The worker stopped mid-export: say whether the bundle was recorded, not "look again".
      if (unanswered(err)) setExportOutcome(await exportOutcome(threadId, since));
      else setExported({ ok: false, threadIds: [threadId], error: messageOf(err) });
    } finally {
      setBusy(null);
      void loadThreads();
    }
  };

  const [threads, setThreads] = useState<ThreadDeadline[] | null>(null);
  const loadThreads = async () => setThreads(await ask<ThreadDeadline[]>({ type: 'popup/threads' }).catch(() => null));
  useEffect(() => {
    void loadThreads();
  }, []);

  const running = capture?.status === 'running';
  const finished = capture && !running ? capture : null;
  const kept = finished && finished.status !== 'failed';

  return (
    <main aria-busy={busy !== null}>
      <h1>Threadkeeper</h1>
      {loadError && <p class="error" role="alert">{loadError}</p>}
      {!status && !loadError && <p class="muted">Looking at this tab…</p>}
      {status?.kind === 'unsupported' && (
        <div class="where" data-testid="tab-status">
          <strong>This tab is not a supported messenger.</strong>
          <span class="muted">Threadkeeper preserves conversations on: {adapters.map((a) => a.name).join(', ')}.</span>
          <span class="muted">
            Signal and Wickr have no web client, so no browser extension can reach them.
          </span>
        </div>
      )}
      {status?.kind === 'unsupported' && status.url && /^https?:/.test(status.url) && !status.canPreservePage && (
        <p class="muted" data-testid="page-hint">To keep a signed snapshot of this page, open Threadkeeper from the toolbar button while the page is in front.</p>
      )}
      {status && ((status.kind === 'unsupported' && status.canPreservePage) || (status.kind === 'messenger' && status.readError)) && (
        <div class="actions">
          <button type="button" class="secondary" onClick={() => void onPreservePage()} disabled={busy !== null}>
            Preserve page
          </button>
          <span class="muted">A sanitized snapshot, a full-page screenshot, the address and the title, signed.</span>
        </div>
      )}
      {busy === 'page' && <p role="status">Preserving the page: snapshot and screenshot…</p>}
      {pageResult?.ok === true && (
        <p class="result" role="status" data-testid="page-result">
          Saved <code>{pageResult.fileName}</code> to Downloads, signed by key <code>{pageResult.keyThumbprint}</code>.
          {pageResult.screenshotTruncated && ' The page is very long: the screenshot holds its first 30 screens.'}
        </p>
      )}
      {pageResult?.ok === false && (
        <p class="error" role="alert" data-testid="page-error">
          {pageResult.error}
        </p>
      )}
      {status?.kind === 'no-content-script' && (
        <div class="where" data-testid="tab-status">
          <strong>{status.adapterName}</strong>
          <span>Reload this tab so Threadkeeper can read it (it was open before Threadkeeper was installed or updated).</span>
        </div>
      )}
      {status?.kind === 'messenger' && (
        <>
          <div class="where" data-testid="tab-status">
            <strong>{status.adapterName}</strong>
            {status.thread && (
              <span>
                <bdi data-testid="thread-title">{balanceBidi(status.thread.title)}</bdi>
                {status.thread.participants > 0 && <span class="muted"> · {plural(status.thread.participants, 'participant')}</span>}
              </span>
            )}
            {status.thread?.threadId.startsWith(`${status.adapter}:title:`) && (
              <span class="muted" data-testid="title-keyed">
                This page shows no id for the chat, so Threadkeeper tells chats apart by their name: two chats with the same name are kept as one thread, and a renamed chat starts a new one.
              </span>
            )}
            {!status.conversationOpen && <span>Open a conversation to preserve it.</span>}
            {status.stored && (
              <span class="muted" data-testid="stored">
                Kept so far: {plural(status.stored.messages, 'message')}, {plural(status.stored.attachments, 'attachment')}
              </span>
            )}
          </div>
          {status.readError && (
            <p class="error" role="alert" data-testid="read-error">
              Threadkeeper cannot read this {status.adapterName} page — its layout may have changed. Nothing was kept from it.{' '}
              {status.readError.selector && (
                <>
                  Selector that failed: <code>{status.readError.selector}</code>
                </>
              )}
            </p>
          )}
          {status.conversationOpen && !status.readError && (
            <div class="actions">
              <button type="button" onClick={() => void onPreserve()} disabled={busy !== null || running}>
                Preserve thread
              </button>
              {status.thread && (
                <button
                  type="button"
                  class="secondary"
                  onClick={() => status.thread && void onExport(status.thread.threadId)}
                  disabled={busy !== null || running || !status.stored}
                  title={status.stored ? 'Make a signed bundle of everything kept for this thread' : 'Preserve the thread first'}
                >
                  Export bundle
                </button>
              )}
            </div>
          )}
        </>
      )}
      {status?.kind === 'messenger' && status.autoCapturing && (
        <p class="muted" data-testid="auto-capturing">This tab is captured automatically as messages appear.</p>
      )}
      {running && capture && (
        <div class="result" role="status" data-testid="progress">
          <p>
            Preserving… {plural(capture.messages, 'message')} so far
            {shortDate(capture.oldestSentAt) && <>, back to {shortDate(capture.oldestSentAt)}</>}
            {capture.phase && <span class="muted"> ({PHASES[capture.phase]})</span>}
          </p>
          <p class="muted">You can close this popup: the capture goes on, and reopening shows its progress.</p>
          <button type="button" class="secondary" onClick={() => void onCancel()}>
            Cancel
          </button>
        </div>
      )}
      {followError && (
        <p class="error" role="alert" data-testid="follow-error">
          {followError}
        </p>
      )}
      {busy === 'export' && (
        <p role="status" data-testid="exporting">
          {exportingSince
            ? `An export of this conversation is under way (started ${new Date(exportingSince).toLocaleTimeString()}): signing and packaging the bundle… You can close this popup; the export goes on.`
            : 'Signing and packaging the bundle…'}
        </p>
      )}
      {finished && kept && (
        <div class={finished.reachedBeginning ? 'result' : 'result partial'} role="status" data-testid="preserve-result">
          <p>Kept: {summaryLine(finished)}.</p>
          {finished.attachmentsMissing > 0 && <p>{plural(finished.attachmentsMissing, 'attachment')} could not be read; the reason is recorded with each.</p>}
          {finished.truncated > 0 && (
            <p data-testid="truncated-note">
              {plural(finished.truncated, 'message')} {finished.truncated === 1 ? 'was' : 'were'} cut short by the page behind “Read more”; the record says so. To keep the
              whole text, open {finished.truncated === 1 ? 'it' : 'them'} in the chat and preserve the thread again.
            </p>
          )}
          <p data-testid="completeness">
            {finished.reachedBeginning ? (
              'The whole conversation was captured, back to its beginning.'
            ) : (
              <>
                Not the whole conversation: <bdi>{balanceBidi(finished.reason ?? 'it stopped before the beginning')}</bdi>.
              </>
            )}
          </p>
        </div>
      )}
      {((finished && !kept) || startError?.ok === false) && (
        <p class="error" role="alert" data-testid="preserve-error">
          Nothing was kept: <bdi>{balanceBidi(finished?.reason ?? (startError?.ok === false ? startError.error : ''))}</bdi>
          {(finished?.selector ?? (startError?.ok === false ? startError.selector : undefined)) && (
            <>
              {' '}
              (selector <code>{finished?.selector ?? (startError?.ok === false ? startError.selector : '')}</code>)
            </>
          )}
        </p>
      )}
      {exported?.ok === true && (
        <p class="result" role="status" data-testid="export-result">
          Saved <code>{exported.fileName}</code> to Downloads: {plural(exported.messages ?? 0, 'message')}, {plural(exported.attachments ?? 0, 'attachment')}, signed by key{' '}
          <code>{exported.keyThumbprint}</code>.
        </p>
      )}
      {exported?.ok === true && (exported.attachmentsLeftOut ?? 0) > 0 && (
        <p class="error" role="alert" data-testid="export-left-out">
          {leftOutWords(exported.attachmentsLeftOut!)}.
        </p>
      )}
      {exported?.ok === false && (
        <p class="error" role="alert" data-testid="export-error">
          {exported.error}
        </p>
      )}
      {exportOutcomeShown && (
        <p class={exportOutcomeShown.ok ? 'result' : 'error'} role={exportOutcomeShown.ok ? 'status' : 'alert'} data-testid="export-outcome">
          {exportOutcomeShown.text}
        </p>
      )}
      {threads && threads.length > 0 && (
        <section aria-labelledby="threads-heading">
          <h2 id="threads-heading">Preserved threads</h2>
          <ul class="threads" data-testid="thread-list">
            {threads.slice(0, 6).map((t) => (
              <li key={t.threadId} class={`deadline ${t.state}`}>
                <bdi class="title">{balanceBidi(t.title)}</bdi>{' '}
                <span class="muted">
                  {adapters.find((a) => a.id === t.platform)?.name ?? t.platform} · {plural(t.messages, 'message')}
                  {t.notForwarded > 0 ? `, ${t.notForwarded} not forwarded` : ''}
                </span>{' '}
                <span class="state">{deadlineWords(t)}</span>
              </li>
            ))}
          </ul>
          {threads.length > 6 && <p class="muted">and {threads.length - 6} more in the dashboard.</p>}
        </section>
      )}
      <p class="muted">
        <a href={browser.runtime.getURL('src/ui/dashboard/index.html')} target="_blank" rel="noreferrer">
          Dashboard: deadlines, bulk export, forwarding
        </a>
        {' · '}
        <a href={browser.runtime.getURL('src/ui/options/index.html')} target="_blank" rel="noreferrer">
          Settings
        </a>
      </p>
    </main>
  );
}
