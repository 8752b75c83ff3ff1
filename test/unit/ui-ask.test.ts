import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', () => ({ default: {} }));
const { askAgain, NOT_ANSWERING } = await import('../../src/ui/ask');

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
