/**
 * Writes a signed BagIt bag (RFC 8493) as one ZIP, streamed: entries go one at a time into a
 * sink, so a bundle of any size needs memory for at most two payload files (one being hashed or
 * on its way into the sink, the next being read ahead) and two 1 MiB buffers, plus the bag's small tag files and one
 * central-directory record per entry; never for the whole ZIP. A text file may also be handed
 * over prepared (prepareText: hashed and DEFLATEd ahead), so that it waits for its turn as its
 * compressed bytes; the ZIP's bytes are the same either way.
 * Platform-neutral: runs in the MV3 service worker and in Node 20 (globalThis.crypto.subtle,
 * CompressionStream, TextEncoder; no node:).
 *
 * ZIP layout (docs/bundle-format.md, "Bag layout"), which is also the write order:
 *
 *   <bagName>/bag-info.txt
 *   <bagName>/bagit.txt
 *   <bagName>/data/...                 payload, sorted; each file fetched when it is written
 *   <bagName>/manifest-sha512.txt      known only once the payload has been written
 *   <bagName>/signature.jws            detached JWS over tagmanifest-sha512.txt
 *   <bagName>/tagmanifest-sha512.txt
 *
 * bag-info.txt comes first but carries Payload-Oxum, so every payload file's size is declared
 * up front (a lazy file says its size and is checked against it when read).
 *
 * Reproducible: entries sorted by full path (UTF-16 code unit order, which is byte order for
 * the ASCII names we allow), one fixed timestamp, fixed permissions, no directory entries, no
 * data descriptors, DEFLATE for text and STORE for everything else. The same payload, info and
 * signer output give the same bytes; only the ECDSA signature (randomized) differs between
 * runs. DEFLATE is the platform's own (CompressionStream 'deflate-raw', zlib at its default
 * level): the same writer platform gives the same bytes; another zlib build may compress the
 * text differently, which changes the ZIP's own SHA-256 but no hash in the bag.
 *
 * ZIP64 where it is needed, and only there: an entry whose local header starts at 4 GiB or later
 * gets a ZIP64 extra field with its offset in the central directory, and a ZIP64 end record and
 * locator precede the end record when the directory starts at 4 GiB or later or there are more
 * than 65,534 entries. Entry sizes stay below 4 GiB (no local ZIP64 fields). A bag past
 * BUNDLE_LIMITS is refused before anything is written.
 */
import { type BundleSigner, signDetached, jwkThumbprint, verifyDetached, publicP256Jwk, bufferSource } from './jws';
import { crc32, crc32Update } from '../shared/crc32';
import { Sha256 } from '../shared/sha256-sync';
import { Sha512 } from '../shared/sha512-sync';
import { sha512Hex } from '../shared/bytes';
import { BUNDLE_LIMITS } from '../shared/bundle-limits';

export type { BundleSigner } from './jws';

export interface PayloadFile {
  /** Relative to data/, e.g. 'threads/whatsapp-1a2b3c4d/thread.json'. */
  path: string;
  bytes: Uint8Array;
}

/**
 * A payload file whose bytes are fetched only when the writer reaches it, and dropped once it
 * is written: how attachments come from IndexedDB one at a time. `size` must be exact (it goes
 * into Payload-Oxum before the file is read); a `read()` that returns another length fails the
 * bundle. A source that recorded the bytes' SHA-512 and CRC-32 when it first had them returns
 * them with the bytes (`known`): the SHA-512 goes into the manifest as it is (not computed
 * again), and bytes that no longer match the CRC-32 fail the bundle.
 */
export interface LazyPayloadFile {
  path: string;
  size: number;
  read(): Promise<Uint8Array | KnownBytes>;
}

/** Bytes with the SHA-512 (hex) and CRC-32 recorded when they were first stored. */
export interface KnownBytes {
  bytes: Uint8Array;
  known: { sha512: string; crc32: number };
}

/**
 * A text file already hashed and DEFLATEd (prepareText), so that only its compressed bytes wait
 * for their turn: a thread's thread.json of 127 MB at 100,000 messages waits as about 10 MB.
 * Only for paths the writer DEFLATEs (text extensions); the writer copies the compressed bytes as
 * they are.
 */
export interface PreparedPayloadFile {
  path: string;
  prepared: PreparedText;
}

export interface PreparedText {
  /** Length of the text in bytes (before DEFLATE). */
  size: number;
  crc: number;
  deflated: Uint8Array;
  sha512: string;
}

export type PayloadSource = PayloadFile | LazyPayloadFile | PreparedPayloadFile;

