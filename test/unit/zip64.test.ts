/**
 * ZIP64: bundles past 4 GiB or 65,534 entries. The writer (src/bundle/bag-writer.ts) adds ZIP64
 * fields only where a value does not fit; the verifier's reader (cli/zip-reader.ts) reads them and
 * refuses malformed ones. A bundle of 4 GiB is too large for a unit test, so most cases lower the
 * writer's threshold (`zip64From`): the structures are the same, only the offsets smaller. JSZip
 * and, when installed, Python's zipfile read what the writer makes, as independent readers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { MemorySink, streamBundle, type BagInfo, type BundleSigner, type PayloadFile } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { openZipFile, readZip, ZipError } from '../../cli/zip-reader';
import { scanBagFiles } from '../../cli/zip-bag';
import { replayingSigner, webCryptoSigner } from '../helpers/signer';

const enc = new TextEncoder();
const INFO: BagInfo = { externalIdentifier: 'urn:threadkeeper:bundle:zip64', baggingDate: '2026-11-27', softwareAgent: 'Threadkeeper test' };
const picture = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff);
const PAYLOAD: PayloadFile[] = [
  { path: 'threads/whatsapp-aaaa/attachments/a.png', bytes: picture },
  { path: 'threads/whatsapp-aaaa/messages.csv', bytes: enc.encode('id,text\nM1,hello\n') },
  { path: 'threads/whatsapp-aaaa/thread.json', bytes: enc.encode(JSON.stringify({ messages: [{ type: 'message' }], attachments: [{ path: 'attachments/a.png', size: 5000, sha256: null }] })) },
];

let signer: BundleSigner;
let dir: string;
beforeAll(async () => {
  // The same signature for the same tag manifest: two writes of one bag differ only where ZIP64 makes them.
  signer = replayingSigner(await webCryptoSigner());
  dir = mkdtempSync(join(tmpdir(), 'tk-zip64-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(zip64From?: number, payload = PAYLOAD): Promise<Uint8Array> {
  const sink = new MemorySink();
  await streamBundle({ bagName: 'bag', payload, info: INFO, signer, sink, ...(zip64From === undefined ? {} : { zip64From }) });
  return sink.bytes();
}

interface Central {
  name: string;
  offsetField: number;
  extra: Uint8Array;
  versionNeeded: number;
}

/** The central directory walked by hand (independent of both the writer and the reader). */
function centralRecords(zip: Uint8Array): { records: Central[]; zip64End: boolean; eocd: DataView } {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocdAt = zip.length - 22;
  const eocd = new DataView(zip.buffer, zip.byteOffset + eocdAt, 22);
  const zip64End = v.getUint32(eocdAt - 20, true) === 0x07064b50;
  const cdOffset = zip64End ? Number(v.getBigUint64(Number(v.getBigUint64(eocdAt - 12, true)) + 48, true)) : eocd.getUint32(16, true);
  const records: Central[] = [];
  for (let p = cdOffset; v.getUint32(p, true) === 0x02014b50; ) {
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    records.push({
      name: new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen)),
      offsetField: v.getUint32(p + 42, true),
      extra: zip.slice(p + 46 + nameLen, p + 46 + nameLen + extraLen),
      versionNeeded: v.getUint16(p + 6, true),
    });
    p += 46 + nameLen + extraLen;
  }
  return { records, zip64End, eocd };
}

async function verifyFile(zip: Uint8Array, name: string) {
  const file = join(dir, name);
  writeFileSync(file, zip);
  const opened = openZipFile(file);
  try {
    return await verifyBag(scanBagFiles(opened.archive));
  } finally {
    opened.close();
  }
}

function expectZipError(fn: () => unknown, why: RegExp): void {
  expect(fn).toThrow(ZipError);
  expect(fn).toThrow(why);
}

