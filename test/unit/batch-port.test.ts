/**
 * The batch port: the content script's BatchPort and the background's serveBatchPort, joined by
 * an in-memory port pair that behaves as Chromium's does (messages arrive in a later task, as
 * copies; closing one end tells the other, never the closer). A batch on the port must be
 * answered exactly as a sent one, a worker that stops mid-request must cost nothing but a
 * re-send, and the port must carry nothing but batches from the pages the adapter serves.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Runtime } from 'webextension-polyfill';
import { BatchPort } from '../../src/content/batch-port';
import { serveBatchPort, type Answer } from '../../src/background/batch-port';
import { checkMessage } from '../../src/background/boundary';
import { sendUntilAcked } from '../../src/content/runner';
import { BATCH_PORT, type ContentBlobPart } from '../../src/shared/protocol';
import { batch, message } from './factories';

vi.mock('webextension-polyfill', () => ({ default: { runtime: { sendMessage: vi.fn(), connect: vi.fn(), onMessage: { addListener: vi.fn() }, id: 'x' } } }));

type Listener<A extends unknown[]> = (...args: A) => void;
class Event<A extends unknown[]> {
  readonly listeners: Listener<A>[] = [];
  addListener(l: Listener<A>): void {
    this.listeners.push(l);
  }
  removeListener(l: Listener<A>): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }
  hasListener(l: Listener<A>): boolean {
    return this.listeners.includes(l);
  }
  hasListeners(): boolean {
    return this.listeners.length > 0;
  }
  emit(...args: A): void {
    for (const l of this.listeners) l(...args);
  }
}

interface End {
  name: string;
  sender?: Runtime.MessageSender;
  onMessage: Event<[unknown]>;
  onDisconnect: Event<[]>;
  postMessage(m: unknown): void;
  disconnect(): void;
  closed: boolean;
}

/** Two connected ends: what one posts, the other hears in a later task. */
function portPair(name: string, sender?: Runtime.MessageSender): { content: End; background: End } {
  const make = (): End => ({
    name,
    onMessage: new Event(),
    onDisconnect: new Event(),
    closed: false,
    postMessage() {},
    disconnect() {},
  });
  const content = make();
  const background = { ...make(), sender };
  const link = (from: End, to: End) => {
    from.postMessage = (m) => {
      if (from.closed) throw new Error('Attempting to use a disconnected port object');
      const copy = structuredClone(m);
      setTimeout(() => !to.closed && to.onMessage.emit(copy), 0);
    };
    from.disconnect = () => {
      if (from.closed) return;
      from.closed = to.closed = true;
      setTimeout(() => to.onDisconnect.emit(), 0);
    };
  };
  link(content, background);
  link(background, content);
  return { content, background };
}

const whatsappTab: Runtime.MessageSender = {
  id: 'ext-id',
  url: 'https://web.whatsapp.com/',
  frameId: 0,
  tab: { id: 7, index: 0, highlighted: false, active: true, pinned: false, incognito: false },
};

/** A background whose answer is the boundary's verdict, and which records what it was asked. */
function background(asked: unknown[] = []): Answer {
  return async (m, sender) => {
    asked.push(m);
    const checked = checkMessage(m, sender, { id: 'ext-id', origin: 'chrome-extension://ext-id/' }, [], 'batch-port');
    if (!checked.ok) return { ok: false, error: `refused: ${checked.reason}` };
    const seq = (checked.message as { seq: number }).seq;
    return { ok: true, seq, newMessages: 1, newVersions: 0 };
  };
}

/** A BatchPort whose every connect makes a new pair served by `answer`; `ports` lists them. */
function connected(answer: Answer, sender: Runtime.MessageSender = whatsappTab) {
  const ports: { content: End; background: End }[] = [];
  const port = new BatchPort(() => {
    const pair = portPair(BATCH_PORT, sender);
    serveBatchPort(pair.background, answer);
    ports.push(pair);
    return pair.content;
  });
  return { port, ports };
}

