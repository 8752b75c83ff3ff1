import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Sha512 } from '../../src/shared/sha512-sync';

const node = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

describe('incremental SHA-512', () => {
  it('gives the FIPS 180-4 examples', () => {
    expect(new Sha512().update(new TextEncoder().encode('abc')).hex()).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(new Sha512().update(new Uint8Array(0)).hex()).toBe(
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    );
  });

  it('matches node:crypto at every length around the block and padding edges', () => {
    const data = randomBytes(1000);
    for (const n of [1, 55, 56, 63, 64, 110, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 257, 1000]) {
      expect(new Sha512().update(data.subarray(0, n)).hex(), `${n} bytes`).toBe(node(data.subarray(0, n)));
    }
  });

  it('gives the same digest however the input is split', () => {
    const data = randomBytes(300_000);
    const want = node(data);
    for (const sizes of [[1], [127], [128], [129], [4096], [65_537, 3], [299_999, 1]]) {
      const h = new Sha512();
      let off = 0;
      for (let i = 0; off < data.length; i++) {
        const n = sizes[i % sizes.length]!;
        h.update(data.subarray(off, off + n));
        off += n;
      }
      expect(h.hex(), `pieces of ${sizes.join(', ')}`).toBe(want);
    }
  });

  it('refuses to be used after its digest', () => {
    const h = new Sha512().update(new Uint8Array(3));
    h.hex();
    expect(() => h.update(new Uint8Array(1))).toThrow(/after digest/);
    expect(() => h.hex()).toThrow(/twice/);
  });
});