/** Where the ZIP's bytes go, in order. The writer waits for each write before the next. */
export interface ZipSink {
  write(chunk: Uint8Array): Promise<void>;
}

export interface BagInfo {
  sourceOrganization?: string;
  contactName?: string;
  contactEmail?: string;
  externalIdentifier: string;
  /** YYYY-MM-DD */
  baggingDate: string;
  softwareAgent: string;
  externalDescription?: string;
}

export interface StreamedBundle {
  /** Bytes written to the sink. */
  size: number;
  /** Hex SHA-256 of the whole ZIP, computed as it was written. */
  sha256: string;
  /** RFC 7638 thumbprint of the signing key (also the JWS `kid`). */
  keyThumbprint: string;
  bagName: string;
  /** Every entry path in the ZIP, sorted, e.g. '<bagName>/data/threads/.../thread.json'. */
  files: string[];
}

/**
 * Where a bundle's time went, in milliseconds, for the benchmark (docs/performance.md): reading
 * lazy files, DEFLATE, CRC-32 and the ZIP's SHA-256 (JavaScript, on this thread), waiting for
 * the sink, and the SHA-512s of payload files read here (WebCrypto, which in this Chromium also
 * runs on this thread; none for a file whose SHA-512 is known). Filled in by streamBundle when
 * passed.
 */
export interface WritePhases {
  read: number;
  deflate: number;
  checksums: number;
  sinkWait: number;
  sha512: number;
}

export function newWritePhases(): WritePhases {
  return { read: 0, deflate: 0, checksums: 0, sinkWait: 0, sha512: 0 };
}

/** Runs `fn`, adding its time to `phases[key]` (when phases are kept). */
async function timed<T>(phases: WritePhases | undefined, key: keyof WritePhases, fn: () => T | Promise<T>): Promise<T> {
  if (!phases) return fn();
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    phases[key] += performance.now() - t0;
  }
}

export interface WrittenBundle extends StreamedBundle {
  zip: Uint8Array;
}

/** Exact bytes of bagit.txt (RFC 8493 section 2.1.1). */
export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

/**
 * Timestamp of every entry: 2000-01-01T00:00:00Z, written as DOS date and time fields from UTC
 * getters, so the bytes are the same in every time zone (tested under two TZ values in
 * test/unit/bag-writer.test.ts). ZIP readers show it as 2000-01-01 00:00.
 */
export const FIXED_ZIP_DATE = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));
const DOS_DATE = ((FIXED_ZIP_DATE.getUTCFullYear() - 1980) << 9) | ((FIXED_ZIP_DATE.getUTCMonth() + 1) << 5) | FIXED_ZIP_DATE.getUTCDate();
const DOS_TIME = (FIXED_ZIP_DATE.getUTCHours() << 11) | (FIXED_ZIP_DATE.getUTCMinutes() << 5) | (FIXED_ZIP_DATE.getUTCSeconds() >> 1);

/** Regular file, rw-r--r--. */
const FILE_MODE = 0o100644;

/** Payload extensions we DEFLATE; everything else (images, video, audio, PDFs) is STORED. */
const TEXT_EXTENSIONS = new Set(['json', 'jsonl', 'txt', 'csv', 'tsv', 'psv', 'html', 'htm', 'md', 'xml', 'jws', 'css', 'svg']);

// Windows device names, also with an extension and with spaces before it: Win32 takes "NUL .txt"
// for NUL (https://googleprojectzero.blogspot.com/2016/02/the-definitive-guide-on-win32-to-nt.html,
// "trailing spaces"); and the console names CONIN$ and CONOUT$. (A colon is refused anyway.)
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$) *(\..*)?$/i;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The last guard on names (the caller generates safe names). Returns a reason, or null if
 * `segment` is a safe single path segment: printable ASCII, no `%` (RFC 8493 would have to
 * percent-encode it and bagit-python does not decode %25), no backslash, none of the
 * characters Windows forbids, not `.`/`..`, no leading/trailing space or trailing dot
 * (Windows drops them), not a reserved device name, at most 255 bytes.
 */
