/** The incremental hashes the streaming bundle writer relies on, against node:zlib and node:crypto. */
import { describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32, crc32Update } from '../../src/shared/crc32';
import { Sha256, sha256HexSync } from '../../src/shared/sha256-sync';

const data = new Uint8Array(randomBytes(300_000));

/** Splits `bytes` into pieces of random lengths (0 included), from a fixed seed. */
function pieces(bytes: Uint8Array, seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let s = seed;
  for (let i = 0; i < bytes.length; ) {
    s = (s * 1103515245 + 12345) >>> 0;
    const n = s % 5 === 0 ? 0 : s % 200_000 === 0 ? 1 : s % 4099;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('crc32 (slicing by eight)', () => {
  it('equals zlib on every length from 0 to 80 and at odd offsets', () => {
    for (let n = 0; n <= 80; n++) {
      for (const off of [0, 1, 3, 7]) {
        const s = data.subarray(off, off + n);
        expect(crc32(s), `${off}+${n}`).toBe(zlibCrc32(s));
      }
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  it('gives the same CRC fed in pieces as in one go', () => {
    for (const seed of [1, 2, 3]) {
      let c = 0;
      for (const p of pieces(data, seed)) c = crc32Update(c, p);
      expect(c).toBe(zlibCrc32(data));
    }
  });
});

describe('Sha256 (incremental)', () => {
  const node = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

  it('passes the FIPS 180-4 examples', () => {
    expect(sha256HexSync('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256HexSync('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(sha256HexSync('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const million = new Uint8Array(1_000_000).fill(0x61);
    expect(sha256HexSync(million)).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('equals node:crypto on every length around the block and padding boundaries', () => {
    for (let n = 0; n <= 200; n++) expect(sha256HexSync(data.subarray(5, 5 + n)), String(n)).toBe(node(data.subarray(5, 5 + n)));
  });

  it('hashes a text as its UTF-8 bytes (lone surrogates as U+FFFD) at every length around the padding boundaries, short and long', () => {
    const bytesOf = (s: string) => new TextEncoder().encode(s);
    // 1-, 2-, 3- and 4-byte characters and lone surrogates, so byte lengths cross 55/56/64 in
    // every way; then texts long enough to outgrow the reused buffer, each followed by a short
    // one that reuses it.
    const alphabet = ['a', 'é', '漢', '😀', '\ud83d', '\ude00'];
    for (let n = 0; n <= 150; n++) {
      const s = Array.from({ length: n }, (_, i) => alphabet[(i * 7 + n) % alphabet.length]).join('');
      expect(sha256HexSync(s), String(n)).toBe(node(bytesOf(s)));
    }
    for (const n of [1_400, 1_500, 30_000, 100_000]) {
      const s = '漢😀a\ud800'.repeat(n / 4);
      expect(sha256HexSync(s), String(n)).toBe(node(bytesOf(s)));
      expect(sha256HexSync('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    }
  });

  it('gives the same digest fed in pieces as in one go, and refuses use after the digest', () => {
    for (const seed of [7, 8, 9]) {
      const h = new Sha256();
      for (const p of pieces(data, seed)) h.update(p);
      expect(h.hex()).toBe(node(data));
      expect(() => h.update(new Uint8Array(1))).toThrow(/after digest/);
      expect(() => h.hex()).toThrow(/twice/);
    }
  });
});
