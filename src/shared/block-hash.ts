/**
 * What the incremental hashes (Sha256, Sha512) share: input arrives in pieces of any size, whole
 * blocks go to the compression function at once, the rest waits in `tail` for the next piece or
 * for the padding; the padding itself, and the digest in hex.
 */

/**
 * The message length in bits, big-endian, in the 8 bytes before `end` (the end of the padding).
 * SHA-512's length field is 16 bytes: its first 8 stay zero for any input under 2^53 bytes.
 */
export function writeBitLength(buf: Uint8Array, end: number, byteLength: number): void {
  const high = Math.floor(byteLength / 2 ** 29);
  const low = (byteLength * 8) >>> 0;
  for (let i = 0; i < 4; i++) {
    buf[end - 8 + i] = high >>> (24 - 8 * i);
    buf[end - 4 + i] = low >>> (24 - 8 * i);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of the state words, big-endian; a table rather than toString(16) and padStart, which cost as much as hashing a short text. */
export function hexOf(state: Int32Array): string {
  let out = '';
  for (let i = 0; i < state.length; i++) {
    const x = state[i]!;
    out += HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;
  }
  return out;
}
export abstract class BlockHash {
  private readonly tail: Uint8Array;
  private tailLength = 0;
  /** Bytes hashed so far. */
  private total = 0;
  private done = false;

  protected constructor(
    private readonly blockSize: number,
    private readonly name: string,
  ) {
    this.tail = new Uint8Array(blockSize);
  }

  /** Compresses every whole block of `data` from `off` to `end`; returns the offset after the last. */
  protected abstract compress(data: Uint8Array, off: number, end: number): number;

  update(data: Uint8Array): this {
    if (this.done) throw new Error(`${this.name}: update after digest`);
    this.total += data.length;
    let off = 0;
    if (this.tailLength > 0) {
      const take = Math.min(this.blockSize - this.tailLength, data.length);
      this.tail.set(data.subarray(0, take), this.tailLength);
      this.tailLength += take;
      off = take;
      if (this.tailLength < this.blockSize) return this;
      this.compress(this.tail, 0, this.blockSize);
      this.tailLength = 0;
    }
    off = this.compress(data, off, data.length);
    this.tail.set(data.subarray(off), 0);
    this.tailLength = data.length - off;
    return this;
  }

  /**
   * The padded last block or two, for the digest: the tail, 0x80, zeros, and the length in bits
   * at the end of a `lengthBytes` field. No update or digest may follow.
   */
  protected lastBlocks(lengthBytes: number): Uint8Array {
    if (this.done) throw new Error(`${this.name}: digest taken twice`);
    this.done = true;
    const pad = new Uint8Array(this.tailLength + 1 + lengthBytes <= this.blockSize ? this.blockSize : 2 * this.blockSize);
    pad.set(this.tail.subarray(0, this.tailLength));
    pad[this.tailLength] = 0x80;
    writeBitLength(pad, pad.length, this.total);
    return pad;
  }
}
