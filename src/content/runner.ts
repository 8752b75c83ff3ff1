/**
 * The content runner: the only part of the content script with a life cycle. It answers the
 * background's probes, runs the page's adapter when asked to preserve, reads attachment
 * bytes, and sends batches until each is acknowledged (the service worker may be stopped and
 * restarted at any moment; an unacknowledged batch is re-sent, and the background ignores a
 * batch it already committed).
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { adapterForUrl } from '../adapters/registry';
import { AdapterReadError, type Adapter } from '../adapters/types';
import type { BackgroundToContent, BatchAck, ContentBatch, ContentPreserveResult, ProbeResult } from '../shared/protocol';
import type { CapturedMessage } from '../shared/model';
import { bytesToBase64 } from '../shared/bytes';
import { readAttachment, type ReadBlob } from './attachments';
import { planBatches } from './batches';

const RETRIES = 6;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Send one batch until the background acknowledges it; a refusal (not a transport error) stops at once. */
export async function sendUntilAcked(batch: ContentBatch, send: (m: ContentBatch) => Promise<unknown> = (m) => browser.runtime.sendMessage(m)): Promise<BatchAck> {
  let lastError = 'no answer';
  for (let attempt = 0; attempt < RETRIES; attempt++) {
    let reply: unknown;
    try {
      reply = await send(batch);
    } catch (err) {
      // The worker was stopped or is starting: wait and send the same batch again.
      lastError = err instanceof Error ? err.message : String(err);
      await sleep(150 * 2 ** attempt);
      continue;
    }
    const ack = reply as { ok?: boolean; seq?: number; error?: string } | undefined;
    if (ack?.ok === true && ack.seq === batch.seq) return ack as BatchAck;
    if (ack?.ok === false) throw new Error(ack.error ?? 'the background refused the batch');
    lastError = 'unexpected answer';
    await sleep(150 * 2 ** attempt);
  }
  throw new Error(`Threadkeeper's background stopped answering (${lastError})`);
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

async function preserve(adapter: Adapter, captureId: string): Promise<ContentPreserveResult> {
  if (!adapter.conversationOpen(document)) return { ok: false, error: `no ${adapter.name} conversation is open in this tab` };
  let read;
  try {
    read = adapter.read(document);
  } catch (err) {
    if (err instanceof AdapterReadError) return { ok: false, error: err.message, selector: err.selector };
    throw err;
  }
  if (read.messages.length === 0) return { ok: false, error: 'could not read the messages on this page' };

  const blobs = new Map<string, ReadBlob>();
  let attachmentsRead = 0;
  let attachmentsMissing = 0;
  const messages: CapturedMessage[] = [];
  for (const m of read.messages) {
    const attachments = [];
    for (const a of m.attachments) {
      const { ref, blob } = await readAttachment(a);
      if (blob) {
        blobs.set(blob.sha256, blob);
        attachmentsRead++;
      } else attachmentsMissing++;
      attachments.push(ref);
    }
    messages.push({ ...m, attachments });
  }

  const planned = planBatches(messages, blobs);
  for (const [seq, p] of planned.entries()) {
    await sendUntilAcked({
      type: 'content/batch',
      captureId,
      adapter: adapter.id,
      seq,
      thread: read.thread,
      messages: p.messages,
      blobs: p.blobs.map((b) => ({ sha256: b.sha256, mediaType: b.mediaType, base64: bytesToBase64(b.bytes) })),
    });
  }
  return { ok: true, threadKey: read.thread.threadKey, batches: planned.length, messages: messages.length, attachmentsRead, attachmentsMissing };
}

export function startRunner(): void {
  const adapter = adapterForUrl(location.href);
  if (!adapter) return;
  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
    // Only our own background talks to us (a page cannot use runtime messaging at all).
    if (sender.id !== browser.runtime.id || sender.tab) return undefined;
    const m = message as BackgroundToContent;
    switch (m?.type) {
      case 'bg/probe':
        return Promise.resolve(probe(adapter));
      case 'bg/preserve':
        return preserve(adapter, m.captureId).catch((err: unknown) => ({ ok: false, error: err instanceof Error ? err.message : String(err) }) as ContentPreserveResult);
      default:
        return undefined;
    }
  });
}
