/**
 * A small, suspicious ZIP reader for the offline verifier (Node only).
 *
 * It parses the End of Central Directory record and the central directory itself (no
 * third-party unzip code on the trust path) and refuses anything a Threadkeeper bundle never
 * contains and an attacker could use:
 *
 *  - names that escape the extraction folder: absolute (`/x`), drive letters (`C:`), `..`
 *    or `.` segments, empty segments, backslashes, control characters, invalid UTF-8, and an
 *    Info-ZIP Unicode Path field that names a different file than the header does;
 *  - symlinks and every other non-regular entry (Unix mode in the high 16 bits of the
 *    external attributes); directory entries are accepted and skipped;
 *  - duplicate names, also when they differ only by case, Unicode normalisation or trailing
 *    dots/spaces (Windows drops them), and a name used both as a file and as a folder;
 *  - encrypted entries and compression methods other than STORE and DEFLATE;
 *  - more than `maxEntries` entries, a declared entry size over `maxEntryBytes` or a
 *    declared total over `maxTotalBytes`, and any entry that inflates to more or less than
 *    it declared (inflate is capped at the declared size, so a bomb stops early);
 *  - CRC-32 mismatches, a local header that disagrees with the central directory,
 *    overlapping entries or unreferenced bytes between them (so a streaming unzipper sees
 *    the same files as this reader), and every truncation (missing EOCD, offsets past the
 *    end of the file).
 *
 * ZIP64 (a bundle over 4 GiB or 65,535 entries) is read: the ZIP64 end record through its
 * locator, which must sit right before the end record, and each entry's ZIP64 extra field, which
 * must hold exactly the fields its header marks (0xffffffff) and nothing else. Multi-disk ZIP64,
 * and an end record with extensible data, are refused. Errors are ZipError with a one-line message.
 *
 * A file on disk is read a piece at a time (ZipArchive over fileSource): the central directory
 * whole, a stored entry in chunks, a DEFLATE entry's compressed bytes whole (inflated whole,
 * capped at its declared size), so memory does not grow with the archive.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { crc32Update as crc32UpdateJs } from '../src/shared/crc32';
import { BUNDLE_LIMITS } from '../src/shared/bundle-limits';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipLimits {
  /** Largest declared sum of uncompressed sizes. Default 64 GiB (the largest bundle the extension writes). */
  maxTotalBytes?: number;
  /** Largest declared uncompressed size of one entry. Default 2 GiB. */
  maxEntryBytes?: number;
  /** Most entries. Default 100,000 (the most the extension writes in one bundle). */
  maxEntries?: number;
}

export interface ZipContents {
  /** Regular files by name, in central-directory order. */
  files: Map<string, Uint8Array>;
  /** Directory entries (names end in '/'); they carry no data. */
  directories: string[];
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxTotalBytes: BUNDLE_LIMITS.totalBytes,
  maxEntryBytes: BUNDLE_LIMITS.entryBytes,
  maxEntries: BUNDLE_LIMITS.entries,
};

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_END = 0x06064b50;
const MARK32 = 0xffffffff;
const MARK16 = 0xffff;
const SIG_DESCRIPTOR = 0x08074b50;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** zlib's CRC-32 where Node has it (20.15+), the project's table-driven one otherwise. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Continues a CRC-32 over `bytes` (start with 0). */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(bytes, crc) >>> 0;
  return crc32UpdateJs(crc, bytes);
}

export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}

/** The fallback, exported for its test. */
export function crc32Js(bytes: Uint8Array): number {
  return crc32UpdateJs(0, bytes);
}

interface CentralEntry {
  name: string;
  rawName: Uint8Array;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  uncompressedSize: number;
  localOffset: number;
  isDir: boolean;
}

function fileTypeName(type: number): string {
  switch (type) {
    case S_IFLNK:
      return 'a symbolic link';
    case 0o060000:
      return 'a block device';
    case 0o020000:
      return 'a character device';
    case 0o010000:
      return 'a FIFO';
    case 0o140000:
      return 'a socket';
    default:
      return `a non-regular entry (mode ${type.toString(8)})`;
  }
}