describe('the writer', () => {
  it('writes no ZIP64 field below 4 GiB', async () => {
    const { records, zip64End, eocd } = centralRecords(await write());
    expect(zip64End).toBe(false);
    expect(records.every((r) => r.extra.length === 0 && r.versionNeeded === 20)).toBe(true);
    expect(eocd.getUint16(10, true)).toBe(records.length);
  });

  it('gives exactly the entries that start at the threshold or later a ZIP64 offset, and adds the ZIP64 end record', async () => {
    const plain = await write();
    const threshold = centralRecords(plain).records.find((r) => r.name === 'bag/data/threads/whatsapp-aaaa/messages.csv')!.offsetField;
    const zip = await write(threshold);
    const { records, zip64End, eocd } = centralRecords(zip);
    expect(zip64End).toBe(true);
    expect(eocd.getUint16(10, true)).toBe(0xffff);
    expect(eocd.getUint32(16, true)).toBe(0xffffffff);
    const plainOffsets = new Map(centralRecords(plain).records.map((r) => [r.name, r.offsetField]));
    for (const r of records) {
      const offset = plainOffsets.get(r.name)!;
      if (offset < threshold) {
        expect(r, r.name).toMatchObject({ offsetField: offset, versionNeeded: 20 });
        expect(r.extra.length, r.name).toBe(0);
      } else {
        expect(r, r.name).toMatchObject({ offsetField: 0xffffffff, versionNeeded: 45 });
        const x = new DataView(r.extra.buffer);
        expect([x.getUint16(0, true), x.getUint16(2, true), Number(x.getBigUint64(4, true))], r.name).toEqual([1, 8, offset]);
      }
    }
    expect(records.filter((r) => r.extra.length > 0).length).toBeGreaterThan(0);
    expect(records.filter((r) => r.extra.length === 0).length).toBeGreaterThan(0);
  });

  it('writes a ZIP64 end record for 65,535 entries or more, and the verifier reads them all', async () => {
    const many: PayloadFile[] = Array.from({ length: 65_540 }, (_, i) => ({ path: `threads/t/attachments/${String(i).padStart(5, '0')}.bin`, bytes: new Uint8Array([i & 0xff]) }));
    const zip = await write(undefined, many);
    const { zip64End, eocd } = centralRecords(zip);
    expect(zip64End).toBe(true);
    expect(eocd.getUint16(8, true)).toBe(0xffff);
    const { files } = readZip(zip);
    expect(files.size).toBe(65_545);
    expect(files.get('bag/data/threads/t/attachments/65539.bin')).toEqual(new Uint8Array([65539 & 0xff]));
  }, 60_000);

  it('refuses a bag past the bundle limits before writing a byte', async () => {
    const never = (path: string, size: number) => ({ path, size, read: async (): Promise<Uint8Array> => { throw new Error('must not be read'); } });
    let written = 0;
    const sink = { write: async (c: Uint8Array) => void (written += c.length) };
    const huge = Array.from({ length: 33 }, (_, i) => never(`threads/t/attachments/${i}.mp4`, 2 ** 31));
    await expect(streamBundle({ bagName: 'bag', payload: huge, info: INFO, signer, sink })).rejects.toThrow(/one bundle holds at most 64 GiB: export fewer threads/);
    await expect(streamBundle({ bagName: 'bag', payload: [never('threads/t/attachments/v.mp4', 2 ** 32)], info: INFO, signer, sink })).rejects.toThrow(/a single file over 2 GiB is not supported/);
    const many = Array.from({ length: 99_996 }, (_, i) => never(`threads/t/attachments/${i}.jpg`, 0));
    await expect(streamBundle({ bagName: 'bag', payload: many, info: INFO, signer, sink })).rejects.toThrow(/100,001 files; one bundle holds at most 100,000/);
    expect(written).toBe(0);
  });
});

