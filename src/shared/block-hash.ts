/**
 * What the incremental hashes (Sha256, Sha512) share: input arrives in pieces of any size, whole
 * blocks go to the compression function at once, the rest waits in `tail` for the next piece or
 * for the padding.
 */
export abstract class BlockHash {
  protected readonly tail: Uint8Array;
  protected tailLength = 0;
  /** Bytes hashed so far. */
  protected total = 0;
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

  /** Call once at the start of the digest: no update or digest may follow. */
  protected finish(): void {
    if (this.done) throw new Error(`${this.name}: digest taken twice`);
    this.done = true;
  }
}
