/**
 * The full-page dashboard: every preserved thread with its forwarding deadline, "Export
 * everything pending" (one bundle or one per thread, incremental or full, downloaded, emailed or
 * uploaded) with a real progress bar, and every export with its upload state or receipt.
 * Scraped strings are rendered as text by Preact, never as HTML; in plain-text places (the
 * purge question and its answer) a thread title goes inside FSI … PDI, so right-to-left text or
 * a bidi control in it cannot reorder the words around it.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExportJob, ExportResult, ExportView, ThreadDeadline } from '../../shared/protocol';
import { deadlineWords } from '../../background/deadlines';
import { adapters } from '../../adapters/registry';
import { ask, askAgain } from '../ask';
import { messageOf, plural } from '../words';
import { isolateBidi } from '../../bundle/escape';
import { bulkOutcome, emailOutcome, exportOutcome, purgeOutcome, unanswered } from '../unanswered';

const ROUTES = { download: 'Download', email: 'Email draft to the official account', upload: 'Upload to the records system' } as const;

function uploadWords(e: ExportView): string {
  if (e.downloadFailed) return `not saved: ${e.downloadFailed.reason}; its messages count as not exported (export again)`;
  if (e.route === 'download') return 'downloaded (not forwarded until sent to the records system)';
  if (e.route === 'email') return e.receipt ? 'email sent (confirmed by you)' : 'email draft saved: send it, then mark it sent';
  if (!e.upload) return 'not queued';
  switch (e.upload.status) {
    case 'done':
      return `received by the records system, receipt ${String(e.receipt?.receiptId ?? '')}`;
    case 'refused':
      return `refused: ${e.upload.lastError ?? ''}; its messages count as not exported until you retry it (Retry uploads now) or export them again`;
    case 'sending':
      return 'sending…';
    default:
      return e.upload.lastError
        ? `waiting to retry (attempt ${e.upload.attempts}): ${e.upload.lastError}`
        : 'queued';
  }
}

export function Dashboard() {
  const [threads, setThreads] = useState<ThreadDeadline[] | null>(null);
  const [exportsList, setExports] = useState<ExportView[]>([]);
  const [job, setJob] = useState<ExportJob | null>(null);
  const [scope, setScope] = useState<'incremental' | 'full'>('incremental');
  const [grouping, setGrouping] = useState<'one' | 'per-thread'>('per-thread');
  const [route, setRoute] = useState<'download' | 'email' | 'upload'>('download');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const load = async () => {
    setThreads(await askAgain<ThreadDeadline[]>({ type: 'popup/threads' }));
    setExports(await askAgain<ExportView[]>({ type: 'popup/exports' }));
  };

  const follow = async () => {
    try {
      for (;;) {
        // A worker restarted mid-export is retried: the progress bar must not freeze or vanish.
        const j = await askAgain<ExportJob | null>({ type: 'popup/job' });
        setJob(j);
        if (!j || j.status !== 'running') break;
        await new Promise((r) => setTimeout(r, 400));
      }
      await load();
    } catch (err) {
      setMessage({ ok: false, text: messageOf(err) });
    }
  };

  useEffect(() => {
    void load().catch((err: unknown) => setMessage({ ok: false, text: messageOf(err) }));
    void askAgain<ExportJob | null>({ type: 'popup/job' }).then((j) => {
      setJob(j);
      if (j?.status === 'running') void follow();
    });
    // Upload states change in the background: refresh now and then.
    const timer = setInterval(() => void ask<ExportView[]>({ type: 'popup/exports' }).then(setExports).catch(() => undefined), 3000);
    return () => clearInterval(timer);
  }, []);

  /** An action's failure to answer, as the user is told it: a stopped worker is looked into (src/ui/unanswered.ts). */
  const failed = async (err: unknown, lookInto: () => Promise<{ ok: boolean; text: string }>) =>
    setMessage(unanswered(err) ? await lookInto() : { ok: false, text: messageOf(err) });

  const onBulk = async () => {
    setMessage(null);
    const since = new Date().toISOString();
    try {
      const r = await ask<{ ok: boolean; error?: string; job?: ExportJob }>({ type: 'popup/bulk-export', scope, route, grouping });
      if (!r.ok) {
        setMessage({ ok: false, text: r.error ?? 'the export could not start' });
        return;
      }
    } catch (err) {
      // The worker stopped as it answered: follow the job only if one started since the click.
      const outcome = unanswered(err) ? await bulkOutcome(since) : null;
      setMessage(outcome ?? { ok: false, text: messageOf(err) });
      if (!outcome?.started) return;
    }
    await follow();
  };

  const onPurge = async (t: ThreadDeadline) => {
    const title = isolateBidi(t.title);
    if (!confirm(`Remove “${title}” from this browser? Every message was forwarded with a receipt; the purge is written to the audit log.`)) return;
    setMessage(null);
    try {
      const r = await ask<{ ok: boolean; error?: string }>({ type: 'popup/purge', threadId: t.threadId });
      setMessage(r.ok ? { ok: true, text: `Purged “${title}”.` } : { ok: false, text: r.error ?? 'not purged' });
    } catch (err) {
      await failed(err, () => purgeOutcome(t.threadId, title));
    }
    await load().catch(() => undefined);
  };

  const onExportOne = async (t: ThreadDeadline) => {
    setMessage(null);
    const since = new Date().toISOString();
    try {
      const r = await ask<ExportResult>({ type: 'popup/export', threadIds: [t.threadId], scope: 'full', route: 'download' });
      setMessage(r.ok ? { ok: true, text: `${r.fileName}: ${r.note}.` } : { ok: false, text: r.error ?? 'export failed' });
    } catch (err) {
      await failed(err, () => exportOutcome(t.threadId, since));
    }
    await load().catch(() => undefined);
  };

  const onRetryUploads = async () => {
    setMessage(null);
    try {
      setExports(await ask<ExportView[]>({ type: 'popup/retry-uploads' }));
    } catch (err) {
      // Retrying twice does no harm (the records system answers a bundle it holds by its hash).
      setMessage({ ok: false, text: `${messageOf(err)}. Uploads not yet received stay queued.` });
      await load().catch(() => undefined);
    }
  };

  const onConfirmEmail = async (e: ExportView) => {
    setMessage(null);
    try {
      const r = await ask<{ ok: boolean }>({ type: 'popup/confirm-email', exportId: e.id });
      if (!r.ok) setMessage({ ok: false, text: `${e.fileName} was not marked as sent: it is marked already, or its draft never reached Downloads.` });
    } catch (err) {
      await failed(err, () => emailOutcome(e.id, e.fileName));
    }
    await load().catch(() => undefined);
  };

  const pending = threads?.filter((t) => t.notForwarded > 0).length ?? 0;
  const finishedJob = job && job.status !== 'running' ? job : null;

  return (
    <main class="options dashboard">
      <h1>Threadkeeper dashboard</h1>
      {message && (
        <p class={message.ok ? 'result' : 'error'} role={message.ok ? 'status' : 'alert'} data-testid="dashboard-message">
          {message.text}
        </p>
      )}

      <h2>Preserved threads</h2>
      {threads === null && <p class="muted">Loading…</p>}
      {threads?.length === 0 && <p>Nothing preserved yet. Open a conversation and click Preserve thread in the toolbar popup.</p>}
      {threads && threads.length > 0 && (
        <table class="list" data-testid="threads-table">
          <thead>
            <tr>
              <th scope="col">Messenger</th>
              <th scope="col">Conversation</th>
              <th scope="col">Messages</th>
              <th scope="col">Not forwarded</th>
              <th scope="col">Deadline</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {threads.map((t) => (
              <tr key={t.threadId} class={`deadline ${t.state}`}>
                <td>{adapters.find((a) => a.id === t.platform)?.name ?? t.platform}</td>
                <td>{t.title}</td>
                <td>{t.messages}</td>
                <td>{t.notForwarded}</td>
                <td class="state">{deadlineWords(t)}</td>
                <td>
                  <button type="button" class="secondary" onClick={() => void onExportOne(t)} aria-label={`Export ${t.title}`}>
                    Export
                  </button>{' '}
                  <button type="button" class="secondary" disabled={t.notForwarded > 0} onClick={() => void onPurge(t)} aria-label={`Purge ${t.title}`}>
                    Purge
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Export everything pending</h2>
      <p>{pending > 0 ? `${plural(pending, 'thread')} with messages not yet forwarded.` : 'Nothing is pending.'}</p>
      <fieldset>
        <legend>What</legend>
        <label class="switch">
          <input type="radio" name="scope" checked={scope === 'incremental'} onChange={() => setScope('incremental')} /> Only what no earlier bundle carried (incremental)
        </label>
        <label class="switch">
          <input type="radio" name="scope" checked={scope === 'full'} onChange={() => setScope('full')} /> Everything kept for those threads (full)
        </label>
      </fieldset>
      <fieldset>
        <legend>Bundles</legend>
        <label class="switch">
          <input type="radio" name="grouping" checked={grouping === 'per-thread'} onChange={() => setGrouping('per-thread')} /> One bundle per thread
        </label>
        <label class="switch">
          <input type="radio" name="grouping" checked={grouping === 'one'} onChange={() => setGrouping('one')} /> One bundle for all
        </label>
      </fieldset>
      <fieldset>
        <legend>Send by</legend>
        {(Object.keys(ROUTES) as (keyof typeof ROUTES)[]).map((r) => (
          <label class="switch" key={r}>
            <input type="radio" name="route" checked={route === r} onChange={() => setRoute(r)} /> {ROUTES[r]}
          </label>
        ))}
      </fieldset>
      <div class="actions">
        <button type="button" onClick={() => void onBulk()} disabled={pending === 0 || job?.status === 'running'}>
          Export everything pending
        </button>
      </div>
      {job?.status === 'running' && (
        <div role="status" data-testid="job-progress">
          <label for="job-bar">
            Exporting: {job.done} of {plural(job.total, 'bundle')}
          </label>
          <progress id="job-bar" max={job.total} value={job.done} />
        </div>
      )}
      {finishedJob && (
        <div class={finishedJob.results.every((r) => r.ok) ? 'result' : 'error'} data-testid="job-summary" role="status">
          <p>
            {finishedJob.status === 'interrupted' ? 'The browser stopped the export part-way. ' : ''}
            {plural(finishedJob.results.filter((r) => r.ok).length, 'bundle')} made,{' '}
            {plural(finishedJob.results.reduce((n, r) => n + (r.messages ?? 0), 0), 'message')};{' '}
            {finishedJob.results.filter((r) => !r.ok).length} failed.
          </p>
          <ul>
            {finishedJob.results.map((r, i) => (
              <li key={i}>{r.ok ? `${r.fileName}: ${r.note}` : r.error}</li>
            ))}
          </ul>
        </div>
      )}

      <h2>Exports and receipts</h2>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void onRetryUploads()}>
          Retry uploads now
        </button>
      </div>
      {exportsList.length === 0 ? (
        <p class="muted">No bundles yet.</p>
      ) : (
        <table class="list" data-testid="exports-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Bundle</th>
              <th scope="col">Messages</th>
              <th scope="col">Forwarding</th>
            </tr>
          </thead>
          <tbody>
            {exportsList.map((e) => (
              <tr key={e.id} data-export-id={e.id}>
                <td>{new Date(e.at).toLocaleString()}</td>
                <td>
                  <code>{e.fileName}</code> <span class="muted">({e.scope})</span>
                </td>
                <td>{e.messages}</td>
                <td class="upload-state">
                  {uploadWords(e)}
                  {e.route === 'email' && !e.receipt && !e.downloadFailed && (
                    <>
                      {' '}
                      <button type="button" class="secondary" onClick={() => void onConfirmEmail(e)}>
                        Mark as sent
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