describe('a ZIP64 bundle', () => {
  let zip: Uint8Array;
  beforeAll(async () => {
    zip = await write(0);
  });

  it('verifies with the offline verifier, read from disk', async () => {
    const report = await verifyFile(zip, 'zip64.zip');
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('reads the same files in JSZip', async () => {
    const ours = readZip(zip).files;
    const theirs = await JSZip.loadAsync(zip);
    const names = Object.keys(theirs.files).filter((n) => !theirs.files[n]!.dir);
    expect(names.sort()).toEqual([...ours.keys()].sort());
    for (const n of names) expect(Buffer.from(await theirs.file(n)!.async('uint8array')).equals(Buffer.from(ours.get(n)!)), n).toBe(true);
  });

  it("reads the same files in Python's zipfile, when python3 is installed", () => {
    const file = join(dir, 'py.zip');
    writeFileSync(file, zip);
    const py = spawnSync('python3', ['-c', [
      'import sys, zipfile, hashlib',
      'z = zipfile.ZipFile(sys.argv[1])',
      'assert z.testzip() is None',
      'print("\\n".join(i.filename + " " + hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()))',
    ].join('\n'), file], { encoding: 'utf8' });
    if (py.error) return; // no python3 here
    expect(py.status, py.stderr).toBe(0);
    const ours = readZip(zip).files;
    const lines = py.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual([...ours.keys()]);
  });
});

describe('the reader refuses malformed ZIP64', () => {
  let zip: Uint8Array;
  let at: { end64: number; locator: number; eocd: number; firstExtra: number };
  beforeAll(async () => {
    zip = await write(0);
    const v = new DataView(zip.buffer);
    const eocd = zip.length - 22;
    const locator = eocd - 20;
    const end64 = Number(v.getBigUint64(locator + 8, true));
    const cdOffset = Number(v.getBigUint64(end64 + 48, true));
    at = { end64, locator, eocd, firstExtra: cdOffset + 46 + v.getUint16(cdOffset + 28, true) };
  });
  const tampered = (change: (v: DataView) => void) => {
    const copy = zip.slice();
    change(new DataView(copy.buffer));
    return copy;
  };

  it('reads the untampered archive (so each refusal below is the tampering)', () => {
    expect(readZip(zip).files.size).toBe(8);
  });

  it('a ZIP64 end record that disagrees with the end record, or is not where the locator says', () => {
    expectZipError(() => readZip(tampered((v) => v.setUint32(at.eocd + 16, 1234, true))), /end record and the ZIP64 end record disagree/);
    expectZipError(() => readZip(tampered((v) => v.setBigUint64(at.locator + 8, BigInt(at.end64 + 4), true))), /ZIP64 end record is not where its locator says/);
    expectZipError(() => readZip(tampered((v) => v.setBigUint64(at.locator + 8, BigInt(at.end64 - 4), true))), /unexplained bytes between the ZIP64 end record and its locator/);
    expectZipError(() => readZip(tampered((v) => v.setUint32(at.end64, 0x06054b50, true))), /ZIP64 end record is missing or corrupt/);
    expectZipError(() => readZip(tampered((v) => v.setBigUint64(at.end64 + 4, 52n, true))), /extensible data/);
    expectZipError(() => readZip(tampered((v) => v.setUint32(at.locator + 16, 2, true))), /multi-part/);
    expectZipError(() => readZip(tampered((v) => v.setBigUint64(at.end64 + 40, 2n ** 60n, true))), /impossibly large/);
  });

  it('an end record with ZIP64 markers and no ZIP64 end record', () => {
    expectZipError(() => readZip(tampered((v) => v.setUint32(at.locator, 0, true))), /points to a ZIP64 end record that is not there/);
  });

  it('an entry whose ZIP64 field does not match what its header marks, or is missing', () => {
    // The first entry's extra field: id 1, size 8, then its offset.
    expectZipError(() => readZip(tampered((v) => v.setUint16(at.firstExtra, 0x5455, true))), /marked but no ZIP64 extra field holds them/);
    // Mark the first entry's compressed size as well: its field now holds one value for two marks.
    expectZipError(() => readZip(tampered((v) => v.setUint32(Number(v.getBigUint64(at.end64 + 48, true)) + 20, 0xffffffff, true))), /ZIP64 extra field does not match the fields its header marks/);
    // An offset in the ZIP64 field that is not the entry's: the entries no longer line up.
    expectZipError(() => readZip(tampered((v) => v.setBigUint64(at.firstExtra + 4, 7n, true))), /overlaps|unreferenced|local header/);
  });
});
