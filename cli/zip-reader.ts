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
 * ZIP64 is not supported: a bundle over 4 GiB or 65,535 entries is refused with a message
 * saying so. Errors are ZipError with a one-line message.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import * as zlib from 'node:zlib';

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipLimits {
  /** Largest declared sum of uncompressed sizes. Default 4 GiB. */
  maxTotalBytes?: number;
  /** Largest declared uncompressed size of one entry. Default 2 GiB. */
  maxEntryBytes?: number;
  /** Most entries. Default 100,000. */
  maxEntries?: number;
}

export interface ZipContents {
  /** Regular files by name, in central-directory order. */
  files: Map<string, Uint8Array>;
  /** Directory entries (names end in '/'); they carry no data. */
  directories: string[];
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxTotalBytes: 4 * 1024 ** 3,
  maxEntryBytes: 2 * 1024 ** 3,
  maxEntries: 100_000,
};

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_DESCRIPTOR = 0x08074b50;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** zlib's CRC-32 where Node has it (20.15+), a table-driven one otherwise. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

export function crc32(bytes: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(bytes) >>> 0;
  return crc32Js(bytes);
}

export function crc32Js(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
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

/** Reads and checks a whole archive held in memory. */
export function readZip(zip: Uint8Array, limits: ZipLimits = {}): ZipContents {
  const lim = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const len = zip.length;
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);

  // End of central directory: the last EOCD signature whose comment reaches exactly to the
  // end of the file. Trailing bytes after the comment are refused.
  let eocd = -1;
  for (let p = len - 22; p >= 0 && p >= len - 22 - 0xffff; p--) {
    if (u32(p) === SIG_EOCD && p + 22 + u16(p + 20) === len) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    if (len >= 4 && u32(0) === SIG_LOCAL) throw new ZipError('truncated or damaged ZIP: end of central directory record not found');
    throw new ZipError(len === 0 ? 'empty file, not a ZIP archive' : 'not a ZIP archive (no end of central directory record)');
  }
  const diskNo = u16(eocd + 4);
  const cdDisk = u16(eocd + 6);
  const entriesOnDisk = u16(eocd + 8);
  const entryCount = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  const zip64 = (eocd >= 20 && u32(eocd - 20) === SIG_ZIP64_LOCATOR) || entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
  if (zip64) throw new ZipError('ZIP64 archives are not supported by this verifier yet (bundle over 4 GiB or 65,535 entries)');
  if (diskNo !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) throw new ZipError('multi-part (spanned) ZIP archives are not supported');
  if (entryCount > lim.maxEntries) throw new ZipError(`too many entries: ${entryCount} (limit ${lim.maxEntries})`);
  if (cdOffset + cdSize !== eocd) {
    throw new ZipError(cdOffset + cdSize > eocd ? 'truncated or damaged ZIP: central directory runs past its end record' : 'damaged ZIP: unexplained bytes between central directory and end record');
  }

  // Central directory.
  const entries: CentralEntry[] = [];
  const seen = new Map<string, string>();
  let totalDeclared = 0;
  let p = cdOffset;
  for (let i = 0; i < entryCount; i++) {
    if (p + 46 > eocd || u32(p) !== SIG_CENTRAL) throw new ZipError(`damaged ZIP: central directory entry ${i + 1} of ${entryCount} is missing or corrupt`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    const compressedSize = u32(p + 20);
    const uncompressedSize = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    const diskStart = u16(p + 34);
    const externalAttrs = u32(p + 38);
    const localOffset = u32(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > eocd) throw new ZipError(`damaged ZIP: central directory entry ${i + 1} runs past the directory`);
    const rawName = zip.subarray(p + 46, p + 46 + nameLen);
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(rawName);
    } catch {
      throw new ZipError(`entry ${i + 1}: file name is not valid UTF-8`);
    }
    const label = `entry ${JSON.stringify(name)}`;
    const unsafe = nameProblem(name);
    if (unsafe) throw new ZipError(`${label}: unsafe name (${unsafe})`);

    checkExtraFields(zip.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), name, label);

    if (flags & 0x0001 || flags & 0x0040 || flags & 0x2000) throw new ZipError(`${label}: encrypted entries are not supported`);
    if (method !== 0 && method !== 8) throw new ZipError(`${label}: unsupported compression method ${method} (only STORE and DEFLATE)`);
    if (diskStart !== 0) throw new ZipError(`${label}: multi-part archives are not supported`);
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localOffset === 0xffffffff) {
      throw new ZipError(`${label}: ZIP64 sizes are not supported by this verifier yet`);
    }

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
  if (p !== eocd) throw new ZipError('damaged ZIP: central directory size does not match its entries');

  // A file name must not also be used as a folder ('a' and 'a/b').
  for (const [key, name] of seen) {
    const segs = key.split('/');
    for (let i = 1; i < segs.length; i++) {
      const folder = seen.get(segs.slice(0, i).join('/'));
      if (folder !== undefined && !folder.endsWith('/')) throw new ZipError(`entry ${JSON.stringify(name)}: ${JSON.stringify(folder)} is a file and cannot also be a folder`);
    }
  }

  // Local headers and data, in file order, contiguous from offset 0 up to the central directory.
  const dataOf = new Map<CentralEntry, Uint8Array>();
  const directories: string[] = [];
  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  let cursor = 0;
  for (const e of byOffset) {
    const label = `entry ${JSON.stringify(e.name)}`;
    if (e.localOffset + 30 > cdOffset) throw new ZipError(`${label}: local header offset ${e.localOffset} lies beyond the data area (truncated or damaged)`);
    if (e.localOffset !== cursor) {
      throw new ZipError(e.localOffset < cursor ? `${label}: overlaps the previous entry` : `${label}: unreferenced bytes before this entry (${e.localOffset - cursor} bytes at offset ${cursor})`);
    }
    if (u32(e.localOffset) !== SIG_LOCAL) throw new ZipError(`${label}: local header missing or corrupt`);
    const lFlags = u16(e.localOffset + 6);
    const lMethod = u16(e.localOffset + 8);
    const lCrc = u32(e.localOffset + 14);
    const lComp = u32(e.localOffset + 18);
    const lUncomp = u32(e.localOffset + 22);
    const lNameLen = u16(e.localOffset + 26);
    const lExtraLen = u16(e.localOffset + 28);
    const dataStart = e.localOffset + 30 + lNameLen + lExtraLen;
    const dataEnd = dataStart + e.compressedSize;
    if (dataEnd > cdOffset) throw new ZipError(`${label}: data runs past the end of the data area (truncated?)`);
    const lName = zip.subarray(e.localOffset + 30, e.localOffset + 30 + lNameLen);
    if (!bytesEqual(lName, e.rawName)) throw new ZipError(`${label}: local header names a different file`);
    checkExtraFields(zip.subarray(e.localOffset + 30 + lNameLen, dataStart), e.name, label);
    if (lMethod !== e.method || (lFlags & ~0x0008) !== (e.flags & ~0x0008)) throw new ZipError(`${label}: local header disagrees with the central directory`);
    cursor = dataEnd;
    if (e.flags & 0x0008) {
      // Data descriptor: optional signature, then crc, compressed and uncompressed size.
      let d = dataEnd;
      if (d + 4 <= cdOffset && u32(d) === SIG_DESCRIPTOR) d += 4;
      if (d + 12 > cdOffset) throw new ZipError(`${label}: data descriptor missing (truncated?)`);
      if (u32(d) !== e.crc || u32(d + 4) !== e.compressedSize || u32(d + 8) !== e.uncompressedSize) {
        throw new ZipError(`${label}: data descriptor disagrees with the central directory`);
      }
      cursor = d + 12;
    } else if (lCrc !== e.crc || lComp !== e.compressedSize || lUncomp !== e.uncompressedSize) {
      throw new ZipError(`${label}: local header sizes or CRC disagree with the central directory`);
    }

    const compressed = zip.subarray(dataStart, dataEnd);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw new ZipError(`${label}: stored entry with different compressed and uncompressed sizes`);
      data = compressed;
    } else {
      try {
        // The cap makes a bomb stop as soon as it passes its declared size.
        data = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, e.uncompressedSize) });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
          throw new ZipError(`${label}: inflates to more than its declared ${e.uncompressedSize} bytes (zip bomb?)`);
        }
        throw new ZipError(`${label}: corrupt compressed data (${(err as Error).message})`);
      }
      if (data.length !== e.uncompressedSize) throw new ZipError(`${label}: inflates to ${data.length} bytes, but declares ${e.uncompressedSize}`);
    }
    if (crc32(data) !== e.crc) throw new ZipError(`${label}: CRC-32 mismatch (data damaged)`);
    if (e.isDir) directories.push(e.name);
    else dataOf.set(e, data);
  }
  if (cursor !== cdOffset) throw new ZipError(`damaged ZIP: ${cdOffset - cursor} unreferenced bytes before the central directory`);

  // Central-directory order, so the map lists files as `unzip -l` does.
  const files = new Map<string, Uint8Array>();
  for (const e of entries) {
    const data = dataOf.get(e);
    if (data) files.set(e.name, data);
  }
  return { files, directories };
}

