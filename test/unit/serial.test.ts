import { describe, expect, it } from 'vitest';
import { serialQueue } from '../../src/shared/serial';

describe('serialQueue', () => {
  it('runs steps one after another, a failure passed to its caller without stopping the queue', async () => {
    const serially = serialQueue();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => () =>
      new Promise<string>((resolve, reject) => {
        log.push(`start ${name}`);
        setTimeout(() => {
          log.push(`end ${name}`);
          if (fail) reject(new Error(name));
          else resolve(name);
        }, ms);
      });
    const a = serially(step('a', 20));
    const b = serially(step('b', 1, true));
    const c = serially(step('c', 1));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});