/** Why a name is unsafe to extract, or null. */
function nameProblem(name: string): string | null {
  if (name === '') return 'empty name';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'control character in name';
  if (name.includes('\\')) return 'backslash in name';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter in name';
  const segs = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  for (const s of segs) {
    if (s === '') return 'empty path segment';
    if (s === '..') return '".." segment escapes the archive';
    if (s === '.') return '"." segment';
  }
  return null;
}

/** A little-endian reader over `bytes` (which may be a view into a larger buffer). */
function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Random access to the archive's bytes: a buffer in memory, or a file read a piece at a time. */
export interface ByteSource {
  readonly size: number;
  /** The `length` bytes at `offset` (the caller keeps within `size`). May be a view of the source. */
  read(offset: number, length: number): Uint8Array;
  /** Largest piece of a stored entry handed out at once (a file source reads no more than this into memory). */
  readonly chunkBytes: number;
}

export function memorySource(zip: Uint8Array): ByteSource {
  return { size: zip.length, read: (offset, length) => zip.subarray(offset, offset + length), chunkBytes: Number.POSITIVE_INFINITY };
}

/** Reads from an open file descriptor; `size` is the file's size when it was opened. */
export function fileSource(fd: number, size: number, chunkBytes = 4 * 1024 * 1024): ByteSource {
  return {
    size,
    chunkBytes,
    read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) throw new ZipError('file shrank while reading');
        done += n;
      }
      return buf;
    },
  };
}

/** Receives one regular file's bytes, in order, while the archive is scanned. */
export interface EntrySink {
  update(chunk: Uint8Array): void;
  end(): void;
}

interface Placed extends CentralEntry {
  dataStart: number;
  dataEnd: number;
}

/**
 * A checked archive. `ZipArchive.open` reads and checks the end record and the central directory
 * (names, types, sizes, duplicates, limits); `scan` then walks every entry in file order, checking
 * its local header, inflating it (capped at its declared size) and checking its CRC-32, and hands
 * each regular file's bytes to a sink a piece at a time. Only a DEFLATE entry is ever held whole
 * (inflated, at most its declared size); a stored entry is read `chunkBytes` at a time. So a file
 * source checks an archive of any size in memory bounded by its largest compressed entry.
 */
export class ZipArchive {
  /** Regular files, in central-directory order (as `unzip -l` lists them). */
  readonly files: string[];
  readonly directories: string[];

  private constructor(
    private readonly src: ByteSource,
    private readonly entries: CentralEntry[],
    private readonly cdOffset: number,
  ) {
    this.files = entries.filter((e) => !e.isDir).map((e) => e.name);
    this.directories = entries.filter((e) => e.isDir).map((e) => e.name);
  }

