/**
 * Writes a signed BagIt bag (RFC 8493) as one ZIP. Platform-neutral: runs in the MV3
 * service worker and in Node 20 (globalThis.crypto.subtle, TextEncoder, jszip; no node:).
 *
 * ZIP layout (docs/bundle-format.md, "Bag layout"):
 *
 *   <bagName>/bagit.txt
 *   <bagName>/bag-info.txt
 *   <bagName>/data/...                 payload
 *   <bagName>/manifest-sha512.txt
 *   <bagName>/signature.jws            detached JWS over tagmanifest-sha512.txt
 *   <bagName>/tagmanifest-sha512.txt
 *
 * Reproducible: entries sorted by full path (UTF-16 code unit order, which is byte order for
 * the ASCII names we allow), one fixed timestamp, fixed permissions, no directory entries,
 * DEFLATE level 6 for text and STORE for everything else. The same payload, info and signer
 * output give the same bytes; only the ECDSA signature (randomized) differs between runs.
 */
import JSZip from 'jszip';
import { type BundleSigner, signDetached, jwkThumbprint, verifyDetached, publicP256Jwk, bufferSource } from './jws';

export type { BundleSigner } from './jws';

export interface PayloadFile {
  /** Relative to data/, e.g. 'threads/whatsapp-1a2b3c4d/thread.json'. */
  path: string;
  bytes: Uint8Array;
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

export interface WrittenBundle {
  zip: Uint8Array;
  /** Hex SHA-256 of `zip`. */
  sha256: string;
  /** RFC 7638 thumbprint of the signing key (also the JWS `kid`). */
  keyThumbprint: string;
  bagName: string;
  /** Every entry path in the ZIP, sorted, e.g. '<bagName>/data/threads/.../thread.json'. */
  files: string[];
}

/** Exact bytes of bagit.txt (RFC 8493 section 2.1.1). */
export const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

/**
 * Timestamp of every entry: 2000-01-01T00:00:00Z. JSZip 3.10 encodes the DOS date/time with
 * getUTC* getters, so a UTC instant yields the same bytes in every time zone (tested under
 * two TZ values in test/unit/bag-writer.test.ts). ZIP readers show it as 2000-01-01 00:00.
 */
export const FIXED_ZIP_DATE = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));

/** Regular file, rw-r--r--. */
const FILE_MODE = 0o100644;

/** Payload extensions we DEFLATE; everything else (images, video, audio, PDFs) is STORED. */
const TEXT_EXTENSIONS = new Set(['json', 'jsonl', 'txt', 'csv', 'tsv', 'psv', 'html', 'htm', 'md', 'xml', 'jws', 'css', 'svg']);

// Windows device names, also with an extension and with spaces before it: Win32 takes "NUL .txt"
// for NUL (https://googleprojectzero.blogspot.com/2016/02/the-definitive-guide-on-win32-to-nt.html,
// "trailing spaces"); and the console names CONIN$ and CONOUT$. (A colon is refused anyway.)
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$) *(\..*)?$/i;
const encoder = new TextEncoder();

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

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha512Hex(bytes: Uint8Array): Promise<string> {
  return hex(await globalThis.crypto.subtle.digest('SHA-512', bufferSource(bytes)));
}

/** Sorts by UTF-16 code units (not locale), which is byte order for ASCII names. */
function byPath<T>(key: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** `<hex>  <path>` lines sorted by path, LF endings (the format of manifest-*.txt). */
async function manifestText(entries: { path: string; bytes: Uint8Array }[]): Promise<string> {
  const lines = await Promise.all(
    [...entries].sort(byPath((e) => e.path)).map(async (e) => `${await sha512Hex(e.bytes)}  ${e.path}\n`),
  );
  return lines.join('');
}

function isText(path: string): boolean {
  const dot = path.lastIndexOf('.');
  return dot > path.lastIndexOf('/') && TEXT_EXTENSIONS.has(path.slice(dot + 1).toLowerCase());
}

/**
 * Builds, signs and zips a bag. Rejects (never returns an unsigned bundle) when a path or
 * bag-info value is unusable, when the signer throws or returns anything but 64 bytes, or
 * when the signature does not verify under the signer's own public key.
 */
export async function writeBundle(opts: { bagName: string; payload: PayloadFile[]; info: BagInfo; signer: BundleSigner }): Promise<WrittenBundle> {
  const { bagName, payload, info, signer } = opts;
  assertSafeBagName(bagName);
  assertPayloadSet(payload);
  // Check the key before doing any work; this also refuses a JWK carrying a private "d".
  publicP256Jwk(signer.publicJwk);

  const octets = payload.reduce((n, f) => n + f.bytes.length, 0);
  const bagitBytes = encoder.encode(BAGIT_TXT);
  const bagInfoBytes = encoder.encode(bagInfoText(info, octets, payload.length));
  const manifestBytes = encoder.encode(await manifestText(payload.map((f) => ({ path: `data/${f.path}`, bytes: f.bytes }))));
  const tagManifestBytes = encoder.encode(
    await manifestText([
      { path: 'bagit.txt', bytes: bagitBytes },
      { path: 'bag-info.txt', bytes: bagInfoBytes },
      { path: 'manifest-sha512.txt', bytes: manifestBytes },
    ]),
  );

  const jws = await signDetached(tagManifestBytes, signer);
  // Self-check: a signer whose private key does not match its publicJwk would otherwise
  // produce a bundle that can never verify.
  const check = await verifyDetached(jws, tagManifestBytes);
  if (!check.ok) throw new Error(`signing failed: the signature does not verify with the signer's public key (${check.error ?? 'unknown'})`);
  const keyThumbprint = await jwkThumbprint(signer.publicJwk);

  const entries: { path: string; bytes: Uint8Array; deflate: boolean }[] = [
    { path: 'bagit.txt', bytes: bagitBytes, deflate: true },
    { path: 'bag-info.txt', bytes: bagInfoBytes, deflate: true },
    { path: 'manifest-sha512.txt', bytes: manifestBytes, deflate: true },
    { path: 'tagmanifest-sha512.txt', bytes: tagManifestBytes, deflate: true },
    { path: 'signature.jws', bytes: encoder.encode(jws), deflate: true },
    ...payload.map((f) => ({ path: `data/${f.path}`, bytes: f.bytes, deflate: isText(f.path) })),
  ].map((e) => ({ ...e, path: `${bagName}/${e.path}` }));
  entries.sort(byPath((e) => e.path));

  const zip = new JSZip();
  for (const e of entries) {
    zip.file(e.path, e.bytes, {
      binary: true,
      // No directory entries, ever: readers create folders from the paths, and leaving them
      // out means there is nothing (mode, date) that could differ between two writers.
      createFolders: false,
      date: FIXED_ZIP_DATE,
      unixPermissions: FILE_MODE,
      compression: e.deflate ? 'DEFLATE' : 'STORE',
      compressionOptions: e.deflate ? { level: 6 } : null,
    });
  }
  const zipBytes = await zip.generateAsync({ type: 'uint8array', platform: 'UNIX', streamFiles: false });
  const sha256 = hex(await globalThis.crypto.subtle.digest('SHA-256', bufferSource(zipBytes)));
  return { zip: zipBytes, sha256, keyThumbprint, bagName, files: entries.map((e) => e.path) };
}