function segmentProblem(segment: string): string | null {
  if (segment === '') return 'empty path segment';
  if (segment === '.' || segment === '..') return `"${segment}" segment`;
  for (const ch of segment) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c > 0x7e) return `non-printable or non-ASCII character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
  }
  if (segment.includes('%')) return '"%" is not allowed';
  if (segment.includes('\\')) return 'backslash is not allowed';
  const bad = /[<>:"|?*]/.exec(segment);
  if (bad) return `"${bad[0]}" is not allowed (Windows)`;
  if (segment.startsWith(' ') || segment.endsWith(' ') || segment.endsWith('.')) return 'leading/trailing space or trailing dot';
  if (WINDOWS_RESERVED.test(segment)) return `"${segment}" is a reserved device name on Windows`;
  if (segment.length > 255) return 'segment longer than 255 characters';
  return null;
}

/** Throws a clear Error if `path` (relative to data/) is not a safe payload path. */
export function assertSafePayloadPath(path: string): void {
  if (typeof path !== 'string' || path === '') throw new Error('payload path is empty');
  if (path.startsWith('/')) throw new Error(`payload path ${JSON.stringify(path)}: must be relative (leading "/")`);
  for (const seg of path.split('/')) {
    const why = segmentProblem(seg);
    if (why) throw new Error(`payload path ${JSON.stringify(path)}: ${why}`);
  }
}

function assertSafeBagName(name: string): void {
  const why = typeof name === 'string' ? (name.includes('/') ? 'must be a single folder name' : segmentProblem(name)) : 'not a string';
  if (why) throw new Error(`bag name ${JSON.stringify(name)}: ${why}`);
}

/** Checks payload paths as a set: no duplicates, no case-only differences, no file that is also a folder. */
function assertPayloadSet(payload: PayloadFile[]): void {
  const seen = new Map<string, string>();
  for (const f of payload) {
    assertSafePayloadPath(f.path);
    if (!(f.bytes instanceof Uint8Array)) throw new Error(`payload ${JSON.stringify(f.path)}: bytes must be a Uint8Array`);
    const key = f.path.toLowerCase();
    const prior = seen.get(key);
    if (prior !== undefined) {
      throw new Error(prior === f.path ? `duplicate payload path ${JSON.stringify(f.path)}` : `payload paths ${JSON.stringify(prior)} and ${JSON.stringify(f.path)} differ only by case`);
    }
    seen.set(key, f.path);
  }
  for (const [key, path] of seen) {
    const segs = key.split('/');
    for (let i = 1; i < segs.length; i++) {
      const folder = segs.slice(0, i).join('/');
      const clash = seen.get(folder);
      if (clash !== undefined) throw new Error(`payload path ${JSON.stringify(clash)} is a file but ${JSON.stringify(path)} uses it as a folder`);
    }
  }
}

/**
 * Makes a bag-info value safe: CR/CRLF become LF, other control characters (C0, DEL, C1)
 * and Unicode line/paragraph separators become spaces, and each remaining line break is
 * folded as an RFC 8493 continuation line (LF + two spaces). A value therefore can never
 * start a new `Label:` line.
 */
export function foldBagInfoValue(value: string): string {
  const lines = value
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u0085]/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.join('\n  ');
}

/** Human-readable size for Bag-Size, e.g. "512 bytes", "1.5 KB" (1 KB = 1024 bytes). */
export function humanSize(octets: number): string {
  if (octets < 1024) return `${octets} ${octets === 1 ? 'byte' : 'bytes'}`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = octets / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]!}`;
}

function bagInfoText(info: BagInfo, octets: number, streams: number): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(info.baggingDate)) {
    throw new Error(`bag-info Bagging-Date ${JSON.stringify(info.baggingDate)} must be YYYY-MM-DD`);
  }
  const rows: [string, string | undefined, boolean][] = [
    ['Source-Organization', info.sourceOrganization, false],
    ['Contact-Name', info.contactName, false],
    ['Contact-Email', info.contactEmail, false],
    ['External-Description', info.externalDescription, false],
    ['Bagging-Date', info.baggingDate, true],
    ['External-Identifier', info.externalIdentifier, true],
    ['Bag-Software-Agent', info.softwareAgent, true],
    ['Payload-Oxum', `${octets}.${streams}`, true],
    ['Bag-Size', humanSize(octets), true],
  ];
  let out = '';
  for (const [label, raw, required] of rows) {
    const value = typeof raw === 'string' ? foldBagInfoValue(raw) : '';
    if (value === '') {
      if (required) throw new Error(`bag-info ${label} is required and empty`);
      continue;
    }
    out += `${label}: ${value}\n`;
  }
  return out;
}

/** Sorts by UTF-16 code units (not locale), which is byte order for ASCII names. */
function byPath<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

function isText(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') && TEXT_EXTENSIONS.has(path.slice(dot + 1).toLowerCase());
}

