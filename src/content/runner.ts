/**
 * The content runner: the only part of the content script with a life cycle. It answers the
 * background's probes, runs whole-history captures and auto-capture, and sends batches until
 * each is acknowledged (the service worker may be stopped and restarted at any moment; an
 * unacknowledged batch is re-sent, and the background ignores a batch it already committed).
 * One AbortController per page session: a navigation or a cancel stops everything it owns.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { adapterById, adapterForUrl } from '../adapters/registry';
import { AdapterReadError, type Adapter } from '../adapters/types';
import type {
  AliveAnswer,
  AutoStartAnswer,
  BackgroundToContent,
  BatchAck,
  BlobPartAck,
  CaptureLimits,
  ContentBatch,
  ContentBlobPart,
  ContentPreserveStart,
  ContentRequest,
  HelloAnswer,
  PortMessage,
  ProbeResult,
} from '../shared/protocol';
import { CaptureSession } from './capture-session';
import { CANCELLED, PAGE_LEFT, scrollBack } from './scroll-back';
import { startAutoCapture } from './auto-capture';
import { BatchPort } from './batch-port';

const RETRIES = 8;
/**
 * One attempt's deadline. A worker stopped while handling a message may never answer it; the
 * background ignores a batch it already committed, so sending it again is always safe.
 */
export const ATTEMPT_TIMEOUT_MS = 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A message whose answer does not arrive within `ms` counts as a transport error. */
function within<T>(answer: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)));
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

/** The page's one port for batches, opened on the first. */
const batchPort = new BatchPort();

/**
 * Send one message on the batch port until the background acknowledges it (`acked` takes the
 * answer); a refusal (not a transport error) stops at once.
 */
async function untilAcked<M extends PortMessage, A>(
  message: M,
  acked: (reply: unknown) => reply is A,
  send: (m: M) => Promise<unknown>,
  timeoutMs: number,
): Promise<A> {
  let lastError = 'no answer';
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    let reply: unknown;
    try {
      reply = await within(send(message), timeoutMs);
    } catch (err) {
      // The worker was stopped or is starting: wait and send the same message again.
      lastError = err instanceof Error ? err.message : String(err);
      await sleep(150 * 2 ** attempt);
      continue;
    }
    if (acked(reply)) return reply;
    const refusal = reply as { ok?: boolean; error?: string } | undefined;
    if (refusal?.ok === false) throw new Error(refusal.error ?? 'the background refused the batch');
    lastError = 'unexpected answer';
    await sleep(150 * 2 ** attempt);
  }
  throw new Error(`Threadkeeper's background stopped answering (${lastError})`);
}

/** Send one batch until the background acknowledges it; a refusal (not a transport error) stops at once. */
export function sendUntilAcked(
  batch: ContentBatch,
  send: (m: ContentBatch) => Promise<unknown> = batchPort.send,
  timeoutMs = ATTEMPT_TIMEOUT_MS,
): Promise<BatchAck> {
  const acked = (r: unknown): r is BatchAck => (r as Partial<BatchAck> | undefined)?.ok === true && (r as BatchAck).seq === batch.seq;
  return untilAcked(batch, acked, send, timeoutMs);
}

/** Send one part of a large attachment until acknowledged, like a batch (a part sent twice replaces itself). */
export function sendPartUntilAcked(
  part: ContentBlobPart,
  send: (m: ContentBlobPart) => Promise<unknown> = batchPort.send,
  timeoutMs = ATTEMPT_TIMEOUT_MS,
): Promise<BlobPartAck> {
  const acked = (r: unknown): r is BlobPartAck => {
    const a = r as Partial<BlobPartAck> | undefined;
    return a?.ok === true && a.sha256 === part.sha256 && a.offset === part.offset && typeof a.stored === 'boolean';
  };
  return untilAcked(part, acked, send, timeoutMs);
}

/** Fire-and-forget messages (progress) are best effort; the capture does not depend on them. */
function tell(message: ContentRequest): Promise<unknown> {
  return browser.runtime.sendMessage(message).catch(() => undefined);
}

