import { describe, expect, it, vi } from 'vitest';

const sendMessage = vi.fn<(message: unknown) => Promise<unknown>>();
vi.mock('webextension-polyfill', () => ({ default: { runtime: { sendMessage: (m: unknown) => sendMessage(m) } } }));
const { ask, askAgain, NOT_ANSWERING, STOPPED_BEFORE_ANSWER } = await import('../../src/ui/ask');

const progress = { type: 'popup/progress', tabId: 3 } as const;

describe('askAgain (reads from the extension pages)', () => {
  it('retries a transport error from a restarting worker and returns the answer', async () => {
    let calls = 0;
    const answer = await askAgain<{ status: string }>(progress, {
      baseDelayMs: 1,
      send: async () => {
        if (++calls < 3) throw new Error('Could not establish connection. Receiving end does not exist.');
        return { status: 'running' };
      },
    });
    expect(answer).toEqual({ status: 'running' });
    expect(calls).toBe(3);
  });

  it('treats a reply that never comes as a failure and asks again', async () => {
    let calls = 0;
    const answer = await askAgain<string>(progress, {
      baseDelayMs: 1,
      timeoutMs: 20,
      send: () => (++calls === 1 ? new Promise(() => undefined) : Promise.resolve('ok')),
    });
    expect(answer).toBe('ok');
    expect(calls).toBe(2);
  });

  it('keeps a null answer (no capture) distinct from no answer at all', async () => {
    await expect(askAgain(progress, { send: async () => null })).resolves.toBeNull();
    await expect(
      askAgain(progress, { attempts: 3, baseDelayMs: 1, send: async () => Promise.reject(new Error('The message port closed before a response was received.')) }),
    ).rejects.toThrow(new RegExp(`^${NOT_ANSWERING} \\(The message port closed`));
  });
});

describe('a worker stopped while it handled the request', () => {
  // webextension-polyfill resolves "The message port closed before a response was received." as
  // undefined (mozilla/webextension-polyfill#130): every request of ours has a real answer.
  it('ask rejects an undefined answer with a message that says the background stopped', async () => {
    sendMessage.mockReset().mockResolvedValueOnce(undefined);
    await expect(ask({ type: 'popup/cancel', tabId: 3 })).rejects.toThrow(STOPPED_BEFORE_ANSWER);
    sendMessage.mockResolvedValueOnce(null);
    await expect(ask(progress)).resolves.toBeNull();
  });

  it('askAgain asks again instead of reading "no answer" as "no capture"', async () => {
    const running = { status: 'running', messages: 890 };
    sendMessage.mockReset().mockResolvedValueOnce(undefined).mockResolvedValueOnce(running);
    await expect(askAgain(progress, { baseDelayMs: 1 })).resolves.toEqual(running);
    expect(sendMessage).toHaveBeenCalledTimes(2);
  });
});
