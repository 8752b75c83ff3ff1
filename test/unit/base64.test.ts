/**
 * Base64 for attachment bytes on the way from the content script (src/shared/bytes.ts): the
 * platform's toBase64/fromBase64 where there are, a table-driven encoder otherwise (Node 20 has
 * neither, so base64Js is what runs here; the real browser uses the native ones in the e2e tests).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { base64Js, base64ToBytes, bytesToBase64 } from '../../src/shared/bytes';

afterEach(() => {
  delete (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64;
});

describe('base64', () => {
  it('the JavaScript encoder gives what Node gives, at every length modulo 3 and for every byte value', () => {
    const every = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 89) & 0xff);
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 100, 256 * 3]) {
      expect(base64Js(every.subarray(0, n)), `length ${n}`).toBe(Buffer.from(every.subarray(0, n)).toString('base64'));
    }
    const random = randomBytes(1_000_003);
    expect(base64Js(random)).toBe(random.toString('base64'));
    expect(bytesToBase64(random)).toBe(random.toString('base64'));
  });

  it('round-trips, and refuses text that is not base64', () => {
    const bytes = new Uint8Array(randomBytes(65_537));
    expect(Buffer.from(base64ToBytes(bytesToBase64(bytes))).equals(Buffer.from(bytes))).toBe(true);
    expect(() => base64ToBytes('not base64!')).toThrow();
  });

  it("uses the platform's toBase64 and fromBase64 when there are", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    Object.defineProperty(bytes, 'toBase64', { value: () => 'native' });
    expect(bytesToBase64(bytes)).toBe('native');
    (Uint8Array as unknown as { fromBase64: (s: string) => Uint8Array }).fromBase64 = (s) => new Uint8Array([s.length]);
    expect(base64ToBytes('abcd')).toEqual(new Uint8Array([4]));
  });
});
