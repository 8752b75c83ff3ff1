/**
 * Whole-history capture: scroll the conversation back to its beginning, capturing while it
 * scrolls (a virtualized list unmounts rows far from view, so one final read would miss
 * them), click the "older messages" control when it appears, and stop at the beginning,
 * after `idleTimeoutMs` with nothing new at the top, on cancel, when the time budget runs out,
 * or when the tab stays hidden. Then put the pane back where the user had it.
 */
import { AdapterReadError, type Adapter, type HistoryNavigation } from '../adapters/types';
import type { CaptureLimits, ContentProgress, EndReason } from '../shared/protocol';
import { ATTACHMENT_RETRY_DELAYS_MS, type CaptureSession } from './capture-session';

export interface ScrollBackResult {
  reason: EndReason;
  detail: string | null;
  selector: string | null;
}

export interface ScrollBackHooks {
  signal: AbortSignal;
  limits: CaptureLimits;
  progress: (phase: ContentProgress['phase']) => void;
  now?: () => number;
  doc?: Document;
}

/** Abort reasons: the user's Cancel, or the page going away (tab closed, reload, navigation). */
export const CANCELLED = 'cancelled';
export const PAGE_LEFT = 'page-left';

/** How long to wait for a virtual list to re-render after a scroll step. */
const SETTLE_MS = 80;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

/** Resolves when the list changes (rows added/removed, text changed) or after `ms`. */
function changeOrTimeout(target: Node, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (changed: boolean) => {
      if (done) return;
      done = true;
      observer.disconnect();
      clearTimeout(timer);
      resolve(changed);
    };
    const observer = new MutationObserver(() => finish(true));
    observer.observe(target, { childList: true, subtree: true, characterData: true });
    const timer = setTimeout(() => finish(false), ms);
    signal.addEventListener('abort', () => finish(false), { once: true });
  });
}

function waitVisible(doc: Document, ms: number, signal: AbortSignal): Promise<boolean> {
  if (doc.visibilityState !== 'hidden') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onChange = () => {
      if (doc.visibilityState !== 'hidden') finish(true);
    };
    const finish = (v: boolean) => {
      doc.removeEventListener('visibilitychange', onChange);
      clearTimeout(timer);
      resolve(v);
    };
    doc.addEventListener('visibilitychange', onChange);
    const timer = setTimeout(() => finish(doc.visibilityState !== 'hidden'), ms);
    signal.addEventListener('abort', () => finish(false), { once: true });
  });
}

/** Read the page and send what is new; layout errors end the capture, keeping what was sent. */
async function readAndPush(adapter: Adapter, session: CaptureSession, doc: Document): Promise<number> {
  return session.push(adapter.read(doc));
}

/** Ends after which the page is still there to read, and reading it again is worth a wait. */
const SETTLED: readonly EndReason[] = ['beginning', 'visible-only', 'history-refused', 'timed-out', 'budget'];

/**
 * Scrolls back through the whole history, sending what each read finds (scrollBackOnce); then,
 * when an attachment could not be read and its first attempt is due within a few seconds
 * (ATTACHMENT_RETRY_DELAYS_MS[0]), waits for it and reads the page once more, back where the
 * user was: a short thread, or the newest messages of a long one, get their pictures when the
 * page or its CDN failed only for a moment. What a later attempt would find is left to
 * preserving again.
 */
export async function scrollBack(adapter: Adapter, session: CaptureSession, hooks: ScrollBackHooks): Promise<ScrollBackResult> {
  const result = await scrollBackOnce(adapter, session, hooks);
  if (!SETTLED.includes(result.reason)) return result;
  const wait = session.nextRetryIn();
  if (wait === null || wait > ATTACHMENT_RETRY_DELAYS_MS[0] || hooks.signal.aborted) return result;
  const doc = hooks.doc ?? document;
  hooks.progress('reading');
  await sleep(wait, hooks.signal);
  if (hooks.signal.aborted || !adapter.conversationOpen(doc)) return result;
  try {
    await readAndPush(adapter, session, doc);
  } catch (err) {
    // The capture's end stands: everything it sent is kept, the attachment with its reason.
    console.warn('Threadkeeper: the last attachment attempt failed:', err);
  }
  return result;
}