/**
 * Extra fields: ZIP64 (0x0001) is unsupported, and an Info-ZIP Unicode Path field (0x7075)
 * must name the same file as the header, since some unzippers prefer it over the header name.
 */
function checkExtraFields(extra: Uint8Array, name: string, label: string): void {
  for (let e = 0; e < extra.length; ) {
    if (e + 4 > extra.length) throw new ZipError(`${label}: malformed extra field`);
    const id = extra[e]! | (extra[e + 1]! << 8);
    const size = extra[e + 2]! | (extra[e + 3]! << 8);
    if (e + 4 + size > extra.length) throw new ZipError(`${label}: malformed extra field`);
    if (id === 0x0001) throw new ZipError(`${label}: ZIP64 entries are not supported by this verifier yet`);
    if (id === 0x7075) {
      const unicodeName = size >= 5 ? new TextDecoder('utf-8', { fatal: false }).decode(extra.subarray(e + 9, e + 4 + size)) : '';
      if (unicodeName !== name) throw new ZipError(`${label}: Unicode Path extra field names a different file (${JSON.stringify(unicodeName)})`);
    }
    e += 4 + size;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Reads a ZIP file from disk and checks it with readZip. Errors are ZipError with one-line reasons. */
export function readZipFile(path: string, limits: ZipLimits = {}): ZipContents {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new ZipError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a ZIP file' : `cannot open (${code ?? (err as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ZipError('is a directory, not a ZIP file');
    if (!st.isFile()) throw new ZipError('not a regular file');
    if (st.size > 0xffffffff) throw new ZipError('file is over 4 GiB: ZIP64 archives are not supported by this verifier yet');
    if (st.size > bufferConstants.MAX_LENGTH) throw new ZipError(`file is too large to read (${st.size} bytes)`);
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) throw new ZipError('file shrank while reading');
      off += n;
    }
    return readZip(buf, limits);
  } catch (err) {
    if (err instanceof ZipError) throw err;
    throw new ZipError(`cannot read (${(err as { code?: string }).code ?? (err as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
