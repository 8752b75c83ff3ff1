/**
 * The toolbar popup. Opened as a page with `?tab=<tabId>` it acts on that tab (keyboard users
 * and tests rely on this); otherwise on the active tab. Every string shown here that came from
 * a page is rendered as text by Preact (never as HTML).
 */
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { CaptureProgress, ExportResult, PopupRequest, PreserveResult, TabStatus } from '../../shared/protocol';
import { adapters } from '../../adapters/registry';

function ask<T>(message: PopupRequest): Promise<T> {
  return browser.runtime.sendMessage(message) as Promise<T>;
}

async function targetTabId(): Promise<number | null> {
  const param = new URLSearchParams(location.search).get('tab');
  if (param !== null && /^\d+$/.test(param)) return Number(param);
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function summaryLine(s: Extract<PreserveResult, { ok: true }>['summary']): string {
  const parts = [plural(s.messages, 'message'), plural(s.attachments, 'attachment'), `${s.newMessages} new`];
  if (s.newVersions > 0) parts.push(plural(s.newVersions, 'new version'));
  return parts.join(', ');
}

export function Popup() {
  const [tabId, setTabId] = useState<number | null>(null);
  const [status, setStatus] = useState<TabStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState<'preserve' | 'export' | null>(null);
  const [progress, setProgress] = useState<CaptureProgress | null>(null);
  const [preserved, setPreserved] = useState<PreserveResult | null>(null);
  const [exported, setExported] = useState<ExportResult | null>(null);

  const refresh = async (id: number) => {
    try {
      setStatus(await ask<TabStatus>({ type: 'popup/status', tabId: id }));
    } catch (err) {
      setLoadError(err instanceof Error ? err.message : String(err));
    }
  };

  useEffect(() => {
    void targetTabId().then((id) => {
      setTabId(id);
      if (id === null) setLoadError('There is no tab to look at.');
      else void refresh(id);
    });
  }, []);

  const onPreserve = async () => {
    if (tabId === null) return;
    setBusy('preserve');
    setPreserved(null);
    setExported(null);
    setProgress(null);
    const pending = ask<PreserveResult>({ type: 'popup/preserve', tabId });
    // Progress comes from the capture record the background keeps; poll it until done.
    let done = false;
    void (async () => {
      while (!done) {
        await new Promise((r) => setTimeout(r, 250));
        const p = await ask<CaptureProgress | null>({ type: 'popup/progress', tabId }).catch(() => null);
        if (p && !done) setProgress(p);
      }
    })();
    try {
      setPreserved(await pending);
    } catch (err) {
      setPreserved({ ok: false, error: err instanceof Error ? err.message : String(err) });
    } finally {
      done = true;
      setBusy(null);
      await refresh(tabId);
    }
  };

  const onExport = async (threadId: string) => {
    setBusy('export');
    setExported(null);
    try {
      setExported(await ask<ExportResult>({ type: 'popup/export', threadId }));
    } catch (err) {
      setExported({ ok: false, error: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <main aria-busy={busy !== null}>
      <h1>Threadkeeper</h1>
      {loadError && <p class="error" role="alert">{loadError}</p>}
      {!status && !loadError && <p class="muted">Looking at this tab…</p>}
      {status?.kind === 'unsupported' && (
        <div class="where" data-testid="tab-status">
          <strong>This tab is not a supported messenger.</strong>
          <span class="muted">Threadkeeper preserves conversations on: {adapters.map((a) => a.name).join(', ')}.</span>
        </div>
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
                <span data-testid="thread-title">{status.thread.title}</span>
                {status.thread.participants > 0 && <span class="muted"> · {plural(status.thread.participants, 'participant')}</span>}
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
              Threadkeeper could not read the messages on this page — its layout may have changed.{' '}
              {status.readError.selector && (
                <>
                  Selector that failed: <code>{status.readError.selector}</code>
                </>
              )}
            </p>
          )}
          {status.conversationOpen && !status.readError && (
            <div class="actions">
              <button type="button" onClick={() => void onPreserve()} disabled={busy !== null}>
                Preserve thread
              </button>
              {status.thread && (
                <button
                  type="button"
                  class="secondary"
                  onClick={() => status.thread && void onExport(status.thread.threadId)}
                  disabled={busy !== null || !status.stored}
                  title={status.stored ? 'Make a signed bundle of everything kept for this thread' : 'Preserve the thread first'}
                >
                  Export bundle
                </button>
              )}
            </div>
          )}
        </>
      )}
      {busy === 'preserve' && (
        <p role="status" data-testid="progress">
          Preserving… {progress ? `${plural(progress.messages, 'message')} so far` : ''}
        </p>
      )}
      {busy === 'export' && <p role="status">Signing and packaging the bundle…</p>}
      {preserved?.ok === true && (
        <p class="result" role="status" data-testid="preserve-result">
          Kept: {summaryLine(preserved.summary)}.
          {preserved.summary.attachmentsMissing > 0 && ` ${plural(preserved.summary.attachmentsMissing, 'attachment')} could not be read (the reason is recorded).`}
          <span class="muted"> Only the messages loaded on the page were captured; scroll up and preserve again to keep older ones.</span>
        </p>
      )}
      {preserved?.ok === false && (
        <p class="error" role="alert" data-testid="preserve-error">
          Nothing was reported as kept: {preserved.error}
          {preserved.selector && (
            <>
              {' '}
              (selector <code>{preserved.selector}</code>)
            </>
          )}
        </p>
      )}
      {exported?.ok === true && (
        <p class="result" role="status" data-testid="export-result">
          Saved <code>{exported.fileName}</code> to Downloads: {plural(exported.messages, 'message')}, {plural(exported.attachments, 'attachment')}, signed by key{' '}
          <code>{exported.keyThumbprint}</code>.
        </p>
      )}
      {exported?.ok === false && (
        <p class="error" role="alert" data-testid="export-error">
          {exported.error}
        </p>
      )}
      <p class="muted">
        <a href={browser.runtime.getURL('src/ui/options/index.html')} target="_blank" rel="noreferrer">
          Settings
        </a>
      </p>
    </main>
  );
}