/** Raw DEFLATE (RFC 1951) with the platform's zlib, as ZIP method 8 stores it. */
async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const cs = new CompressionStream('deflate-raw');
  const writer = cs.writable.getWriter();
  // A failed write also errors the readable side, which is what the caller awaits.
  writer.write(bufferSource(bytes)).catch(() => undefined);
  writer.close().catch(() => undefined);
  return new Uint8Array(await new Response(cs.readable).arrayBuffer());
}

/** A 32-bit field holding this (or a 16-bit one holding 0xffff) means "see the ZIP64 field". */
const ZIP32_MARK = 0xffffffff;
const ZIP16_MARK = 0xffff;
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
/** The ZIP64 extra field of a central record: header (4) and the local header's offset (8). */
const ZIP64_OFFSET_EXTRA = 12;
/** ZIP64 end of central directory record (56, no extensible data) and its locator (20). */
const ZIP64_END = 56 + 20;
/** Small writes (headers, small files) are gathered up to this size before reaching the sink. */
const SINK_BUFFER = 1 << 20;

/**
 * The largest ZIP these entries could make: headers plus each file's data, DEFLATEd text
 * allowed zlib's worst case (deflateBound: stored blocks add 5 bytes per 16 KiB and a little
 * more). Refusing on this bound means a bag is refused before its first byte, never half-written.
 */
function compressedBound(e: { size: number; text: boolean }): number {
  return e.text ? e.size + Math.floor(e.size / 4096) + Math.floor(e.size / 16384) + Math.floor(e.size / 33554432) + 13 : e.size;
}

function zipSizeBound(entries: { name: string; size: number; text: boolean }[]): number {
  let n = END_RECORD + ZIP64_END;
  for (const e of entries) n += LOCAL_HEADER + CENTRAL_HEADER + ZIP64_OFFSET_EXTRA + 2 * e.name.length + compressedBound(e);
  return n;
}

interface CentralRecord {
  name: Uint8Array;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

/**
 * Counts, hashes and batches what goes to the sink, keeping at most one sink write in flight:
 * while the sink stores one chunk (an attachment on its way to disk), the writer hashes the next
 * file. With streamBundle's read-ahead (which waits for the sink before reading a file ahead),
 * the writer holds at most two payload files' bytes at once and two 1 MiB buffers.
 */
class ZipOutput {
  offset = 0;
  private readonly hash = new Sha256();
  private buffer = new Uint8Array(SINK_BUFFER);
  private buffered = 0;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: ZipSink,
    readonly phases?: WritePhases,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    const t0 = this.phases ? performance.now() : 0;
    this.hash.update(bytes);
    if (this.phases) this.phases.checksums += performance.now() - t0;
    this.offset += bytes.length;
    if (bytes.length >= SINK_BUFFER / 4) {
      // Large data (an attachment) goes through as it is, without a copy.
      await this.flush(false);
      await this.push(bytes);
      return;
    }
    if (this.buffered + bytes.length > SINK_BUFFER) await this.flush(false);
    this.buffer.set(bytes, this.buffered);
    this.buffered += bytes.length;
  }

  /** Hands the buffered bytes to the sink; with `wait`, also waits until the sink has stored everything. */
  async flush(wait = true): Promise<void> {
    if (this.buffered > 0) {
      const chunk = this.buffer.subarray(0, this.buffered);
      // The sink may keep the chunk (a memory sink does): hand it over and start a new buffer.
      this.buffer = new Uint8Array(SINK_BUFFER);
      this.buffered = 0;
      await this.push(chunk);
    }
    if (wait) await this.idle();
  }

  /** Waits until the sink has stored everything handed to it so far (buffered bytes stay buffered). */
  async idle(): Promise<void> {
    await timed(this.phases, 'sinkWait', () => this.inflight);
  }

  /** Starts the sink's write of `chunk` once the previous one is done (rethrowing its failure). */
  private async push(chunk: Uint8Array): Promise<void> {
    await timed(this.phases, 'sinkWait', () => this.inflight);
    const writing = this.sink.write(chunk);
    writing.catch(() => undefined); // awaited by the next push or the final flush
    this.inflight = writing;
  }

  sha256(): string {
    return this.hash.hex();
  }
}

/**
 * A text file's SHA-512 (WebCrypto, started first), CRC-32 and DEFLATEd bytes, for
 * a PreparedPayloadFile: the same bytes in the ZIP as the writer would make from `bytes`.
 */
