/**
 * How the extension's pages talk to the background. The service worker can be stopped at any
 * moment (idle, update, crash); a message in flight then fails with a transport error, and the
 * next one wakes a fresh worker. So:
 * - `ask` sends once: for actions (export, preserve, purge), which must never run twice. A worker
 *   stopped mid-request (no answer at all) is an error that says so.
 * - `askAgain` is for reads (status, progress, job, lists): a transport error or a worker that
 *   never answers is retried with backoff, so a restart is invisible to the user; only when
 *   the background stays silent does it reject, with a message that says so.
 */
import browser from 'webextension-polyfill';
import type { PopupRequest } from '../shared/protocol';
import { messageOf } from './words';

export const NOT_ANSWERING = "Threadkeeper's background is not answering";
export const STOPPED_BEFORE_ANSWER = "Threadkeeper's background stopped before it answered (the browser may have restarted it); what it had already done is kept. Look again before you try again";

/**
 * Every request gets an answer (null when there is nothing to show), never undefined. A worker
 * stopped while it handled the request closes the message port without answering, which the
 * polyfill resolves as undefined rather than rejecting; that is a failure, not an empty answer.
 */
export async function ask<T>(message: PopupRequest): Promise<T> {
  const answer: unknown = await browser.runtime.sendMessage(message);
  if (answer === undefined) throw new Error(STOPPED_BEFORE_ANSWER);
  return answer as T;
}

export interface AskAgainOptions {
  attempts?: number;
  /** One attempt's deadline: a worker stopped mid-answer may never reply. */
  timeoutMs?: number;
  baseDelayMs?: number;
  send?: (message: PopupRequest) => Promise<unknown>;
}

export async function askAgain<T>(message: PopupRequest, options: AskAgainOptions = {}): Promise<T> {
  const { attempts = 6, timeoutMs = 20_000, baseDelayMs = 200, send = ask } = options;
  let last = 'no answer';
  for (let i = 0; i < attempts; i++) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = await Promise.race([
        send(message),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs))),
      ]);
      return answer as T;
    } catch (err) {
      last = messageOf(err);
    } finally {
      clearTimeout(timer);
    }
    if (i < attempts - 1) await new Promise((r) => setTimeout(r, baseDelayMs * 2 ** i));
  }
  throw new Error(`${NOT_ANSWERING} (${last}). Anything already captured is kept; reopen this page to try again.`);
}
