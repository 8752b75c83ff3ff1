/**
 * The background's end of the batch port (BATCH_PORT in shared/protocol.ts). Each request's
 * message goes to `answer` with the port's sender (set by the browser when the port opened: tab,
 * frame, URL, extension), which checks it exactly as a sent message — sender first, then schema,
 * and on this channel `content/batch` and `content/blob-part` only (boundary.ts) — and the reply carries the request's
 * id. A port by any other name, or one not opened from a tab, is closed at once.
 */
import type { Runtime } from 'webextension-polyfill';
import { BATCH_PORT, type PortReply } from '../shared/protocol';

export type Answer = (message: unknown, sender: Runtime.MessageSender) => Promise<unknown>;

type PortLike = Pick<Runtime.Port, 'name' | 'sender' | 'postMessage' | 'onMessage' | 'disconnect'>;

export function serveBatchPort(port: PortLike, answer: Answer): void {
  const sender = port.sender;
  if (port.name !== BATCH_PORT || !sender?.tab) {
    port.disconnect();
    return;
  }
  port.onMessage.addListener((request: unknown) => {
    const r = request as { id?: unknown; message?: unknown } | null;
    const id = r?.id;
    // Without an id no reply can be matched: nothing to answer.
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return;
    const reply = (body: { answer: unknown } | { error: string }): void => {
      try {
        port.postMessage({ id, ...body } as PortReply);
      } catch {
        /* the page went away; its batch is sent again on a new port if it comes back */
      }
    };
    answer(r?.message, sender).then(
      (a) => reply({ answer: a }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