  static open(src: ByteSource, limits: ZipLimits = {}): ZipArchive {
    const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
    const len = src.size;

    // End of central directory: the last EOCD signature whose comment reaches exactly to the
    // end of the file. Trailing bytes after the comment are refused.
    const tailStart = Math.max(0, len - 22 - 0xffff - 20);
    const tail = src.read(tailStart, len - tailStart);
    const tv = viewOf(tail);
    const tu16 = (o: number) => tv.getUint16(o - tailStart, true);
    const tu32 = (o: number) => tv.getUint32(o - tailStart, true);
    let eocd = -1;
    for (let p = len - 22; p >= 0 && p >= len - 22 - 0xffff; p--) {
      if (tu32(p) === SIG_EOCD && p + 22 + tu16(p + 20) === len) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0) {
      const first = len >= 4 ? src.read(0, 4) : null;
      if (first && viewOf(first).getUint32(0, true) === SIG_LOCAL) {
        throw new ZipError('truncated or damaged ZIP: end of central directory record not found');
      }
      throw new ZipError(len === 0 ? 'empty file, not a ZIP archive' : 'not a ZIP archive (no end of central directory record)');
    }
    let diskNo = tu16(eocd + 4);
    let cdDisk = tu16(eocd + 6);
    let entriesOnDisk = tu16(eocd + 8);
    let entryCount = tu16(eocd + 10);
    let cdSize = tu32(eocd + 12);
    let cdOffset = tu32(eocd + 16);
    // Where the central directory must end: at the end record, or at the ZIP64 end record.
    let cdEnd = eocd;
    if (eocd >= 20 && tu32(eocd - 20) === SIG_ZIP64_LOCATOR) {
      const end64 = readZip64End(src, eocd - 20, tu32(eocd - 16), u64(viewOf(src.read(eocd - 12, 8)), 0, 'ZIP64 end record offset'), tu32(eocd - 4));
      // Each field of the end record is either its ZIP64 value or the marker saying "see ZIP64".
      const agree = (v: number, wide: number, mark: number) => v === mark || v === wide;
      if (!agree(diskNo, end64.diskNo, MARK16) || !agree(cdDisk, end64.cdDisk, MARK16) || !agree(entriesOnDisk, end64.entriesOnDisk, MARK16) ||
          !agree(entryCount, end64.entryCount, MARK16) || !agree(cdSize, end64.cdSize, MARK32) || !agree(cdOffset, end64.cdOffset, MARK32)) {
        throw new ZipError('damaged ZIP: the end record and the ZIP64 end record disagree');
      }
      ({ diskNo, cdDisk, entriesOnDisk, entryCount, cdSize, cdOffset } = end64);
      cdEnd = end64.at;
    } else if (cdSize === MARK32 || cdOffset === MARK32) {
      throw new ZipError('truncated or damaged ZIP: the end record points to a ZIP64 end record that is not there');
    }
    if (diskNo !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) throw new ZipError('multi-part (spanned) ZIP archives are not supported');
    if (entryCount > lim.maxEntries) throw new ZipError(`too many entries: ${entryCount} (limit ${lim.maxEntries})`);
    if (cdOffset + cdSize !== cdEnd) {
      throw new ZipError(cdOffset + cdSize > cdEnd ? 'truncated or damaged ZIP: central directory runs past its end record' : 'damaged ZIP: unexplained bytes between central directory and end record');
    }

    // Central directory, read in one piece (offsets below are relative to it).
    const cd = src.read(cdOffset, cdSize);
    const view = viewOf(cd);
    const u16 = (o: number) => view.getUint16(o, true);
    const u32 = (o: number) => view.getUint32(o, true);
    const entries: CentralEntry[] = [];
    const seen = new Map<string, string>();
    let totalDeclared = 0;
    let p = 0;
    for (let i = 0; i < entryCount; i++) {
      if (p + 46 > cdSize || u32(p) !== SIG_CENTRAL) throw new ZipError(`damaged ZIP: central directory entry ${i + 1} of ${entryCount} is missing or corrupt`);
      const flags = u16(p + 8);
      const method = u16(p + 10);
      const crc = u32(p + 16);
      let compressedSize = u32(p + 20);
      let uncompressedSize = u32(p + 24);
      const nameLen = u16(p + 28);
      const extraLen = u16(p + 30);
      const commentLen = u16(p + 32);
      let diskStart = u16(p + 34);
      const externalAttrs = u32(p + 38);
      let localOffset = u32(p + 42);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cdSize) throw new ZipError(`damaged ZIP: central directory entry ${i + 1} runs past the directory`);
      const rawName = cd.slice(p + 46, p + 46 + nameLen);
      let name: string;
      try {
        name = new TextDecoder('utf-8', { fatal: true }).decode(rawName);
      } catch {
        throw new ZipError(`entry ${i + 1}: file name is not valid UTF-8`);
      }
      const label = `entry ${JSON.stringify(name)}`;
      const unsafe = nameProblem(name);
      if (unsafe) throw new ZipError(`${label}: unsafe name (${unsafe})`);

      const wide = checkExtraFields(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), name, label);
      [uncompressedSize, compressedSize, localOffset, diskStart] = zip64Fields(wide, [uncompressedSize, compressedSize, localOffset, diskStart], label);