/**
 * A message whose answer the page needs, asked again with backoff until `accepted` takes the
 * answer: the worker may be starting, or be stopped while it answers, which shows as a transport
 * error, no answer in time, or an answer of `undefined` (webextension-polyfill resolves a port
 * closed without an answer that way). Null when no acceptable answer came after every attempt.
 */
export async function askUntilAnswered<T>(
  message: ContentRequest,
  accepted: (answer: unknown) => answer is T,
  send: (m: ContentRequest) => Promise<unknown> = (m) => browser.runtime.sendMessage(m),
  attempts = RETRIES,
  timeoutMs = ATTEMPT_TIMEOUT_MS,
): Promise<T | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const answer = await within(send(message), timeoutMs);
      if (accepted(answer)) return answer;
    } catch {
      /* worker restarting */
    }
    if (attempt < attempts - 1) await sleep(150 * 2 ** attempt);
  }
  return null;
}

/** An answer at all (auto-start, hello): an object saying `ok`. */
const isAnswer = <T extends { ok: boolean }>(a: unknown): a is T => typeof a === 'object' && a !== null && typeof (a as { ok?: unknown }).ok === 'boolean';

/** The end of a capture must arrive: retried like a batch, until the background records it. */
async function tellEnd(message: Extract<ContentRequest, { type: 'content/capture-end' }>): Promise<void> {
  await askUntilAnswered(message, (r): r is { ok: true } => (r as { ok?: unknown } | undefined)?.ok === true);
}

