/**
 * The verifier reading a bundle from disk a piece at a time (cli/zip-reader.ts ZipArchive over a
 * file, cli/zip-bag.ts): the same verdict as verifying the files in memory, and the archive never
 * read whole.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle, type BagInfo, type PayloadFile } from '../../src/bundle/bag-writer';
import { verifyBag, verifierReads } from '../../src/bundle/bag-verify';
import { fileSource, openZipFile, readZip, ZipArchive, type ByteSource } from '../../cli/zip-reader';
import { scanBagFiles } from '../../cli/zip-bag';
import { webCryptoSigner } from '../helpers/signer';
import { zipFiles } from '../helpers/zip';

const enc = new TextEncoder();
const INFO: BagInfo = { externalIdentifier: 'urn:threadkeeper:bundle:zip-bag', baggingDate: '2026-11-27', softwareAgent: 'Threadkeeper test' };
const BIG = 3 * 1024 * 1024;

/** Every kind of file the verifier reads or only hashes: two threads, attachments, a kept page, the audit log. */
function payload(big: Uint8Array): PayloadFile[] {
  const thread = (attachments: string[]) =>
    enc.encode(JSON.stringify({ messages: [{ type: 'message' }, { type: 'event' }, { type: 'message' }], attachments: attachments.map((path) => ({ path, size: null, sha256: null })) }));
  return [
    { path: 'audit-log.jsonl', bytes: enc.encode('not json\n') },
    { path: 'pages/example-org/page.json', bytes: enc.encode(JSON.stringify({ snapshot: { path: 'page.mhtml' }, screenshot: { path: 'page.png' } })) },
    { path: 'pages/example-org/page.mhtml', bytes: enc.encode('MIME-Version: 1.0\r\n\r\nhello') },
    { path: 'pages/example-org/page.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
    { path: 'threads/whatsapp-aaaa/attachments/big.bin', bytes: big },
    { path: 'threads/whatsapp-aaaa/messages.csv', bytes: enc.encode('a,b\n') },
    { path: 'threads/whatsapp-aaaa/thread.json', bytes: thread(['attachments/big.bin']) },
    { path: 'threads/whatsapp-bbbb/attachments/c.png', bytes: new Uint8Array([1, 2, 3]) },
    { path: 'threads/whatsapp-bbbb/thread.json', bytes: thread(['attachments/c.png']) },
  ];
}

/** A source that records how much it was asked for at once and in all. */
function counting(src: ByteSource): ByteSource & { largest: number; total: number } {
  const c = {
    size: src.size,
    chunkBytes: src.chunkBytes,
    largest: 0,
    total: 0,
    read(offset: number, length: number) {
      c.largest = Math.max(c.largest, length);
      c.total += length;
      return src.read(offset, length);
    },
  };
  return c;
}

describe('verifying from disk a piece at a time', () => {
  let dir: string;
  let zip: Uint8Array;
  let file: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tk-zip-bag-'));
    const bundle = await writeBundle({ bagName: 'bag', payload: payload(randomFillSync(new Uint8Array(BIG))), info: INFO, signer: await webCryptoSigner() });
    zip = bundle.zip;
    file = join(dir, 'bundle.zip');
    writeFileSync(file, zip);
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same report as the files in memory, reading only the files verifierReads names', async () => {
    const inMemory = await verifyBag(readZip(zip).files);
    // The only problem: the audit log line that is not JSON (both must find it by reading it).
    expect(inMemory.problems).toEqual([{ file: 'bag/data/audit-log.jsonl', message: 'line 1 is not JSON' }]);
    expect(inMemory.summary).toEqual({ threads: 2, messages: 4, attachments: 2, pages: 1 });

    const opened = openZipFile(file);
    try {
      // scanBagFiles refuses to give bytes it did not keep, so a file verifyBag reads that
      // verifierReads does not name fails here.
      expect(await verifyBag(scanBagFiles(opened.archive))).toEqual(inMemory);
    } finally {
      opened.close();
    }
    expect(readZip(zip).files.size).toBe(14); // nine payload files and five tag files
    const kept = [...readZip(zip).files.keys()].filter(verifierReads).sort();
    expect(kept).toEqual([
      'bag/bag-info.txt', 'bag/bagit.txt', 'bag/data/audit-log.jsonl', 'bag/data/pages/example-org/page.json',
      'bag/data/threads/whatsapp-aaaa/thread.json', 'bag/data/threads/whatsapp-bbbb/thread.json',
      'bag/manifest-sha512.txt', 'bag/signature.jws', 'bag/tagmanifest-sha512.txt',
    ]);
  });

  it('finds a changed attachment by its SHA-512, as in memory', async () => {
    const files = readZip(zip).files;
    const changed = new Map(files);
    const big = new Uint8Array(files.get('bag/data/threads/whatsapp-aaaa/attachments/big.bin')!);
    big[BIG - 1]! ^= 1;
    changed.set('bag/data/threads/whatsapp-aaaa/attachments/big.bin', big);
    const tampered = join(dir, 'tampered.zip');
    writeFileSync(tampered, await zipFiles(changed));
    const opened = openZipFile(tampered);
    try {
      const report = await verifyBag(scanBagFiles(opened.archive));
      expect(report.ok).toBe(false);
      expect(report.problems).toContainEqual({ file: 'bag/data/threads/whatsapp-aaaa/attachments/big.bin', message: 'SHA-512 does not match manifest-sha512.txt (file changed)' });
      expect(report).toEqual(await verifyBag(changed));
    } finally {
      opened.close();
    }
  });

  it('reads a stored file a chunk at a time and the archive about once, never whole', () => {
    const fd = openSync(file, 'r');
    try {
      const src = counting(fileSource(fd, fstatSync(fd).size, 64 * 1024));
      const archive = ZipArchive.open(src);
      const sizes = new Map<string, number>();
      archive.scan((name) => {
        let n = 0;
        return { update: (c) => (n += c.length), end: () => sizes.set(name, n) };
      });
      expect(sizes.get('bag/data/threads/whatsapp-aaaa/attachments/big.bin')).toBe(BIG);
      // The end record search reads the last 64 KiB + 42 bytes; nothing else is larger than a chunk
      // (the central directory and the compressed text files here are a few kilobytes).
      expect(src.largest).toBeLessThanOrEqual(64 * 1024 + 22 + 20);
      expect(src.total).toBeLessThan(zip.length + 128 * 1024);
      expect(src.total).toBeGreaterThan(BIG);
    } finally {
      closeSync(fd);
    }
  });
});
