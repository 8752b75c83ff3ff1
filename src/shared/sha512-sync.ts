/**
 * Incremental SHA-512 (FIPS 180-4) in JavaScript, for a text file too large to hold whole: the
 * export hashes a thread's thread.json, transcript and CSV as they are made, once they pass
 * STREAM_TEXT_ABOVE bytes (src/bundle/thread-texts.ts), because WebCrypto's digest needs the
 * whole input in one buffer. Smaller texts are still hashed with WebCrypto, which is several
 * times faster (docs/performance.md). Checked against node:crypto in test/unit/sha512-sync.test.ts.
 *
 * Each 64-bit word is two signed 32-bit halves (high, low); sums add the low halves as unsigned
 * numbers and carry into the high half.
 */

import { BlockHash, hexOf } from './block-hash';

/** Round constants, high and low half of each. */
const K = new Int32Array([
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
  0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
  0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
  0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
  0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
  0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
  0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
  0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
  0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
  0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
  0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
  0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
  0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
  0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817,
]);

const INITIAL = [
  0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
  0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
];

const CARRY = 0x100000000;

/** Compresses every whole 128-byte block of `x` from `off` to `end` into `state` (16 halves); returns the offset after the last. */
function blocks(state: Int32Array, w: Int32Array, x: Uint8Array, off: number, end: number): number {
  let ah = state[0]!, al = state[1]!, bh = state[2]!, bl = state[3]!, ch = state[4]!, cl = state[5]!, dh = state[6]!, dl = state[7]!;
  let eh = state[8]!, el = state[9]!, fh = state[10]!, fl = state[11]!, gh = state[12]!, gl = state[13]!, hh = state[14]!, hl = state[15]!;
  for (; off + 128 <= end; off += 128) {
    for (let i = 0; i < 32; i++) {
      const p = off + i * 4;
      w[i] = (x[p]! << 24) | (x[p + 1]! << 16) | (x[p + 2]! << 8) | x[p + 3]!;
    }
    // Message schedule: w[t] = σ1(w[t-2]) + w[t-7] + σ0(w[t-15]) + w[t-16], as halves at 2t, 2t+1.
    for (let i = 32; i < 160; i += 2) {
      let xh = w[i - 30]!, xl = w[i - 29]!;
      const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
      const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
      xh = w[i - 4]!;
      xl = w[i - 3]!;
      const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
      const s1l = ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
      const l = (s0l >>> 0) + (s1l >>> 0) + (w[i - 13]! >>> 0) + (w[i - 31]! >>> 0);
      w[i] = (s0h + s1h + w[i - 14]! + w[i - 32]! + ((l / CARRY) | 0)) | 0;
      w[i + 1] = l | 0;
    }
    let a0 = ah, a1 = al, b0 = bh, b1 = bl, c0 = ch, c1 = cl, d0 = dh, d1 = dl;
    let e0 = eh, e1 = el, f0 = fh, f1 = fl, g0 = gh, g1 = gl, h0 = hh, h1 = hl;
    for (let i = 0; i < 160; i += 2) {
      // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + w[t]
      const S1h = ((e0 >>> 14) | (e1 << 18)) ^ ((e0 >>> 18) | (e1 << 14)) ^ ((e1 >>> 9) | (e0 << 23));
      const S1l = ((e1 >>> 14) | (e0 << 18)) ^ ((e1 >>> 18) | (e0 << 14)) ^ ((e0 >>> 9) | (e1 << 23));
      const chh = (e0 & f0) ^ (~e0 & g0);
      const chl = (e1 & f1) ^ (~e1 & g1);
      let l = (h1 >>> 0) + (S1l >>> 0) + (chl >>> 0) + (K[i + 1]! >>> 0) + (w[i + 1]! >>> 0);
      const t1h = (h0 + S1h + chh + K[i]! + w[i]! + ((l / CARRY) | 0)) | 0;
      const t1l = l | 0;
      // T2 = Σ0(a) + Maj(a, b, c)
      const S0h = ((a0 >>> 28) | (a1 << 4)) ^ ((a1 >>> 2) | (a0 << 30)) ^ ((a1 >>> 7) | (a0 << 25));
      const S0l = ((a1 >>> 28) | (a0 << 4)) ^ ((a0 >>> 2) | (a1 << 30)) ^ ((a0 >>> 7) | (a1 << 25));
      const mh = (a0 & b0) ^ (a0 & c0) ^ (b0 & c0);
      const ml = (a1 & b1) ^ (a1 & c1) ^ (b1 & c1);
      l = (S0l >>> 0) + (ml >>> 0);
      const t2h = (S0h + mh + ((l / CARRY) | 0)) | 0;
      const t2l = l | 0;
      h0 = g0; h1 = g1; g0 = f0; g1 = f1; f0 = e0; f1 = e1;
      l = (d1 >>> 0) + (t1l >>> 0);
      e0 = (d0 + t1h + ((l / CARRY) | 0)) | 0;
      e1 = l | 0;
      d0 = c0; d1 = c1; c0 = b0; c1 = b1; b0 = a0; b1 = a1;
      l = (t1l >>> 0) + (t2l >>> 0);
      a0 = (t1h + t2h + ((l / CARRY) | 0)) | 0;
      a1 = l | 0;
    }
    let l = (al >>> 0) + (a1 >>> 0); ah = (ah + a0 + ((l / CARRY) | 0)) | 0; al = l | 0;
    l = (bl >>> 0) + (b1 >>> 0); bh = (bh + b0 + ((l / CARRY) | 0)) | 0; bl = l | 0;
    l = (cl >>> 0) + (c1 >>> 0); ch = (ch + c0 + ((l / CARRY) | 0)) | 0; cl = l | 0;
    l = (dl >>> 0) + (d1 >>> 0); dh = (dh + d0 + ((l / CARRY) | 0)) | 0; dl = l | 0;
    l = (el >>> 0) + (e1 >>> 0); eh = (eh + e0 + ((l / CARRY) | 0)) | 0; el = l | 0;
    l = (fl >>> 0) + (f1 >>> 0); fh = (fh + f0 + ((l / CARRY) | 0)) | 0; fl = l | 0;
    l = (gl >>> 0) + (g1 >>> 0); gh = (gh + g0 + ((l / CARRY) | 0)) | 0; gl = l | 0;
    l = (hl >>> 0) + (h1 >>> 0); hh = (hh + h0 + ((l / CARRY) | 0)) | 0; hl = l | 0;
  }
  state[0] = ah; state[1] = al; state[2] = bh; state[3] = bl; state[4] = ch; state[5] = cl; state[6] = dh; state[7] = dl;
  state[8] = eh; state[9] = el; state[10] = fh; state[11] = fl; state[12] = gh; state[13] = gl; state[14] = hh; state[15] = hl;
  return off;
}

/** Incremental SHA-512: `update` any number of times, then `hex()` once. */
export class Sha512 extends BlockHash {
  private readonly h = new Int32Array(INITIAL);
  private readonly w = new Int32Array(160);

  constructor() {
    super(128, 'Sha512');
  }

  protected compress(data: Uint8Array, off: number, end: number): number {
    return blocks(this.h, this.w, data, off, end);
  }

  /** Lowercase hex digest; the object cannot be updated afterwards. */
  hex(): string {
    const pad = this.lastBlocks(16);
    blocks(this.h, this.w, pad, 0, pad.length);
    return hexOf(this.h);
  }
}