export async function prepareText(bytes: Uint8Array): Promise<PreparedText> {
  const sha512 = sha512Hex(bytes);
  sha512.catch(() => undefined); // awaited below
  const deflated = await deflateRaw(bytes);
  return { size: bytes.length, crc: crc32(bytes), deflated, sha512: await sha512 };
}

/**
 * prepareText for a text made a piece at a time and too large to hold whole: each piece is
 * hashed (SHA-512 in JavaScript: WebCrypto has no incremental digest), added to the CRC-32 and
 * DEFLATEd as it comes, and can be let go once written; only the compressed bytes are kept. The
 * result equals prepareText of all the pieces joined (zlib's output does not depend on how its
 * input is split when nothing is flushed; tested in test/unit/thread-texts.test.ts).
 */
export class TextPreparer {
  private readonly sha = new Sha512();
  private crc = 0;
  private size = 0;
  private readonly writer: WritableStreamDefaultWriter<BufferSource>;
  private readonly deflated: Promise<ArrayBuffer>;

  constructor() {
    const cs = new CompressionStream('deflate-raw');
    this.writer = cs.writable.getWriter();
    // Read as it is made, so the compressor never waits for a reader.
    this.deflated = new Response(cs.readable).arrayBuffer();
    this.deflated.catch(() => undefined); // awaited in finish
  }

  /** Adds the next piece; `piece` must not be changed afterwards. */
  async write(piece: Uint8Array): Promise<void> {
    this.sha.update(piece);
    this.crc = crc32Update(this.crc, piece);
    this.size += piece.length;
    await this.writer.write(bufferSource(piece));
  }

  async finish(): Promise<PreparedText> {
    await this.writer.close();
    return { size: this.size, crc: this.crc, deflated: new Uint8Array(await this.deflated), sha512: this.sha.hex() };
  }
}

const crcHex = (crc: number): string => crc.toString(16).padStart(8, '0');

/**
 * Writes one entry (local header, then data) and returns its central-directory record. With
 * `expected` (the CRC-32 recorded when the bytes were first stored), bytes whose CRC-32 differs
 * are refused, as DamagedPayloadError naming the payload file, before anything of the entry is written.
 */
async function writeEntry(out: ZipOutput, path: string, bytes: Uint8Array, expected?: { crc32: number; payloadPath: string }): Promise<CentralRecord> {
  const deflate = isText(path);
  const data = deflate ? await timed(out.phases, 'deflate', () => deflateRaw(bytes)) : bytes;
  const crc = await timed(out.phases, 'checksums', () => crc32(bytes));
  if (expected !== undefined && crc !== expected.crc32) {
    throw new DamagedPayloadError(expected.payloadPath, `payload ${JSON.stringify(path)}: its bytes are not the ones first stored (CRC-32 ${crcHex(crc)}, recorded ${crcHex(expected.crc32)}): the stored copy is damaged`);
  }
  return writeEntryData(out, path, { method: deflate ? 8 : 0, crc, data, size: bytes.length });
}