function probe(adapter: Adapter): ProbeResult {
  const conversationOpen = adapter.conversationOpen(document);
  if (!conversationOpen) return { ok: true, adapter: adapter.id, conversationOpen, thread: null, readError: null };
  try {
    const read = adapter.read(document);
    return { ok: true, adapter: adapter.id, conversationOpen, thread: read.thread, readError: null };
  } catch (err) {
    if (err instanceof AdapterReadError) {
      return { ok: true, adapter: adapter.id, conversationOpen, thread: null, readError: { selector: err.selector, message: err.message } };
    }
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const captures = new Map<string, AbortController>();
/** How each capture of this page ended, kept so the background can ask again if the end message was lost. */
const endings = new Map<string, Extract<ContentRequest, { type: 'content/capture-end' }>>();

function startPreserve(adapter: Adapter, captureId: string, limits: CaptureLimits, page: AbortSignal): ContentPreserveStart {
  if (!adapter.conversationOpen(document)) return { ok: false, error: `no ${adapter.name} conversation is open in this tab` };
  try {
    // Fail fast, before anything runs, when the layout cannot be read at all.
    if (adapter.read(document).messages.length === 0) return { ok: false, error: 'could not read the messages on this page' };
  } catch (err) {
    if (err instanceof AdapterReadError) return { ok: false, error: err.message, selector: err.selector };
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const controller = new AbortController();
  page.addEventListener('abort', () => controller.abort(PAGE_LEFT), { once: true });
  captures.set(captureId, controller);
  const session = new CaptureSession(adapter, captureId, (b) => sendUntilAcked(b), fetch, (p) => sendPartUntilAcked(p));
  void (async () => {
    const result = await scrollBack(adapter, session, {
      signal: controller.signal,
      limits,
      progress: (phase) => void tell({ type: 'content/progress', captureId, adapter: adapter.id, phase, sent: session.acknowledged, oldestSentAt: session.oldestSentAt }),
    });
    const end = { type: 'content/capture-end', captureId, adapter: adapter.id, reason: result.reason, detail: result.detail, selector: result.selector } as const;
    endings.set(captureId, end);
    captures.delete(captureId);
    await tellEnd(end);
  })();
  return { ok: true };
}

let auto: AbortController | null = null;
/** Asking whether to capture automatically: one question at a time, so one auto capture per page. */
let autoAsking = false;

async function maybeAutoCapture(adapter: Adapter, page: AbortSignal): Promise<void> {
  if ((auto && !auto.signal.aborted) || autoAsking) return;
  autoAsking = true;
  let answer: AutoStartAnswer | null;
  try {
    // A worker stopped while it answered must not leave a page configured for auto-capture
    // uncaptured until it is reloaded: asked again until it answers.
    answer = await askUntilAnswered({ type: 'content/auto-start', adapter: adapter.id }, isAnswer<AutoStartAnswer>);
  } finally {
    autoAsking = false;
  }
  if (!answer?.ok || !answer.auto || page.aborted) return;
  auto = new AbortController();
  const stop = auto;
  page.addEventListener('abort', () => stop.abort(), { once: true });
  const session = new CaptureSession(adapter, answer.captureId, (b) => sendUntilAcked(b), fetch, (p) => sendPartUntilAcked(p));
  startAutoCapture(adapter, session, {
    signal: stop.signal,
    onError: (err) => {
      console.warn('Threadkeeper auto-capture:', err);
      // Never pretend: a layout the adapter cannot read, or a refusal from the background
      // (storage full, capture closed), ends auto mode for this page, and the capture record
      // (and so the popup and the badge) says why.
      if (stop.signal.aborted) return;
      stop.abort();
      const layout = err instanceof AdapterReadError;
      void tellEnd({
        type: 'content/capture-end',
        captureId: answer.captureId,
        adapter: adapter.id,
        reason: layout ? 'layout-changed' : 'error',
        detail: `automatic capture stopped: ${err instanceof Error ? err.message : String(err)}`,
        selector: layout ? err.selector : null,
      });
    },
  });
}

/** Built-in messenger by URL; on a custom domain the background says which adapter it is mapped to. */
async function findAdapter(): Promise<Adapter | undefined> {
  const builtIn = adapterForUrl(location.href);
  if (window !== window.top) {
    // In a frame (Google Chat inside Gmail) only the messenger's own embedded frames are read.
    return builtIn?.embeddedFrame?.(new URL(location.href)) ? builtIn : undefined;
  }
  if (builtIn) return builtIn;
  const answer = await askUntilAnswered({ type: 'content/hello', adapter: 'unknown' }, isAnswer<HelloAnswer>);
  return answer?.ok ? adapterById(answer.adapter) : undefined;
}

export function startRunner(): void {
  void findAdapter().then((adapter) => {
    if (adapter) runWith(adapter);
  });
}

function runWith(adapter: Adapter): void {
  const page = new AbortController();
  addEventListener('pagehide', () => page.abort(PAGE_LEFT), { once: true });
  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
    // Only our own background talks to us (a page cannot use runtime messaging at all).
    if (sender.id !== browser.runtime.id || sender.tab) return undefined;
    const m = message as BackgroundToContent;
    switch (m?.type) {
      case 'bg/probe':
        return Promise.resolve(probe(adapter));
      case 'bg/preserve':
        return Promise.resolve(startPreserve(adapter, m.captureId, m.limits, page.signal));
      case 'bg/auto':
        if (m.enabled) void maybeAutoCapture(adapter, page.signal);
        else auto?.abort();
        return Promise.resolve({ ok: true });
      case 'bg/alive': {
        const end = endings.get(m.captureId);
        const answer: AliveAnswer = captures.has(m.captureId) ? { ok: true, running: true } : end ? { ok: true, running: false, end } : { ok: false };
        return Promise.resolve(answer);
      }
      case 'bg/cancel':
        captures.get(m.captureId)?.abort(CANCELLED);
        return Promise.resolve({ ok: captures.has(m.captureId) });
      default:
        return undefined;
    }
  });
  if (window === window.top) void maybeAutoCapture(adapter, page.signal);
  // A messenger frame inside another site's page (Google Chat in Gmail) speaks — and so becomes
  // known to the background — once it shows a conversation: Gmail keeps idle Chat frames
  // (the roster, spare frames) that have nothing to capture.
  else whenConversationOpens(adapter, page.signal, () => void maybeAutoCapture(adapter, page.signal));
}

function whenConversationOpens(adapter: Adapter, signal: AbortSignal, then: () => void): void {
  if (adapter.conversationOpen(document)) return then();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const observer = new MutationObserver(() => {
    timer ??= setTimeout(() => {
      timer = null;
      if (!adapter.conversationOpen(document)) return;
      observer.disconnect();
      then();
    }, 250);
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  signal.addEventListener('abort', () => {
    observer.disconnect();
    if (timer !== null) clearTimeout(timer);
  }, { once: true });
}
