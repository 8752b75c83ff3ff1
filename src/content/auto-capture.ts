/**
 * Auto mode: watch the page and capture every message as it renders, in batches, with no user
 * action — so a disappearing message is kept before it vanishes. Reads are coalesced: one read
 * `debounceMs` after the last mutation of a burst, and never two at once. A page that never
 * pauses that long (a busy group, a typing indicator, a live chat list) is still read at most
 * `maxWaitMs` after its first unread mutation: a plain trailing debounce would wait for a pause
 * that may not come, while a virtualized list unmounts the oldest rows unread (the benchmark's
 * steady message every 250 ms kept only the last 60 of 300 messages that way).
 *
 * The defaults depend on the adapter. One that remembers rows (`remembersRows`: a read costs
 * little more than its new rows) is read 100 ms after a burst and at most 1 s after its first
 * change, so a read usually carries one new message: the page's main thread is held for about a
 * millisecond at a time rather than a few, at the price of more reads in all (docs/performance.md,
 * "Auto-capture cost": with a message every 250 ms, 330 reads instead of 34, and about four times
 * the content script's CPU time over the run). One that reads every row each time gains nothing
 * per read from smaller batches, so it keeps 400 ms and 2 s. A read that finds nothing new sends
 * nothing. When an attachment's bytes could not be read and may be on a later attempt, the page
 * is also read when that attempt is due (CaptureSession, ATTACHMENT_RETRY_DELAYS_MS), even if it
 * does not change.
 */
import type { Adapter } from '../adapters/types';
import type { CaptureSession } from './capture-session';

/**
 * Attributes whose change schedules a read on every messenger (ids, pictures, labels); an adapter
 * adds its own (Adapter.watchedAttributes). Text and child changes always do.
 */
export const AUTO_WATCHED_ATTRIBUTES = ['data-id', 'src', 'aria-label'] as const;

export interface AutoCaptureOptions {
  signal: AbortSignal;
  /** Quiet time after the last mutation before a read. Default 100 (an adapter that remembers rows) or 400. */
  debounceMs?: number;
  /** The longest a mutation waits for its read while the page keeps changing (at least debounceMs). Default 1000 (an adapter that remembers rows) or 2000. */
  maxWaitMs?: number;
  onError?: (err: unknown) => void;
  doc?: Document;
}

export function startAutoCapture(adapter: Adapter, session: CaptureSession, opts: AutoCaptureOptions): void {
  const doc = opts.doc ?? document;
  const quick = adapter.remembersRows === true;
  const debounceMs = opts.debounceMs ?? (quick ? 100 : 400);
  const maxWaitMs = Math.max(debounceMs, opts.maxWaitMs ?? (quick ? 1000 : 2000));
  /** `debounceMs` after the latest mutation. */
  let timer: ReturnType<typeof setTimeout> | null = null;
  /** `maxWaitMs` after the first mutation not yet read. */
  let deadline: ReturnType<typeof setTimeout> | null = null;
  /** When the session's next attachment read is due (CaptureSession.nextRetryIn): a page that stays still is read then. */
  let retry: ReturnType<typeof setTimeout> | null = null;
  let running = false;
  let again = false;

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        // A hidden tab shows only part of the conversation: reading it is harmless (nothing
        // is deleted by a missing row), so auto mode keeps reading what it can.
        if (adapter.conversationOpen(doc)) await session.push(adapter.read(doc));
      } while (again && !opts.signal.aborted);
      const wait = session.nextRetryIn();
      if (wait !== null && !opts.signal.aborted) {
        if (retry !== null) clearTimeout(retry);
        retry = setTimeout(fire, wait);
      }
    } catch (err) {
      // Reported; for a layout we cannot read the observer keeps going (the next render may be
      // readable), while the caller stops on anything else (e.g. the background refused).
      opts.onError?.(err);
    } finally {
      running = false;
    }
  };

  const cancel = () => {
    if (timer !== null) clearTimeout(timer);
    if (deadline !== null) clearTimeout(deadline);
    if (retry !== null) clearTimeout(retry);
    timer = null;
    deadline = null;
    retry = null;
  };
  const fire = () => {
    cancel();
    void run();
  };
  const schedule = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(fire, debounceMs);
    deadline ??= setTimeout(fire, maxWaitMs);
  };

  const observer = new MutationObserver(schedule);
  const attributeFilter = [...new Set([...AUTO_WATCHED_ATTRIBUTES, ...(adapter.watchedAttributes ?? [])])];
  observer.observe(doc.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter });
  opts.signal.addEventListener('abort', () => {
    observer.disconnect();
    cancel();
  }, { once: true });
  schedule();
}
