import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { crc32 as zlibCrc32, deflateRawSync, constants as zc } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { DEFAULT_ZIP_LIMITS, readZip, readZipFile, crc32, crc32Js, ZipError } from '../../cli/zip-reader';
import { BUNDLE_LIMITS } from '../../src/shared/bundle-limits';
import { buildZip, type RawEntry } from '../helpers/zip';

const enc = new TextEncoder();


/** Extra field bytes: id, size, body. */
function extraField(id: number, body: Uint8Array): Uint8Array {
  const b = Buffer.alloc(4 + body.length);
  b.writeUInt16LE(id, 0);
  b.writeUInt16LE(body.length, 2);
  Buffer.from(body).copy(b, 4);
  return b;
}
function unicodePath(name: string, headerName: string): Uint8Array {
  const body = Buffer.alloc(5);
  body.writeUInt8(1, 0);
  body.writeUInt32LE(zlibCrc32(Buffer.from(headerName)), 1);
  return extraField(0x7075, Buffer.concat([body, Buffer.from(name, 'utf8')]));
}

/**
 * A raw DEFLATE stream that inflates to `mib` MiB of zeros while occupying about 1 KiB per
 * MiB: one sync-flushed compressed MiB repeated, then a final empty fixed-Huffman block.
 */
function zeroBomb(mib: number): Uint8Array {
  const chunk = deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: zc.Z_SYNC_FLUSH });
  const parts: Buffer[] = [];
  for (let i = 0; i < mib; i++) parts.push(chunk);
  parts.push(Buffer.from([0x03, 0x00]));
  return new Uint8Array(Buffer.concat(parts));
}