      if (flags & 0x0001 || flags & 0x0040 || flags & 0x2000) throw new ZipError(`${label}: encrypted entries are not supported`);
      if (method !== 0 && method !== 8) throw new ZipError(`${label}: unsupported compression method ${method} (only STORE and DEFLATE)`);
      if (diskStart !== 0) throw new ZipError(`${label}: multi-part archives are not supported`);

      // Entry type. Unix hosts put st_mode in the high 16 bits; other hosts leave them 0.
      const mode = externalAttrs >>> 16;
      const type = mode & S_IFMT;
      if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw new ZipError(`${label}: ${fileTypeName(type)} is not allowed; only regular files`);
      const isDir = name.endsWith('/');
      // DOS attribute 0x10 marks a directory on every host (Info-ZIP and JSZip set it on Unix too).
      const attrsSayDir = type === S_IFDIR || (externalAttrs & 0x10) !== 0;
      if (isDir ? type === S_IFREG : attrsSayDir) {
        throw new ZipError(`${label}: entry type and name disagree (${isDir ? 'folder name on a regular file' : 'directory attributes on a file name'})`);
      }
      if (isDir && uncompressedSize !== 0) throw new ZipError(`${label}: directory entry carries data`);

      if (uncompressedSize > lim.maxEntryBytes) throw new ZipError(`${label}: declared size ${uncompressedSize} bytes exceeds the per-entry limit of ${lim.maxEntryBytes}`);
      totalDeclared += uncompressedSize;
      if (totalDeclared > lim.maxTotalBytes) throw new ZipError(`${label}: declared total size exceeds the limit of ${lim.maxTotalBytes} bytes`);

