/**
 * The content script's end of the batch port (BATCH_PORT in shared/protocol.ts): one port for
 * the page, opened on the first batch and again after the background let it go (the service
 * worker stopped, the page came back from the back/forward cache). A request whose port closes
 * before its reply is rejected, like a `runtime.sendMessage` to a worker that stopped: the
 * caller (sendUntilAcked) sends the batch again, and the background ignores a batch it already
 * committed.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { BATCH_PORT, type PortMessage, type PortRequest } from '../shared/protocol';

type PortLike = Pick<Runtime.Port, 'postMessage' | 'onMessage' | 'onDisconnect'>;

interface Pending {
  resolve: (answer: unknown) => void;
  reject: (err: Error) => void;
}

export class BatchPort {
  private port: PortLike | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly connect: () => PortLike = () => browser.runtime.connect({ name: BATCH_PORT })) {}

  /** Sends one batch or attachment part; resolves with the background's answer, rejects when the port closed first. */
  readonly send = (message: PortMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      try {
        this.port ??= this.open();
        this.port.postMessage({ id, message } satisfies PortRequest);
      } catch (err) {
        // A port already closed (its onDisconnect not delivered yet): the next send opens another.
        this.close(err instanceof Error ? err.message : String(err));
      }
    });

  private open(): PortLike {
    const port = this.connect();
    port.onMessage.addListener((reply: unknown) => {
      const r = reply as Partial<{ id: unknown; answer: unknown; error: unknown }> | null;
      const pending = typeof r?.id === 'number' ? this.pending.get(r.id) : undefined;
      if (!pending || !r) return;
      this.pending.delete(r.id as number);
      if ('error' in r) pending.reject(new Error(String(r.error)));
      else pending.resolve(r.answer);
    });
    port.onDisconnect.addListener(() => {
      // Read, so that Chromium does not log an unchecked error in the messenger page's console.
      const why = browser.runtime.lastError?.message;
      if (this.port === port) this.close(why ? `the background closed the connection (${why})` : 'the background closed the connection');
    });
    return port;
  }

  private close(reason: string): void {
    this.port = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(new Error(reason));
  }
}