describe('BatchPort ↔ serveBatchPort', () => {
  it('sends batches on one port, each answered by the boundary with its own reply', async () => {
    const asked: unknown[] = [];
    const { port, ports } = connected(background(asked));
    const [a, b] = await Promise.all([port.send(batch('c1', 0, [message('A')])), port.send(batch('c1', 1, [message('B')]))]);
    expect([a, b]).toEqual([{ ok: true, seq: 0, newMessages: 1, newVersions: 0 }, { ok: true, seq: 1, newMessages: 1, newVersions: 0 }]);
    expect(await port.send(batch('c1', 2, [message('C')]))).toMatchObject({ ok: true, seq: 2 });
    expect(ports).toHaveLength(1);
    expect(asked).toHaveLength(3);
  });

  it('matches replies by id when they come back out of order', async () => {
    const slowFirst: Answer = async (m) => {
      const seq = (m as { seq: number }).seq;
      await new Promise((r) => setTimeout(r, seq === 0 ? 30 : 0));
      return { ok: true, seq, newMessages: 0, newVersions: 0 };
    };
    const { port } = connected(slowFirst);
    const order: number[] = [];
    await Promise.all([0, 1].map((seq) => port.send(batch('c1', seq, [message('A')])).then((a) => order.push((a as { seq: number }).seq))));
    expect(order).toEqual([1, 0]);
  });

  it('checks the sender the browser gave the port and carries content/batch and content/blob-part only', async () => {
    const evil = connected(background(), { ...whatsappTab, url: 'https://evil.example/' });
    expect(await evil.port.send(batch('c1', 0, [message('A')]))).toMatchObject({ ok: false, error: expect.stringMatching(/does not serve/) });
    const part: ContentBlobPart = { type: 'content/blob-part', captureId: 'c1', adapter: 'whatsapp', sha256: 'a'.repeat(64), mediaType: 'video/mp4', size: 30_000_000, offset: 0, base64: 'AAAA' };
    expect(await evil.port.send(part)).toMatchObject({ ok: false, error: expect.stringMatching(/does not serve/) });
    const other = connected(background(), { ...whatsappTab, id: 'another-extension' });
    expect(await other.port.send(batch('c1', 0, [message('A')]))).toMatchObject({ ok: false, error: expect.stringMatching(/not this extension/) });
    const { port } = connected(background());
    const progress = { type: 'content/progress', captureId: 'c1', adapter: 'whatsapp', phase: 'reading', sent: 0, oldestSentAt: null };
    expect(await port.send(progress as never)).toMatchObject({ ok: false, error: expect.stringMatching(/only content\/batch and content\/blob-part travel on the batch port/) });
    expect(await port.send(part)).toMatchObject({ ok: true });
    expect(await port.send({ ...part, offset: -8 })).toMatchObject({ ok: false, error: expect.stringMatching(/content\/blob-part: .*offset/) });
    expect(await port.send({ ...part, size: 600 * 1024 * 1024 })).toMatchObject({ ok: false, error: expect.stringMatching(/content\/blob-part: .*size/) });
    const malformed = { ...batch('c1', 0, [message('A')]), extra: 'x' };
    expect(await port.send(malformed as never)).toMatchObject({ ok: false, error: expect.stringMatching(/refused/) });
  });

  it('a port by another name, or not opened from a tab, is closed without a listener', () => {
    for (const [name, sender] of [['something-else', whatsappTab], [BATCH_PORT, { id: 'ext-id', url: 'chrome-extension://ext-id/popup.html' }]] as const) {
      const pair = portPair(name, sender as Runtime.MessageSender);
      const disconnect = vi.spyOn(pair.background, 'disconnect');
      serveBatchPort(pair.background, background());
      expect(disconnect).toHaveBeenCalled();
      expect(pair.background.onMessage.listeners).toHaveLength(0);
    }
  });

  it('answers nothing to a request without an id, and an error in the background becomes the sender\'s error', async () => {
    const pair = portPair(BATCH_PORT, whatsappTab);
    const answer = vi.fn(async () => {
      throw new Error('the database is being upgraded');
    });
    serveBatchPort(pair.background, answer);
    const replies: unknown[] = [];
    pair.content.onMessage.addListener((r) => replies.push(r));
    pair.content.postMessage({ message: batch('c1', 0, [message('A')]) });
    pair.content.postMessage({ id: 'one', message: batch('c1', 0, [message('A')]) });
    pair.content.postMessage({ id: 5, message: batch('c1', 0, [message('A')]) });
    await vi.waitFor(() => expect(replies).toHaveLength(1));
    expect(answer).toHaveBeenCalledTimes(1);
    expect(replies).toEqual([{ id: 5, error: 'the database is being upgraded' }]);
  });

  it('a worker stopped mid-request: the request fails, the batch is sent again on a new port and acknowledged once', async () => {
    const asked: unknown[] = [];
    const answer = background(asked);
    let stopNext = true;
    const { port, ports } = connected(async (m, sender) => {
      if (stopNext) {
        stopNext = false;
        ports[0]!.background.disconnect(); // the worker stops before it answers
        return new Promise(() => undefined);
      }
      return answer(m, sender);
    });
    const ack = await sendUntilAcked(batch('c1', 3, [message('A')]), port.send);
    expect(ack).toMatchObject({ ok: true, seq: 3 });
    expect(ports).toHaveLength(2);
    expect(asked).toHaveLength(1);
  });

  it('rejects a request posted on a port that has already closed, and opens a new one for the next', async () => {
    const { port, ports } = connected(background());
    await port.send(batch('c1', 0, [message('A')]));
    ports[0]!.content.closed = true; // closed, its onDisconnect not delivered yet
    await expect(port.send(batch('c1', 1, [message('A')]))).rejects.toThrow(/disconnected port/);
    expect(await port.send(batch('c1', 1, [message('A')]))).toMatchObject({ ok: true, seq: 1 });
    expect(ports).toHaveLength(2);
  });
});
