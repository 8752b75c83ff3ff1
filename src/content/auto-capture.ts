/**
 * Auto mode: watch the page and capture every message as it renders, in batches, with no user
 * action — so a disappearing message is kept before it vanishes. Reads are coalesced: at most
 * one read per `debounceMs` after a burst of mutations, and never two at once.
 */
import type { Adapter } from '../adapters/types';
import type { CaptureSession } from './capture-session';

export interface AutoCaptureOptions {
  signal: AbortSignal;
  debounceMs?: number;
  onError?: (err: unknown) => void;
  doc?: Document;
}

export function startAutoCapture(adapter: Adapter, session: CaptureSession, opts: AutoCaptureOptions): void {
  const doc = opts.doc ?? document;
  const debounceMs = opts.debounceMs ?? 400;
  let timer: ReturnType<typeof setTimeout> | null = null;
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
    } catch (err) {
      // Reported; for a layout we cannot read the observer keeps going (the next render may be
      // readable), while the caller stops on anything else (e.g. the background refused).
      opts.onError?.(err);
    } finally {
      running = false;
    }
  };

  const schedule = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, debounceMs);
  };

  const observer = new MutationObserver(schedule);
  observer.observe(doc.body, { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['data-id', 'src', 'aria-label'] });
  opts.signal.addEventListener('abort', () => {
    observer.disconnect();
    if (timer !== null) clearTimeout(timer);
  }, { once: true });
  schedule();
}