      // Duplicates, including names that differ only by case, Unicode normalisation, or the
      // trailing dots and spaces that Windows drops: each pair would unpack to one file.
      const key = (isDir ? name.slice(0, -1) : name)
        .split('/')
        .map((seg) => seg.replace(/[. ]+$/, ''))
        .join('/')
        .normalize('NFC')
        .toLowerCase();
      const prior = seen.get(key);
      if (prior !== undefined) {
        throw new ZipError(prior === name ? `${label}: duplicate entry` : `${label}: duplicate of ${JSON.stringify(prior)} (names differ only by case, normalisation or trailing dots/spaces)`);
      }
      seen.set(key, name);
      entries.push({ name, rawName, flags, method, crc, compressedSize, uncompressedSize, localOffset, isDir });
      p = end;
    }
    if (p !== cdSize) throw new ZipError('damaged ZIP: central directory size does not match its entries');

    // A file name must not also be used as a folder ('a' and 'a/b').
    for (const [key, name] of seen) {
      const segs = key.split('/');
      for (let i = 1; i < segs.length; i++) {
        const folder = seen.get(segs.slice(0, i).join('/'));
        if (folder !== undefined && !folder.endsWith('/')) throw new ZipError(`entry ${JSON.stringify(name)}: ${JSON.stringify(folder)} is a file and cannot also be a folder`);
      }
    }
    return new ZipArchive(src, entries, cdOffset);
  }

  /**
   * Checks every entry's local header and data, in file order, contiguous from offset 0 up to the
   * central directory; `sinkFor` may give a sink for a regular file's bytes. Throws ZipError at
   * the first problem.
   */
  scan(sinkFor: (name: string) => EntrySink | null = () => null): void {
    const src = this.src;
    const cdOffset = this.cdOffset;
    const byOffset = [...this.entries].sort((a, b) => a.localOffset - b.localOffset);
    let cursor = 0;
    for (const e of byOffset) {
      const label = `entry ${JSON.stringify(e.name)}`;
      if (e.localOffset + 30 > cdOffset) throw new ZipError(`${label}: local header offset ${e.localOffset} lies beyond the data area (truncated or damaged)`);
      if (e.localOffset !== cursor) {
        throw new ZipError(e.localOffset < cursor ? `${label}: overlaps the previous entry` : `${label}: unreferenced bytes before this entry (${e.localOffset - cursor} bytes at offset ${cursor})`);
      }
      const head = src.read(e.localOffset, 30);
      const hv = viewOf(head);
      if (hv.getUint32(0, true) !== SIG_LOCAL) throw new ZipError(`${label}: local header missing or corrupt`);
      const lFlags = hv.getUint16(6, true);
      const lMethod = hv.getUint16(8, true);
      const lCrc = hv.getUint32(14, true);
      let lComp = hv.getUint32(18, true);
      let lUncomp = hv.getUint32(22, true);
      const lNameLen = hv.getUint16(26, true);
      const lExtraLen = hv.getUint16(28, true);
      const dataStart = e.localOffset + 30 + lNameLen + lExtraLen;
      const dataEnd = dataStart + e.compressedSize;
      if (dataEnd > cdOffset) throw new ZipError(`${label}: data runs past the end of the data area (truncated?)`);
      const nameAndExtra = src.read(e.localOffset + 30, lNameLen + lExtraLen);
      if (!bytesEqual(nameAndExtra.subarray(0, lNameLen), e.rawName)) throw new ZipError(`${label}: local header names a different file`);
      const lWide = checkExtraFields(nameAndExtra.subarray(lNameLen), e.name, label);
      [lUncomp, lComp] = zip64Fields(lWide, [lUncomp, lComp], label);
      if (lMethod !== e.method || (lFlags & ~0x0008) !== (e.flags & ~0x0008)) throw new ZipError(`${label}: local header disagrees with the central directory`);
      cursor = dataEnd;
      if (e.flags & 0x0008) {
        // Data descriptor: optional signature, then crc, compressed and uncompressed size.
        const desc = src.read(dataEnd, Math.min(16, cdOffset - dataEnd));
        const dv = viewOf(desc);
        let d = 0;
        if (d + 4 <= desc.length && dv.getUint32(d, true) === SIG_DESCRIPTOR) d += 4;
        if (d + 12 > desc.length) throw new ZipError(`${label}: data descriptor missing (truncated?)`);
        if (dv.getUint32(d, true) !== e.crc || dv.getUint32(d + 4, true) !== e.compressedSize || dv.getUint32(d + 8, true) !== e.uncompressedSize) {
          throw new ZipError(`${label}: data descriptor disagrees with the central directory`);
        }
        cursor = dataEnd + d + 12;
      } else if (lCrc !== e.crc || lComp !== e.compressedSize || lUncomp !== e.uncompressedSize) {
        throw new ZipError(`${label}: local header sizes or CRC disagree with the central directory`);
      }
      this.check({ ...e, dataStart, dataEnd }, e.isDir ? null : sinkFor(e.name));
    }
    if (cursor !== cdOffset) throw new ZipError(`damaged ZIP: ${cdOffset - cursor} unreferenced bytes before the central directory`);
  }

  /** Inflates (capped) or reads the entry's data, checks its size and CRC-32, and feeds `sink`. */
  private check(e: Placed, sink: EntrySink | null): void {
    const label = `entry ${JSON.stringify(e.name)}`;
    let crc = 0;
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw new ZipError(`${label}: stored entry with different compressed and uncompressed sizes`);
      const step = Math.max(1, Math.min(this.src.chunkBytes, e.compressedSize));
      for (let off = e.dataStart; off < e.dataEnd; off += step) {
        const chunk = this.src.read(off, Math.min(step, e.dataEnd - off));
        crc = crc32Update(crc, chunk);
        sink?.update(chunk);
      }
    } else {
      let data: Uint8Array;
      try {
        // The cap makes a bomb stop as soon as it passes its declared size.
        data = zlib.inflateRawSync(this.src.read(e.dataStart, e.compressedSize), { maxOutputLength: Math.max(1, e.uncompressedSize) });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          throw new ZipError(`${label}: inflates to more than its declared ${e.uncompressedSize} bytes (zip bomb?)`);
        }
        throw new ZipError(`${label}: corrupt compressed data (${(err as Error).message})`);
      }
      if (data.length !== e.uncompressedSize) throw new ZipError(`${label}: inflates to ${data.length} bytes, but declares ${e.uncompressedSize}`);
      crc = crc32Update(0, data);
      sink?.update(data);
    }
    if (crc !== e.crc) throw new ZipError(`${label}: CRC-32 mismatch (data damaged)`);
    sink?.end();
  }
}