async function scrollBackOnce(adapter: Adapter, session: CaptureSession, hooks: ScrollBackHooks): Promise<ScrollBackResult> {
  const doc = hooks.doc ?? document;
  const now = hooks.now ?? (() => Date.now());
  const started = now();
  const nav: HistoryNavigation | undefined = adapter.history;
  const end = (reason: EndReason, detail: string | null = null, selector: string | null = null): ScrollBackResult => ({ reason, detail, selector });

  try {
    hooks.progress('reading');
    await readAndPush(adapter, session, doc);
    if (!nav) return end('visible-only', `the ${adapter.name} adapter cannot scroll back yet; only the loaded messages were kept`);
    const scroller = nav.scroller(doc);
    if (!scroller) return end('layout-changed', `could not find the ${adapter.name} conversation's scrolling pane`, 'scroller');

    // Remember the user's place as distance from the bottom: loading older rows above changes scrollTop.
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    const clicked = new WeakSet<Element>();
    let idleSince: number | null = null;
    // Start by stepping most of a screen; the step is halved (and the pane moved back down)
    // whenever a read shares no row with what was read before — the list may have unmounted rows
    // we jumped over — and grows while reads keep overlapping. Overlap means no gap: the rows a
    // read sees are contiguous, and so is everything read so far.
    const fullStep = () => Math.max(1, Math.floor(scroller.clientHeight * 0.85));
    let step = fullStep();

    try {
      for (;;) {
        if (hooks.signal.aborted) {
          return hooks.signal.reason === PAGE_LEFT
            ? end('error', 'the page was closed or left before the capture finished; everything acknowledged is kept')
            : end('cancelled', 'cancelled by the user');
        }
        if (now() - started > hooks.limits.maxDurationMs) {
          return end('budget', `stopped after ${Math.round(hooks.limits.maxDurationMs / 60000)} minutes; everything read so far is kept, and preserving again continues from the top of what is kept`);
        }
        if (doc.visibilityState === 'hidden') {
          // Messengers render only part of a hidden tab: pause rather than record a gap.
          hooks.progress('paused-hidden');
          if (!(await waitVisible(doc, hooks.limits.hiddenTimeoutMs, hooks.signal))) {
            if (hooks.signal.aborted) continue;
            return end('tab-hidden', `the ${adapter.name} tab stayed in the background, where it shows only part of the conversation; bring it to the front and preserve again`);
          }
          hooks.progress('scrolling');
        }

        const sent = await readAndPush(adapter, session, doc);
        if (!session.lastReadOverlapped && step > 8) {
          // Possibly a gap: go back down half a step and read again with a smaller step.
          step = Math.floor(step / 2);
          const rendered = changeOrTimeout(scroller, SETTLE_MS, hooks.signal);
          scroller.scrollTop = scroller.scrollTop + step;
          scroller.dispatchEvent(new Event('scroll'));
          await rendered;
          continue;
        }
        // Rows stay mounted some way beyond the viewport, so a read that still overlaps what we
        // have lets the step grow (up to three screens); a read that does not overlap steps back.
        step = Math.min(fullStep() * 3, Math.ceil(step * 1.5));
        if (nav.atBeginning(doc) && scroller.scrollTop <= 1) return end('beginning');

        const control = nav.olderHistoryControl(doc);
        if (control && !clicked.has(control)) {
          clicked.add(control);
          hooks.progress('loading-history');
          control.click();
          idleSince = null;
          await changeOrTimeout(scroller, 1500, hooks.signal);
          continue;
        }

        if (scroller.scrollTop > 1) {
          hooks.progress('scrolling');
          // Watch before scrolling: a list that re-renders at once must not leave us waiting
          // the whole settle time for a change that already happened.
          const rendered = changeOrTimeout(scroller, SETTLE_MS, hooks.signal);
          scroller.scrollTop = Math.max(0, scroller.scrollTop - step);
          scroller.dispatchEvent(new Event('scroll'));
          // A virtual list remounts rows within a frame or two of the scroll event.
          await rendered;
          idleSince = null;
          continue;
        }

        // At the top: the messenger may say it will not deliver older history.
        const refused = nav.historyRefused?.(doc) ?? null;
        if (refused) return end('history-refused', `${adapter.name} did not load older messages: “${refused}”; everything shown was kept`);
        // Otherwise wait for older history to arrive.
        hooks.progress('loading-history');
        if (sent > 0) idleSince = null;
        idleSince ??= now();
        if (now() - idleSince >= hooks.limits.idleTimeoutMs) {
          return control
            ? end('history-refused', `${adapter.name} did not load older messages (the phone or server refused or did not answer); everything shown was kept`)
            : end('timed-out', `nothing older arrived for ${Math.round(hooks.limits.idleTimeoutMs / 1000)} seconds at the top of the conversation`);
        }
        const before = scroller.scrollHeight;
        await changeOrTimeout(scroller, Math.min(1000, hooks.limits.idleTimeoutMs), hooks.signal);
        if (scroller.scrollHeight !== before) idleSince = null;
        await sleep(30, hooks.signal);
      }
    } finally {
      // Back to where the user was (measured from the bottom, which older rows do not move).
      scroller.scrollTop = Math.max(0, scroller.scrollHeight - fromBottom);
      scroller.dispatchEvent(new Event('scroll'));
    }
  } catch (err) {
    if (err instanceof AdapterReadError) return end('layout-changed', err.message, err.selector);
    return end('error', err instanceof Error ? err.message : String(err));
  }
}
