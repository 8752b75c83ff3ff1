/**
 * The streaming bundle writer: lazy payload files are read one at a time, each handed to the
 * sink before the next is read, the output is the same ZIP as from memory, and what reaches the
 * sink is a bag that the verifier, the CLI's ZIP reader and `unzip` accept.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamBundle, writeBundle, type BagInfo, type BundleSigner, type LazyPayloadFile, type PayloadSource, type ZipSink } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { readZip } from '../../cli/zip-reader';
import { replayingSigner, webCryptoSigner } from '../helpers/signer';

const enc = new TextEncoder();
const INFO: BagInfo = { externalIdentifier: 'urn:threadkeeper:bundle:stream', baggingDate: '2026-11-26', softwareAgent: 'Threadkeeper test' };

/** Deterministic pseudo-random bytes: the same (seed, size) always gives the same file. */
function fileBytes(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

/**
 * A sink that keeps what it is given and logs, for each lazy file, how many bytes had reached
 * the sink when the writer asked for it, and when a buffer read() returned reached the sink as
 * it was (files of 256 KiB and more are passed through without a copy).
 */
class WatchingSink implements ZipSink {
  readonly hash = createHash('sha256');
  bytes = 0;
  largestChunk = 0;
  readonly chunks: Uint8Array[] = [];
  readonly readAt = new Map<string, number>();
  readonly log: string[] = [];
  private readonly returned = new Set<Uint8Array>();
  /** Sink writes running at once, and the most ever; large files read whose write has not finished. */
  private active = 0;
  maxActive = 0;
  maxHeld = 0;

  /** `delayMs`: each write takes this long, as a disk would; the writer must not pile writes up. */
  constructor(private readonly delayMs = 0) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.largestChunk = Math.max(this.largestChunk, chunk.length);
    this.chunks.push(chunk.slice());
    this.maxActive = Math.max(this.maxActive, ++this.active);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.active--;
    if (this.returned.delete(chunk)) this.log.push(`written ${chunk.length}`);
  }

  lazy(path: string, seed: number, size: number): LazyPayloadFile {
    return {
      path,
      size,
      read: async () => {
        expect(this.readAt.has(path), `${path} read twice`).toBe(false);
        this.readAt.set(path, this.bytes);
        this.log.push(`read ${path}`);
        const b = fileBytes(seed, size);
        // Large STOREd files reach the sink as they are, so they can be followed until stored
        // (text is DEFLATEd: what reaches the sink is another array).
        if (size >= 256 * 1024 && !path.endsWith('.txt')) this.returned.add(b);
        this.maxHeld = Math.max(this.maxHeld, this.returned.size);
        return b;
      },
    };
  }

  zip(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Where each entry's data ends in the ZIP, from its central directory. */
function dataEnds(zip: Buffer): Map<string, number> {
  const eocd = zip.length - 22;
  const ends = new Map<string, number>();
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < zip.readUInt16LE(eocd + 10); i++) {
    const nameLen = zip.readUInt16LE(p + 28);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const local = zip.readUInt32LE(p + 42);
    ends.set(name, local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28) + zip.readUInt32LE(p + 20));
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return ends;
}

let signer: BundleSigner;
beforeAll(async () => {
  signer = await webCryptoSigner();
});

describe('streamBundle', () => {
  it('reads lazy files in path order, one ahead: each is read once the file two before it is stored', async () => {
    const sink = new WatchingSink();
    const payload: PayloadSource[] = [
      sink.lazy('threads/t/attachments/c.jpg', 3, 600_000),
      sink.lazy('threads/t/attachments/a.jpg', 1, 400_000),
      { path: 'threads/t/thread.json', bytes: enc.encode('{"messages":[]}\n') },
      sink.lazy('threads/t/attachments/b.mp4', 2, 2_000_000),
    ];
    const r = await streamBundle({ bagName: 'bag', payload, info: INFO, signer, sink });
    // b is read while a is hashed and written; c only once a is stored (so never three held).
    expect(sink.log).toEqual([
      'read threads/t/attachments/a.jpg', 'read threads/t/attachments/b.mp4',
      'written 400000', 'read threads/t/attachments/c.jpg',
      'written 2000000', 'written 600000',
    ]);
    expect(r.size).toBe(sink.bytes);
    expect(r.sha256).toBe(sink.hash.digest('hex'));
  });

  it('writes the same bytes from lazy files as from files in memory, and the bag verifies', async () => {
    const det = replayingSigner(signer);
    const files = [
      { path: 'threads/t/attachments/1.png', seed: 11, size: 300_000 },
      { path: 'threads/t/attachments/2.bin', seed: 12, size: 5 },
      { path: 'threads/t/attachments/3.webm', seed: 13, size: 0 },
    ];
    const text = { path: 'threads/t/transcript.html', bytes: enc.encode('<!doctype html><p>hi</p>\n'.repeat(1000)) };
    const inMemory = await writeBundle({ bagName: 'bag', payload: [text, ...files.map((f) => ({ path: f.path, bytes: fileBytes(f.seed, f.size) }))], info: INFO, signer: det });
    const sink = new WatchingSink();
    const streamed = await streamBundle({ bagName: 'bag', payload: [text, ...files.map((f) => sink.lazy(f.path, f.seed, f.size))], info: INFO, signer: det, sink });
    const zip = sink.zip();
    expect(zip.equals(Buffer.from(inMemory.zip))).toBe(true);
    expect(streamed.sha256).toBe(inMemory.sha256);
    expect(streamed.sha256).toBe(createHash('sha256').update(zip).digest('hex'));

    const { files: unzipped } = readZip(zip);
    const report = await verifyBag(unzipped, { pinnedKey: streamed.keyThumbprint });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    for (const f of files) expect(Buffer.from(unzipped.get(`bag/data/${f.path}`)!).equals(Buffer.from(fileBytes(f.seed, f.size)))).toBe(true);

    const probe = spawnSync('unzip', ['-v'], { encoding: 'utf8' });
    if (probe.error) return; // unzip not installed: nothing more to compare against
    const dir = mkdtempSync(join(tmpdir(), 'tk-stream-'));
    try {
      writeFileSync(join(dir, 'b.zip'), zip);
      const t = spawnSync('unzip', ['-t', join(dir, 'b.zip')], { encoding: 'utf8' });
      expect(t.status, t.stdout + t.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds at most two files and two bounded buffers, whatever the mix of sizes and sink speed (property)', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      let s = seed * 7919;
      const next = (n: number) => {
        s = (s * 1103515245 + 12345) >>> 0;
        return s % n;
      };
      const sink = new WatchingSink(seed % 2 ? 2 : 0);
      const payload: PayloadSource[] = [];
      let largest = 0;
      const count = 3 + next(25);
      for (let i = 0; i < count; i++) {
        const size = next(4) === 0 ? next(3_000_000) : next(70_000);
        largest = Math.max(largest, size);
        const path = `threads/t/attachments/${String(i).padStart(3, '0')}.${next(5) === 0 ? 'txt' : 'jpg'}`;
        payload.push(next(3) === 0 ? { path, bytes: fileBytes(seed * 1000 + i, size) } : sink.lazy(path, seed * 1000 + i, size));
      }
      const r = await streamBundle({ bagName: `bag${seed}`, payload, info: INFO, signer, sink });
      // When the writer asks for a lazy file, the payload file two before it is in the sink
      // already: all of it if it was large (passed through), or all but what fits the writer's
      // one 1 MiB buffer.
      const ends = dataEnds(sink.zip());
      const inOrder = [...payload].sort((a, b) => (a.path < b.path ? -1 : 1));
      const lazyInOrder = inOrder.filter((f): f is LazyPayloadFile => 'read' in f);
      for (let i = 2; i < inOrder.length; i++) {
        const f = inOrder[i]!;
        if (!('read' in f)) continue;
        const prev = inOrder[i - 2]!;
        const prevSize = 'read' in prev ? prev.size : 'bytes' in prev ? prev.bytes.length : prev.prepared.size;
        const slack = prevSize >= 256 * 1024 ? 0 : 1 << 20;
        expect(ends.get(`bag${seed}/data/${prev.path}`)!, `seed ${seed}: ${prev.path}`).toBeLessThanOrEqual(sink.readAt.get(f.path)! + slack);
      }
      expect(sink.readAt.size).toBe(lazyInOrder.length);
      // One sink write at a time, and at most two large files held: the one being hashed or
      // stored and the one read ahead.
      expect(sink.maxActive, `seed ${seed}`).toBe(1);
      expect(sink.maxHeld, `seed ${seed}`).toBeLessThanOrEqual(2);
      // Nothing larger than the writer's buffer or the largest file reaches the sink at once.
      expect(sink.largestChunk, `seed ${seed}`).toBeLessThanOrEqual(Math.max(1 << 20, largest));
      expect(r.size).toBe(sink.bytes);
      expect(r.sha256).toBe(sink.hash.digest('hex'));
    }
  }, 120_000);

  it('fails the bundle when a lazy file reads to another size than it declared', async () => {
    const sink = new WatchingSink();
    const liar: LazyPayloadFile = { path: 'threads/t/attachments/x.jpg', size: 10, read: async () => new Uint8Array(11) };
    await expect(streamBundle({ bagName: 'bag', payload: [liar], info: INFO, signer, sink })).rejects.toThrow(/read 11 bytes, but declared 10/);
    const bad: LazyPayloadFile = { path: 'threads/t/attachments/y.jpg', size: -1, read: async () => new Uint8Array(0) };
    await expect(streamBundle({ bagName: 'bag', payload: [bad], info: INFO, signer, sink })).rejects.toThrow(/exact size/);
  });
});