/** An entry's bytes from the pieces a sink received: the one piece itself (a view, no copy) when there is one. */
export function joined(pieces: Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/** Reads and checks a whole archive held in memory. */
export function readZip(zip: Uint8Array, limits: ZipLimits = {}): ZipContents {
  return readAll(ZipArchive.open(memorySource(zip), limits));
}

/** Scans the archive, keeping every file's bytes (a stored file in memory stays a view of it). */
function readAll(archive: ZipArchive): ZipContents {
  const dataOf = new Map<string, Uint8Array>();
  archive.scan((name) => {
    const pieces: Uint8Array[] = [];
    return { update: (c) => pieces.push(c), end: () => dataOf.set(name, joined(pieces)) };
  });
  // Central-directory order, so the map lists files as `unzip -l` does.
  const files = new Map<string, Uint8Array>();
  for (const name of archive.files) files.set(name, dataOf.get(name)!);
  return { files, directories: archive.directories };
}

/**
 * Extra fields: ZIP64 (0x0001) is unsupported, and an Info-ZIP Unicode Path field (0x7075)
 * must name the same file as the header, since some unzippers prefer it over the header name.
 */
/** Checks a header's extra fields; returns the ZIP64 field's data (id 0x0001), if there is one. */
function checkExtraFields(extra: Uint8Array, name: string, label: string): Uint8Array | null {
  let zip64: Uint8Array | null = null;
  for (let e = 0; e < extra.length; ) {
    if (e + 4 > extra.length) throw new ZipError(`${label}: malformed extra field`);
    const id = extra[e]! | (extra[e + 1]! << 8);
    const size = extra[e + 2]! | (extra[e + 3]! << 8);
    if (e + 4 + size > extra.length) throw new ZipError(`${label}: malformed extra field`);
    if (id === 0x0001) {
      if (zip64) throw new ZipError(`${label}: two ZIP64 extra fields`);
      zip64 = extra.subarray(e + 4, e + 4 + size);
    }
    if (id === 0x7075) {
      const unicodeName = size >= 5 ? new TextDecoder('utf-8', { fatal: false }).decode(extra.subarray(e + 9, e + 4 + size)) : '';
      if (unicodeName !== name) throw new ZipError(`${label}: Unicode Path extra field names a different file (${JSON.stringify(unicodeName)})`);
    }
    e += 4 + size;
  }
  return zip64;
}

/** A little-endian 64-bit field as a number; past 2^53 it cannot be a real size or offset. */
function u64(view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError(`damaged ZIP: ${what} is impossibly large`);
  return Number(v);
}

/**
 * A header's sizes, offset and disk (in the ZIP64 field's order: uncompressed size, compressed
 * size, local header offset, disk; a local header has only the first two), with each marked
 * field (0xffffffff, or 0xffff for the disk) taken from the ZIP64 extra field, which must hold
 * exactly those, in that order.
 */
function zip64Fields<T extends [number, number] | [number, number, number, number]>(wide: Uint8Array | null, fields: T, label: string): T {
  const marked = fields.map((v, i) => v === (i === 3 ? MARK16 : MARK32));
  const expected = marked.reduce((n, m, i) => n + (m ? (i === 3 ? 4 : 8) : 0), 0);
  if (expected === 0 && wide === null) return fields;
  if (wide === null) throw new ZipError(`${label}: ZIP64 sizes are marked but no ZIP64 extra field holds them`);
  if (wide.length !== expected) throw new ZipError(`${label}: the ZIP64 extra field does not match the fields its header marks`);
  const view = viewOf(wide);
  let at = 0;
  return fields.map((v, i) => {
    if (!marked[i]) return v;
    const value = i === 3 ? view.getUint32(at, true) : u64(view, at, 'a ZIP64 size or offset');
    at += i === 3 ? 4 : 8;
    return value;
  }) as T;
}

interface Zip64End {
  /** Where the ZIP64 end record starts: the central directory ends there. */
  at: number;
  diskNo: number;
  cdDisk: number;
  entriesOnDisk: number;
  entryCount: number;
  cdSize: number;
  cdOffset: number;
}

/** The ZIP64 end record the locator at `locatorAt` points to, checked: on disk 0 of 1, right before the locator, no extensible data. */
function readZip64End(src: ByteSource, locatorAt: number, endDisk: number, endAt: number, disks: number): Zip64End {
  if (endDisk !== 0 || disks !== 1) throw new ZipError('multi-part (spanned) ZIP archives are not supported');
  if (endAt + 56 !== locatorAt) {
    throw new ZipError(endAt + 56 > locatorAt ? 'truncated or damaged ZIP: the ZIP64 end record is not where its locator says' : 'damaged ZIP: unexplained bytes between the ZIP64 end record and its locator (extensible data is not supported)');
  }
  const v = viewOf(src.read(endAt, 56));
  if (v.getUint32(0, true) !== SIG_ZIP64_END) throw new ZipError('truncated or damaged ZIP: the ZIP64 end record is missing or corrupt');
  if (u64(v, 4, 'the ZIP64 end record size') !== 44) throw new ZipError('damaged ZIP: the ZIP64 end record has extensible data, which is not supported');
  return {
    at: endAt,
    diskNo: v.getUint32(16, true),
    cdDisk: v.getUint32(20, true),
    entriesOnDisk: u64(v, 24, 'the ZIP64 entry count'),
    entryCount: u64(v, 32, 'the ZIP64 entry count'),
    cdSize: u64(v, 40, 'the ZIP64 directory size'),
    cdOffset: u64(v, 48, 'the ZIP64 directory offset'),
  };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An archive file opened and its directory checked; the descriptor stays open until `close`. */
export interface OpenedZipFile {
  archive: ZipArchive;
  close(): void;
}

/**
 * Opens a ZIP file and checks its end record and central directory (ZipArchive.open); its data
 * is read only by `archive.scan`, a piece at a time. Errors are ZipError with
 * one-line reasons.
 */
export function openZipFile(path: string, limits: ZipLimits = {}): OpenedZipFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ZipError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a ZIP file' : `cannot open (${code ?? (err as Error).message})`);
  }
  const close = () => closeSync(fd);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ZipError('is a directory, not a ZIP file');
    if (!st.isFile()) throw new ZipError('not a regular file');
    const archive = ZipArchive.open(readErrorsAsZipErrors(fileSource(fd, st.size)), limits);
    return { archive, close };
  } catch (err) {
    close();
    throw asZipError(err);
  }
}

function asZipError(err: unknown): ZipError {
  if (err instanceof ZipError) return err;
  return new ZipError(`cannot read (${(err as { code?: string }).code ?? (err as Error).message})`);
}

/** A read that fails (EIO, a file truncated under us) becomes a ZipError with a one-line reason. */
function readErrorsAsZipErrors(src: ByteSource): ByteSource {
  return {
    size: src.size,
    chunkBytes: src.chunkBytes,
    read(offset, length) {
      try {
        return src.read(offset, length);
      } catch (err) {
        throw asZipError(err);
      }
    },
  };
}

/** Reads a whole ZIP file from disk into memory and checks it as readZip does (for tests and the benchmark). */
export function readZipFile(path: string, limits: ZipLimits = {}): ZipContents {
  const { archive, close } = openZipFile(path, limits);
  try {
    return readAll(archive);
  } finally {
    close();
  }
}
