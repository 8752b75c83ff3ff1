import { afterEach, describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', () => ({ default: {} }));
const { whileAlive, PING_MS } = await import('../../src/background/keep-alive');

afterEach(() => {
  vi.useRealTimers();
});

describe('whileAlive: long work keeps the service worker from being stopped as idle', () => {
  it('calls an extension API within every 30 s while the work runs, and stops when it ends', async () => {
    vi.useFakeTimers();
    const ping = vi.fn(async () => undefined);
    let finish!: (v: string) => void;
    const result = whileAlive(() => new Promise<string>((r) => (finish = r)), ping);
    await vi.advanceTimersByTimeAsync(95_000);
    expect(PING_MS).toBeLessThan(30_000);
    expect(ping).toHaveBeenCalledTimes(Math.floor(95_000 / PING_MS));
    finish('bundle written');
    await expect(result).resolves.toBe('bundle written');
    ping.mockClear();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ping).not.toHaveBeenCalled();
  });

  it('one timer for overlapping jobs, kept until the last ends; a failing job still stops it', async () => {
    vi.useFakeTimers();
    const ping = vi.fn(async () => undefined);
    let endA!: () => void;
    let failB!: (e: Error) => void;
    const a = whileAlive(() => new Promise<void>((r) => (endA = r)), ping);
    const b = whileAlive(() => new Promise<void>((_, j) => (failB = j)), ping);
    await vi.advanceTimersByTimeAsync(PING_MS);
    expect(ping).toHaveBeenCalledTimes(1);
    failB(new Error('disk full'));
    await expect(b).rejects.toThrow('disk full');
    await vi.advanceTimersByTimeAsync(PING_MS);
    expect(ping).toHaveBeenCalledTimes(2);
    endA();
    await a;
    await vi.advanceTimersByTimeAsync(3 * PING_MS);
    expect(ping).toHaveBeenCalledTimes(2);
  });
});