function expectZipError(fn: () => unknown, why: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ZipError matching ${why}`).toBeInstanceOf(ZipError);
  const message = (caught as Error).message;
  expect(message).toMatch(why);
  expect(message).not.toMatch(/\n/);
}

const file = (name: string, text = `content of ${name}`): RawEntry => ({ name, data: enc.encode(text) });

describe('readZip', () => {
  it('reads a hand-built archive (the builder is sound, so the failures below mean something)', () => {
    const zip = buildZip([file('bag/a.txt'), { ...file('bag/b.bin', 'stored'), method: 0 }, { name: 'bag/', mode: 0o040755, dosAttrs: 0x10 }]);
    const { files, directories } = readZip(zip);
    expect([...files.keys()]).toEqual(['bag/a.txt', 'bag/b.bin']);
    expect(new TextDecoder().decode(files.get('bag/a.txt'))).toBe('content of bag/a.txt');
    expect(new TextDecoder().decode(files.get('bag/b.bin'))).toBe('stored');
    expect(directories).toEqual(['bag/']);
  });

  it('reads what JSZip writes, identically to JSZip', async () => {
    const z = new JSZip();
    z.file('bag/x.json', '{"a":1}', { compression: 'DEFLATE', createFolders: false });
    z.file('bag/y.bin', new Uint8Array(3000).map((_, i) => i * 7), { compression: 'STORE', createFolders: false });
    z.file('bag/empty.txt', '', { createFolders: false });
    const bytes = await z.generateAsync({ type: 'uint8array', platform: 'UNIX' });
    const { files } = readZip(bytes);
    for (const name of ['bag/x.json', 'bag/y.bin', 'bag/empty.txt']) {
      expect(Buffer.from(files.get(name)!).equals(Buffer.from(await z.file(name)!.async('uint8array'))), name).toBe(true);
    }
  });

  it('reads an Info-ZIP `zip -r` archive with directory entries and extra fields, when zip is installed', () => {
    if (spawnSync('zip', ['-v']).error) return; // no Info-ZIP here
    const dir = mkdtempSync(join(tmpdir(), 'tk-zip-'));
    try {
      mkdirSync(join(dir, 'bag/data'), { recursive: true });
      writeFileSync(join(dir, 'bag/bagit.txt'), 'hello\n');
      writeFileSync(join(dir, 'bag/data/x.txt'), 'x'.repeat(5000));
      const r = spawnSync('zip', ['-qr', 'out.zip', 'bag'], { cwd: dir });
      expect(r.status).toBe(0);
      const { files, directories } = readZipFile(join(dir, 'out.zip'));
      expect([...files.keys()].sort()).toEqual(['bag/bagit.txt', 'bag/data/x.txt']);
      expect(directories.sort()).toEqual(['bag/', 'bag/data/']);
      expect(new TextDecoder().decode(files.get('bag/data/x.txt'))).toBe('x'.repeat(5000));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes CRC-32 like zlib', () => {
    for (const s of ['', 'a', 'abc', 'The quick brown fox', '\u00e9\u{1F600}']) {
      expect(crc32(enc.encode(s))).toBe(zlibCrc32(Buffer.from(s)));
      // The fallback for Node releases before 20.15, which lack zlib.crc32.
      expect(crc32Js(enc.encode(s))).toBe(zlibCrc32(Buffer.from(s)));
    }
    expect(crc32Js(enc.encode('123456789'))).toBe(0xcbf43926); // the standard check value
  });

  describe('refuses names that escape or confuse', () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ['../evil', /"\.\." segment escapes/],
      ['bag/../../evil', /"\.\." segment escapes/],
      ['/etc/passwd', /absolute path/],
      ['C:/Windows/evil', /drive letter/],
      ['c:evil', /drive letter/],
      ['bag\\..\\evil', /backslash/],
      ['bag//x', /empty path segment/],
      ['./bag/x', /"\." segment/],
      ['bag/x\u0000.txt', /control character/],
      ['bag/x\u001b[2J.txt', /control character/],
      [new Uint8Array([0x62, 0xff, 0x2f, 0x78]), /not valid UTF-8/],
    ];
    for (const [name, why] of cases) {
      it(typeof name === 'string' ? JSON.stringify(name) : 'invalid UTF-8', () => {
        expectZipError(() => readZip(buildZip([file('bag/ok.txt'), { name, data: enc.encode('x') }])), why);
      });
    }

    it('a Unicode Path extra field that names another file, in the central or local header', () => {
      expectZipError(() => readZip(buildZip([{ ...file('bag/ok.txt'), extra: unicodePath('../evil', 'bag/ok.txt') }])), /Unicode Path extra field names a different file/);
      expectZipError(() => readZip(buildZip([{ ...file('bag/ok.txt'), localExtra: unicodePath('../evil', 'bag/ok.txt') }])), /Unicode Path/);
      // A matching one is fine.
      expect(readZip(buildZip([{ ...file('bag/ok.txt'), extra: unicodePath('bag/ok.txt', 'bag/ok.txt') }])).files.size).toBe(1);
    });

    it('a local header that names a different file than the central directory', () => {
      expectZipError(() => readZip(buildZip([{ ...file('bag/ok.txt'), localName: 'bag/no.txt' }])), /local header names a different file/);
    });
  });

  describe('refuses non-regular entries', () => {
    const types: [number, RegExp][] = [
      [0o120777, /a symbolic link is not allowed/],
      [0o010644, /a FIFO is not allowed/],
      [0o020644, /a character device/],
      [0o060644, /a block device/],
      [0o140644, /a socket/],
    ];
    for (const [mode, why] of types) {
      it(`mode ${mode.toString(8)}`, () => {
        expectZipError(() => readZip(buildZip([{ name: 'bag/link', data: enc.encode('/etc/passwd'), mode }])), why);
      });
    }
    it('directory entries that carry data or disagree with their mode', () => {
      expectZipError(() => readZip(buildZip([{ name: 'bag/', data: enc.encode('x'), mode: 0o040755 }])), /directory entry carries data/);
      expectZipError(() => readZip(buildZip([{ name: 'bag/dir', mode: 0o040755 }])), /entry type and name disagree/);
      expectZipError(() => readZip(buildZip([{ name: 'bag/dir/', mode: 0o100644 }])), /entry type and name disagree/);
    });
  });

  describe('refuses duplicates', () => {
    it('exact', () => {
      expectZipError(() => readZip(buildZip([file('bag/a.txt', 'one'), file('bag/a.txt', 'two')])), /"bag\/a.txt": duplicate entry/);
    });
    it('by case', () => {
      expectZipError(() => readZip(buildZip([file('bag/A.txt'), file('bag/a.txt')])), /duplicate of "bag\/A.txt"/);
    });
    it('by Unicode normalisation', () => {
      expectZipError(() => readZip(buildZip([file('bag/caf\u00e9.txt'), file('bag/cafe\u0301.txt')])), /differ only by case, normalisation/);
    });
    it('by trailing dots or spaces, which Windows drops', () => {
      expectZipError(() => readZip(buildZip([file('bag/a.txt'), file('bag/a.txt.')])), /duplicate of "bag\/a.txt" \(names differ only by case, normalisation or trailing dots\/spaces\)/);
      expectZipError(() => readZip(buildZip([file('bag/d/x'), file('bag/d /x')])), /duplicate of "bag\/d\/x"/);
    });
    it('a file that is also a folder', () => {
      expectZipError(() => readZip(buildZip([file('bag/a'), file('bag/a/b.txt')])), /"bag\/a" is a file and cannot also be a folder/);
    });
    it('one central entry listed twice (overlapping data)', () => {
      expectZipError(() => readZip(buildZip([file('bag/a.txt'), file('bag/b.txt')], { duplicateCentral: 0 })), /duplicate entry/);
    });
  });

  it('refuses encrypted entries and unknown compression methods', () => {
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), flags: 0x0801 }])), /encrypted entries are not supported/);
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), flags: 0x0841 }])), /encrypted/);
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), method: 12, stored: enc.encode('BZh') }])), /unsupported compression method 12/);
  });

  it('refuses a CRC-32 mismatch and damaged compressed data', () => {
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), crc: 1234 }])), /"bag\/a.txt": CRC-32 mismatch/);
    const zip = buildZip([{ ...file('bag/a.txt', 'hello hello hello'), method: 0 }]);
    zip[30 + 'bag/a.txt'.length]! ^= 1; // first stored byte
    expectZipError(() => readZip(zip), /CRC-32 mismatch/);
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), stored: new Uint8Array([0xff, 0xff, 0xff]) }])), /corrupt compressed data|inflates to/);
  });

  it('refuses every truncation of a valid archive', () => {
    const zip = buildZip([file('bag/a.txt'), file('bag/b.txt'), { name: 'bag/', mode: 0o040755 }]);
    expect(readZip(zip).files.size).toBe(2);
    for (let cut = 0; cut < zip.length; cut++) {
      expectZipError(() => readZip(zip.subarray(0, cut)), /truncated|not a ZIP|empty file/);
    }
  });

  it('refuses trailing bytes after the end record, and offsets past the end of the file', () => {
    const zip = buildZip([file('bag/a.txt')]);
    expectZipError(() => readZip(Buffer.concat([zip, Buffer.from('junk')])), /end of central directory record not found/);
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), localOffset: 0x7fffffff }])), /"bag\/a.txt": local header offset 2147483647 lies beyond the data area/);
    // Central directory offset beyond the file.
    const far = Buffer.from(buildZip([file('bag/a.txt')]));
    far.writeUInt32LE(0x10000000, far.length - 6);
    expectZipError(() => readZip(far), /truncated or damaged ZIP: central directory runs past/);
    expectZipError(() => readZip(enc.encode('not a zip at all, just text')), /not a ZIP archive/);
    expectZipError(() => readZip(new Uint8Array()), /empty file/);
  });

  it('refuses unreferenced bytes between entries or before the central directory', () => {
    const a = buildZip([file('bag/a.txt')]);
    const localLen = 30 + 'bag/a.txt'.length + deflateRawSync(enc.encode('content of bag/a.txt')).length;
    expectZipError(() => readZip(buildZip([file('bag/a.txt'), { ...file('bag/b.txt'), localOffset: localLen + 5 }])), /"bag\/b.txt": unreferenced bytes before this entry \(5 bytes/);
    expectZipError(() => readZip(buildZip([file('bag/a.txt')], { gapBeforeCd: 7 })), /7 unreferenced bytes before the central directory/);
    expect(readZip(a).files.size).toBe(1);
  });

  describe('zip bombs and size limits', () => {
    it('stops a 2 GiB stream of zeros that declares 100 bytes as soon as it passes 100 bytes', () => {
      const bomb = zeroBomb(2048);
      expect(bomb.length).toBeLessThan(4 * 1024 * 1024); // ~2 MiB that would inflate to 2 GiB
      const zip = buildZip([{ name: 'bag/data/zeros.txt', stored: bomb, crc: 0, uncompressedSize: 100 }]);
      const t0 = Date.now();
      expectZipError(() => readZip(zip), /"bag\/data\/zeros.txt": inflates to more than its declared 100 bytes \(zip bomb\?\)/);
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('refuses an entry declaring more than the per-entry limit before inflating anything', () => {
      const zip = buildZip([{ name: 'bag/data/huge.bin', stored: zeroBomb(1), crc: 0, uncompressedSize: 0xfffffffe }]);
      expectZipError(() => readZip(zip), /declared size 4294967294 bytes exceeds the per-entry limit of 2147483648/);
      expectZipError(() => readZip(buildZip([{ name: 'bag/a', stored: zeroBomb(1), crc: 0, uncompressedSize: 1024 * 1024 }]), { maxEntryBytes: 1000 }), /per-entry limit of 1000/);
    });

    it('refuses a declared total over the limit', () => {
      // The default is the largest bundle the extension writes.
      expect(DEFAULT_ZIP_LIMITS.maxTotalBytes).toBe(BUNDLE_LIMITS.totalBytes);
      const big = { stored: zeroBomb(1), crc: 0, uncompressedSize: 1024 * 1024 * 1024 + 1 };
      const limit = { maxTotalBytes: 4 * 1024 ** 3 };
      // Three entries of just over 1 GiB each: every one is under 2 GiB, together over... 3 GiB < 4 GiB.
      expect(() => readZip(buildZip([{ name: 'bag/a', ...big }, { name: 'bag/b', ...big }, { name: 'bag/c', ...big }]), limit)).toThrow(/inflates to/);
      expectZipError(
        () => readZip(buildZip([{ name: 'bag/a', ...big }, { name: 'bag/b', ...big }, { name: 'bag/c', ...big }, { name: 'bag/d', ...big }]), limit),
        /"bag\/d": declared total size exceeds the limit of 4294967296 bytes/,
      );
      expectZipError(() => readZip(buildZip([file('bag/a.txt'), file('bag/b.txt')]), { maxTotalBytes: 30 }), /declared total size exceeds the limit of 30/);
    });

    it('refuses an entry that inflates to less than it declares', () => {
      expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt', 'short'), uncompressedSize: 1000 }])), /inflates to 5 bytes, but declares 1000/);
      expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt', 'short'), method: 0, uncompressedSize: 1000 }])), /stored entry with different/);
    });

    it('refuses more entries than the limit', () => {
      const entries = Array.from({ length: 5 }, (_, i) => file(`bag/${i}.txt`));
      expect(readZip(buildZip(entries), { maxEntries: 5 }).files.size).toBe(5);
      expectZipError(() => readZip(buildZip(entries), { maxEntries: 4 }), /too many entries: 5 \(limit 4\)/);
    });
  });

  it('refuses ZIP64 fields that nothing needs, and a count of 65,535 the directory does not hold (ZIP64 itself: zip64.test.ts)', () => {
    expectZipError(() => readZip(buildZip([file('bag/a.txt')], { count: 0xffff })), /central directory entry 2 of 65535 is missing or corrupt/);
    expectZipError(() => readZip(buildZip([{ ...file('bag/a.txt'), extra: extraField(0x0001, new Uint8Array(16)) }])), /ZIP64 extra field does not match the fields its header marks/);
  });
});

describe('readZipFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tk-zipfile-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file and reports unreadable paths in one line', () => {
    writeFileSync(join(dir, 'ok.zip'), buildZip([file('bag/a.txt')]));
    expect(readZipFile(join(dir, 'ok.zip')).files.size).toBe(1);
    expectZipError(() => readZipFile(join(dir, 'missing.zip')), /^no such file$/);
    expectZipError(() => readZipFile(dir), /is a directory/);
    writeFileSync(join(dir, 'empty.zip'), new Uint8Array());
    expectZipError(() => readZipFile(join(dir, 'empty.zip')), /empty file/);
  });
});