/** Writes one entry whose CRC-32 and (compressed) data are known. */
async function writeEntryData(out: ZipOutput, path: string, entry: { method: number; crc: number; data: Uint8Array; size: number }): Promise<CentralRecord> {
  const name = encoder.encode(path);
  const { method, crc, data } = entry;
  const record: CentralRecord = { name, method, crc, compressedSize: data.length, size: entry.size, offset: out.offset };
  const header = new Uint8Array(LOCAL_HEADER + name.length);
  const v = new DataView(header.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(4, 20, true); // version needed: 2.0 (DEFLATE)
  v.setUint16(6, 0, true); // flags: no encryption, no data descriptor (names are ASCII)
  v.setUint16(8, record.method, true);
  v.setUint16(10, DOS_TIME, true);
  v.setUint16(12, DOS_DATE, true);
  v.setUint32(14, record.crc, true);
  v.setUint32(18, record.compressedSize, true);
  v.setUint32(22, record.size, true);
  v.setUint16(26, name.length, true);
  v.setUint16(28, 0, true);
  header.set(name, LOCAL_HEADER);
  await out.write(header);
  await out.write(data);
  return record;
}

/**
 * The central directory and end record(s). A record whose local header starts at `zip64From` or
 * later carries its offset in a ZIP64 extra field (0x0001, the offset only: sizes stay 32-bit)
 * and says version 4.5; the ZIP64 end record and locator come before the end record when the
 * directory starts or ends at `zip64From` or later, or there are 65,535 entries or more.
 */
function centralDirectory(records: CentralRecord[], cdOffset: number, zip64From: number): Uint8Array {
  const far = (r: CentralRecord) => r.offset >= zip64From;
  const size = records.reduce((n, r) => n + CENTRAL_HEADER + r.name.length + (far(r) ? ZIP64_OFFSET_EXTRA : 0), 0);
  const zip64 = records.length >= ZIP16_MARK || cdOffset >= zip64From || size >= zip64From || cdOffset + size >= zip64From;
  const cd = new Uint8Array(size + (zip64 ? ZIP64_END : 0) + END_RECORD);
  const v = new DataView(cd.buffer);
  let p = 0;
  for (const r of records) {
    const version = far(r) ? 45 : 20;
    v.setUint32(p, 0x02014b50, true);
    v.setUint16(p + 4, (3 << 8) | version, true); // made by: Unix, spec 2.0 (4.5 with ZIP64)
    v.setUint16(p + 6, version, true);
    v.setUint16(p + 8, 0, true);
    v.setUint16(p + 10, r.method, true);
    v.setUint16(p + 12, DOS_TIME, true);
    v.setUint16(p + 14, DOS_DATE, true);
    v.setUint32(p + 16, r.crc, true);
    v.setUint32(p + 20, r.compressedSize, true);
    v.setUint32(p + 24, r.size, true);
    v.setUint16(p + 28, r.name.length, true);
    v.setUint16(p + 30, far(r) ? ZIP64_OFFSET_EXTRA : 0, true);
    // comment length, disk number start, internal attributes: all 0
    v.setUint32(p + 38, (FILE_MODE << 16) >>> 0, true);
    v.setUint32(p + 42, far(r) ? ZIP32_MARK : r.offset, true);
    cd.set(r.name, p + CENTRAL_HEADER);
    p += CENTRAL_HEADER + r.name.length;
    if (far(r)) {
      v.setUint16(p, 0x0001, true);
      v.setUint16(p + 2, 8, true);
      v.setBigUint64(p + 4, BigInt(r.offset), true);
      p += ZIP64_OFFSET_EXTRA;
    }
  }
  if (zip64) {
    const end64 = cdOffset + size;
    v.setUint32(p, 0x06064b50, true);
    v.setBigUint64(p + 4, 44n, true); // size of the rest of this record: no extensible data
    v.setUint16(p + 12, (3 << 8) | 45, true);
    v.setUint16(p + 14, 45, true);
    // this disk, the directory's disk: 0
    v.setBigUint64(p + 24, BigInt(records.length), true);
    v.setBigUint64(p + 32, BigInt(records.length), true);
    v.setBigUint64(p + 40, BigInt(size), true);
    v.setBigUint64(p + 48, BigInt(cdOffset), true);
    p += 56;
    v.setUint32(p, 0x07064b50, true);
    // the disk with the ZIP64 end record: 0
    v.setBigUint64(p + 8, BigInt(end64), true);
    v.setUint32(p + 16, 1, true); // disks in all
    p += 20;
  }
  // With ZIP64, a field the ZIP64 end record holds instead says so with its marker.
  const count = zip64 ? ZIP16_MARK : records.length;
  v.setUint32(p, 0x06054b50, true);
  v.setUint16(p + 8, count, true);
  v.setUint16(p + 10, count, true);
  v.setUint32(p + 12, zip64 ? ZIP32_MARK : size, true);
  v.setUint32(p + 16, zip64 ? ZIP32_MARK : cdOffset, true);
  return cd;
}

const isPrepared = (f: PayloadSource): f is PreparedPayloadFile => 'prepared' in f;

/** A lazy file's `{ bytes, known }`, checked: a malformed record of its digests fails the bundle rather than enter the manifest. */
function knownBytes(path: string, got: KnownBytes): { bytes: Uint8Array; known: KnownBytes['known'] } {
  const k = got.known as Partial<KnownBytes['known']> | undefined;
  if (!k || typeof k.sha512 !== 'string' || !/^[0-9a-f]{128}$/.test(k.sha512) || !Number.isInteger(k.crc32) || k.crc32! < 0 || k.crc32! > 0xffffffff) {
    throw new Error(`payload ${JSON.stringify(path)}: its recorded SHA-512 and CRC-32 are unusable`);
  }
  return { bytes: got.bytes, known: { sha512: k.sha512, crc32: k.crc32! } };
}

const isLazy = (f: PayloadSource): f is LazyPayloadFile => !('bytes' in f) && !isPrepared(f);
const sizeOf = (f: PayloadSource): number => (isPrepared(f) ? f.prepared.size : isLazy(f) ? f.size : f.bytes.length);

/**
 * Builds, signs and streams a bag into `sink`, one entry at a time: a lazy payload file is read
 * only when its turn comes, after the previous file has been handed to the sink (whose write of
 * it may still be running), and nothing of it is kept but its SHA-512 and central-directory
 * record. Rejects (the sink then holds a partial ZIP the
 * caller must discard; never a complete unsigned bundle) when a path, size or bag-info value is
 * unusable, when the bag would pass BUNDLE_LIMITS, when the signer throws or returns anything but 64
 * bytes, or when the signature does not verify under the signer's own public key.
 */
export async function streamBundle(opts: {
  bagName: string;
  payload: PayloadSource[];
  info: BagInfo;
  signer: BundleSigner;
  sink: ZipSink;
  phases?: WritePhases;
  /** Offsets (and a directory size) from this one on are written as ZIP64 fields: 4 GiB less one, lower only in tests. */
  zip64From?: number;
}): Promise<StreamedBundle> {
  const { bagName, payload, info, signer, sink, phases, zip64From = ZIP32_MARK } = opts;
  assertSafeBagName(bagName);
  // The name checks see every file; a lazy file's bytes are not read for them.
  assertPayloadSet(payload.map((f) => ('bytes' in f ? f : { path: f.path, bytes: new Uint8Array(0) })));
  for (const f of payload) {
    if (isLazy(f) && (!Number.isSafeInteger(f.size) || f.size < 0 || typeof f.read !== 'function')) {
      throw new Error(`payload ${JSON.stringify(f.path)}: a lazy file needs an exact size and a read()`);
    }
    if (isPrepared(f)) {
      const p = f.prepared;
      if (!isText(f.path)) throw new Error(`payload ${JSON.stringify(f.path)}: only text files (which are DEFLATEd) can be handed over prepared`);
      if (!Number.isSafeInteger(p.size) || p.size < 0 || !(p.deflated instanceof Uint8Array) || !/^[0-9a-f]{128}$/.test(p.sha512) || !Number.isInteger(p.crc) || p.crc < 0 || p.crc > 0xffffffff) {
        throw new Error(`payload ${JSON.stringify(f.path)}: a prepared file needs its size, CRC-32, DEFLATEd bytes and SHA-512 (prepareText)`);
      }
    }
  }
  // Check the key before doing any work; this also refuses a JWK carrying a private "d".
  publicP256Jwk(signer.publicJwk);

  const files = [...payload].sort(byPath((f) => f.path));
  const octets = files.reduce((n, f) => n + sizeOf(f), 0);
  const bagitBytes = encoder.encode(BAGIT_TXT);
  const bagInfoBytes = encoder.encode(bagInfoText(info, octets, files.length));

  // Tag manifests are at most a line per file; the signature is under 1 KiB.
  const tagBound = 200 * (files.length + 3) + bagName.length * files.length + 2048;
  const planned = [
    ...files.map((f) => ({ name: `${bagName}/data/${f.path}`, size: sizeOf(f), text: isText(f.path) })),
    ...['bag-info.txt', 'bagit.txt', 'manifest-sha512.txt', 'signature.jws', 'tagmanifest-sha512.txt'].map((t) => ({ name: `${bagName}/${t}`, size: tagBound, text: true })),
  ];
  if (planned.length > BUNDLE_LIMITS.entries) throw new Error(`the bundle would hold ${planned.length.toLocaleString('en-US')} files; one bundle holds at most ${BUNDLE_LIMITS.entries.toLocaleString('en-US')}: export fewer threads per bundle`);
  const huge = planned.find((e) => e.size > BUNDLE_LIMITS.entryBytes);
  if (huge) throw new Error(`${JSON.stringify(huge.name)} would be ${humanSize(huge.size)}; a single file over ${BUNDLE_LIMITS.entryBytes / 1024 ** 3} GiB is not supported`);
  if (zipSizeBound(planned) > BUNDLE_LIMITS.totalBytes) throw new Error(`the bundle would be about ${humanSize(octets)}; one bundle holds at most ${BUNDLE_LIMITS.totalBytes / 1024 ** 3} GiB: export fewer threads per bundle`);

  const out = new ZipOutput(sink, phases);
  const records: CentralRecord[] = [];
  const at = (p: string) => `${bagName}/${p}`;
  records.push(await writeEntry(out, at('bag-info.txt'), bagInfoBytes));
  records.push(await writeEntry(out, at('bagit.txt'), bagitBytes));

  let manifest = '';
  // Read-ahead: the next file is read from its source (IndexedDB) while this one is hashed and
  // written, but only once the sink has stored the one before it, so at most two payload files'
  // bytes are held at once (this one, being hashed or written, and the next, being read).
  // A prepared file has nothing to read: its compressed bytes are already here.
  const read = (f: PayloadSource): Promise<Uint8Array | KnownBytes | null> =>
    isPrepared(f) ? Promise.resolve(null) : isLazy(f) ? Promise.resolve().then(() => f.read()) : Promise.resolve(f.bytes);
  let ahead = files.length ? read(files[0]!) : null;
  for (const [i, f] of files.entries()) {
    const got = await timed(phases, 'read', () => ahead!);
    const { bytes, known } = got instanceof Uint8Array || got === null ? { bytes: got, known: null } : knownBytes(f.path, got);
    if (!isPrepared(f) && (!(bytes instanceof Uint8Array) || bytes.length !== sizeOf(f))) {
      throw new Error(`payload ${JSON.stringify(f.path)}: read ${bytes instanceof Uint8Array ? bytes.length : 'no'} bytes, but declared ${sizeOf(f)}`);
    }
    // Started before the entry is written and awaited after it, so that a digest WebCrypto runs
    // beside this thread overlaps the CRC-32 and SHA-256 (in this Chromium it runs in the call).
    const t0 = performance.now();
    const sha512 = isPrepared(f) ? Promise.resolve(f.prepared.sha512) : known ? Promise.resolve(known.sha512) : sha512Hex(bytes!);
    if (phases) phases.sha512 += performance.now() - t0;
    sha512.catch(() => undefined); // awaited just below, after the entry is written
    await out.idle();
    const following = files[i + 1];
    ahead = following ? read(following) : null;
    ahead?.catch(() => undefined); // awaited in the next round, unless this one fails first
    const path = at(`data/${f.path}`);
    records.push(isPrepared(f) ? await writeEntryData(out, path, { method: 8, crc: f.prepared.crc, data: f.prepared.deflated, size: f.prepared.size }) : await writeEntry(out, path, bytes!, known ? { crc32: known.crc32, payloadPath: f.path } : undefined));
    manifest += `${await timed(phases, 'sha512', () => sha512)}  data/${f.path}\n`;
  }

  const manifestBytes = encoder.encode(manifest);
  const tagManifestBytes = encoder.encode(
    `${await sha512Hex(bagInfoBytes)}  bag-info.txt\n${await sha512Hex(bagitBytes)}  bagit.txt\n${await sha512Hex(manifestBytes)}  manifest-sha512.txt\n`,
  );
  const jws = await signDetached(tagManifestBytes, signer);
  // Self-check: a signer whose private key does not match its publicJwk would otherwise
  // produce a bundle that can never verify.
  const check = await verifyDetached(jws, tagManifestBytes);
  if (!check.ok) throw new Error(`signing failed: the signature does not verify with the signer's public key (${check.error ?? 'unknown'})`);
  const keyThumbprint = await jwkThumbprint(signer.publicJwk);

  records.push(await writeEntry(out, at('manifest-sha512.txt'), manifestBytes));
  records.push(await writeEntry(out, at('signature.jws'), encoder.encode(jws)));
  records.push(await writeEntry(out, at('tagmanifest-sha512.txt'), tagManifestBytes));
  await out.write(centralDirectory(records, out.offset, zip64From));
  await out.flush();
  return { size: out.offset, sha256: out.sha256(), keyThumbprint, bagName, files: records.map((r) => decoder.decode(r.name)) };
}

/**
 * A payload file whose bytes are not the ones first stored (their CRC-32, or for an older row
 * their SHA-256, no longer matches what was recorded at capture). `path` is the payload path
 * (relative to data/), so the caller can leave that file out and write the bag again.
 */
export class DamagedPayloadError extends Error {
  override name = 'DamagedPayloadError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** A sink that keeps every chunk, for bundles small enough to hold (tests, "Preserve page"). */
export class MemorySink implements ZipSink {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  bytes(): Uint8Array {
    const all = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      all.set(c, p);
      p += c.length;
    }
    return all;
  }
}

/** streamBundle into memory: the whole ZIP as one array. */
export async function writeBundle(opts: { bagName: string; payload: PayloadSource[]; info: BagInfo; signer: BundleSigner }): Promise<WrittenBundle> {
  const sink = new MemorySink();
  const written = await streamBundle({ ...opts, sink });
  return { ...written, zip: sink.bytes() };
}
