/**
 * Verifies a Threadkeeper bag given its files (paths as inside the ZIP, `<bagName>/...`): their
 * sizes and digests, and the bytes of the few it reads (BagFiles, below). Platform-neutral, no
 * I/O: the CLI (cli/verify.ts) and the intake server stream the ZIP from disk with
 * cli/zip-reader.ts and cli/zip-bag.ts; files already in memory (tests, JSZip output) are passed
 * as a Map.
 *
 * Checks, in order (docs/verifying.md explains each to a records officer):
 *  1. exactly one top-level folder, nothing beside it;
 *  2. bagit.txt is exactly BagIt 1.0 / UTF-8;
 *  3. manifest-sha512.txt: well-formed lines, no duplicates, paths inside data/, every
 *     listed file present with the right SHA-512, every file under data/ listed;
 *  4. bag-info.txt: well-formed, Payload-Oxum present once and equal to the payload's
 *     octets.streams;
 *  5. tagmanifest-sha512.txt lists exactly bagit.txt, bag-info.txt and manifest-sha512.txt
 *     with the right hashes;
 *  6. no other tag files besides signature.jws;
 *  7. signature.jws is a valid ES256 detached JWS over the tagmanifest bytes, and (when a
 *     key is pinned) its key thumbprint equals the pin;
 *  8. every data/threads/<slug>/thread.json parses and its attachments exist, with the size and
 *     SHA-256 it gives for them;
 *  9. the audit log it carries (data/audit-log.jsonl) is an unbroken hash chain (entries
 *     about other conversations withheld: checked as far as they can be, src/shared/audit-chain.ts).
 *
 * Problems name the file as it appears in the ZIP; '' means the archive as a whole.
 */
import { verifyDetached, bufferSource } from './jws';
import { checkChain } from '../shared/audit-chain';
import { toHex } from '../shared/bytes';
import { JsonScanError, scanThreadJson, type ThreadScan } from './thread-scan';

/**
 * RFC 8493 section 2.1.1. Same constant as bag-writer.ts BAGIT_TXT; repeated here so the
 * verifier (and the CLI bundle) does not pull in the writer and jszip. The writer tests
 * verify written bags with this module, so the two cannot drift apart unnoticed.
 */
const BAGIT_TXT = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';

export interface VerifyProblem {
  /** Path inside the ZIP (e.g. 'bag/manifest-sha512.txt'); '' for the archive as a whole. */
  file: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  bagName: string | null;
  /**
   * RFC 7638 thumbprint of the key embedded in signature.jws, when its header was readable
   * (also when the signature then failed: it says which key was claimed).
   */
  keyThumbprint: string | null;
  problems: VerifyProblem[];
  /** `pages`: web pages kept by "Preserve page" (data/pages/<slug>/page.json). */
  summary: { threads: number; messages: number; attachments: number; pages: number } | null;
}

const TAG_FILES = ['bagit.txt', 'bag-info.txt', 'manifest-sha512.txt'] as const;
const KNOWN_ROOT_FILES = new Set<string>([...TAG_FILES, 'tagmanifest-sha512.txt', 'signature.jws']);
// ignoreBOM keeps a byte order mark in the text (by default the decoder drops it silently), so
// that decodeText can refuse it as it says.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function hex(bytes: ArrayBuffer): string {
  return toHex(new Uint8Array(bytes));
}

/**
 * The bag's files as the verifier needs them: their names, sizes and digests for every file, and
 * the bytes of the few it reads (tag files, thread.json, page.json, the audit log). The CLI
 * gives digests taken while it streamed the ZIP from disk (cli/zip-bag.ts), so a bundle is
 * never held in memory whole; `memoryBagFiles` serves files already in memory.
 */
export interface BagFiles {
  /** Every regular file, by its path in the ZIP (`<bagName>/...`). */
  readonly paths: readonly string[];
  size(path: string): number;
  bytes(path: string): Promise<Uint8Array>;
  /** Lowercase hex digests of the file's bytes. */
  sha512(path: string): Promise<string>;
  sha256(path: string): Promise<string>;
}

/**
 * Whether verifyBag reads the bytes of the file at `path` (as in the ZIP: `<bagName>/...`), not
 * only its digests: the tag files beside data/, each thread's thread.json, each page's page.json
 * and the audit log. A source that streams the archive keeps these as they go by.
 */
export function verifierReads(path: string): boolean {
  const slash = path.indexOf('/');
  if (slash < 0) return false;
  const rel = path.slice(slash + 1);
  return !rel.includes('/') || rel === 'data/audit-log.jsonl' || /^data\/threads\/[^/]+\/thread\.json$/.test(rel) || /^data\/pages\/[^/]+\/page\.json$/.test(rel);
}

/** Files held in memory (keys ending in '/' are directory markers and carry nothing); WebCrypto digests. */
export function memoryBagFiles(files: Map<string, Uint8Array>): BagFiles {
  const get = (path: string): Uint8Array => {
    const bytes = files.get(path);
    if (!bytes) throw new Error(`no file ${path}`);
    return bytes;
  };
  const digest = async (alg: 'SHA-256' | 'SHA-512', path: string) => hex(await globalThis.crypto.subtle.digest(alg, bufferSource(get(path))));
  return {
    paths: [...files.keys()].filter((p) => !p.endsWith('/')),
    size: (path) => get(path).length,
    bytes: async (path) => get(path),
    sha512: (path) => digest('SHA-512', path),
    sha256: (path) => digest('SHA-256', path),
  };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Decodes UTF-8 text, or returns null when the bytes are not valid UTF-8 or start with a BOM. */
function decodeText(bytes: Uint8Array): string | null {
  try {
    const text = utf8.decode(bytes);
    return text.startsWith('\uFEFF') ? null : text;
  } catch {
    return null;
  }
}

/** Why a bag-relative path is unsafe, or null. */
function relativePathProblem(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.startsWith('~')) return 'absolute path';
  if (path.includes('\\')) return 'backslash in path';
  for (const seg of path.split('/')) {
    if (seg === '') return 'empty path segment';
    if (seg === '.' || seg === '..') return `"${seg}" segment`;
  }
  return null;
}

/** RFC 8493 section 2.1.3: only CR, LF and % are percent-encoded in manifest paths. */
function decodeManifestPath(path: string): string {
  return path.replace(/%(0[AaDd]|25)/g, (_m, code: string) => String.fromCharCode(parseInt(code, 16)));
}

interface ManifestEntry {
  path: string;
  hash: string;
}

/** Parses `<hex>  <path>` lines (RFC 8493 section 2.1.3). Problems are pushed, good lines returned. */
function parseManifest(text: string, algHexLength: number, file: string, problems: VerifyProblem[]): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  if (text === '') {
    problems.push({ file, message: 'manifest is empty' });
    return entries;
  }
  if (!text.endsWith('\n')) problems.push({ file, message: 'last line does not end with a line feed' });
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    const m = new RegExp(`^([0-9a-fA-F]{${algHexLength}})[ \\t]+(\\S.*)$`).exec(line);
    if (!m) {
      problems.push({ file, message: `line ${i + 1} is not "<sha512>  <path>"` });
      return;
    }
    const path = decodeManifestPath(m[2]!);
    if (seen.has(path)) {
      problems.push({ file, message: `line ${i + 1}: ${path} is listed more than once` });
      return;
    }
    seen.add(path);
    entries.push({ path, hash: m[1]!.toLowerCase() });
  });
  return entries;
}

/** Parses bag-info.txt into ordered [label, value] pairs (continuation lines folded with a space). */
function parseBagInfo(text: string, file: string, problems: VerifyProblem[]): [string, string][] {
  const tags: [string, string][] = [];
  if (text !== '' && !text.endsWith('\n')) problems.push({ file, message: 'last line does not end with a line feed' });
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    if (/^[ \t]/.test(line)) {
      const last = tags[tags.length - 1];
      if (!last) problems.push({ file, message: `line ${i + 1} is a continuation line with nothing to continue` });
      else last[1] += ` ${line.trim()}`;
      return;
    }
    const m = /^([^:\s][^:]*?)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (!m) {
      problems.push({ file, message: `line ${i + 1} is not "Label: value"` });
      return;
    }
    tags.push([m[1]!, m[2]!.trim()]);
  });
  return tags;
}

export async function verifyBag(input: Map<string, Uint8Array> | BagFiles, opts?: { pinnedKey?: string }): Promise<VerifyReport> {
  const files = input instanceof Map ? memoryBagFiles(input) : input;
  const problems: VerifyProblem[] = [];
  const report = (bagName: string | null, keyThumbprint: string | null, summary: VerifyReport['summary']): VerifyReport => ({
    ok: problems.length === 0,
    bagName,
    keyThumbprint,
    problems,
    summary,
  });

  // 1. One top-level folder.
  const paths = [...files.paths].sort();
  if (paths.length === 0) {
    problems.push({ file: '', message: 'archive holds no files' });
    return report(null, null, null);
  }
  const roots = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const loose = paths.filter((p) => !p.includes('/'));
  for (const p of loose) problems.push({ file: p, message: 'file outside the bag folder' });
  roots.delete('');
  if (roots.size !== 1) {
    problems.push({
      file: '',
      message: roots.size === 0 ? 'no bag folder: expected one top-level folder' : `expected one top-level folder, found ${roots.size}: ${[...roots].sort().join(', ')}`,
    });
    return report(null, null, null);
  }
  const bagName = [...roots][0]!;
  const prefix = `${bagName}/`;
  const inBag = new Set<string>();
  for (const p of paths) if (p.startsWith(prefix)) inBag.add(p.slice(prefix.length));
  const at = (rel: string) => `${prefix}${rel}`;
  /** The bytes of a file in the bag, or undefined when it is not there. */
  const bytesOf = async (rel: string) => (inBag.has(rel) ? files.bytes(at(rel)) : undefined);

  // 2. bagit.txt
  const bagit = await bytesOf('bagit.txt');
  if (!bagit) problems.push({ file: at('bagit.txt'), message: 'missing' });
  else if (!bytesEqual(bagit, new TextEncoder().encode(BAGIT_TXT))) {
    problems.push({ file: at('bagit.txt'), message: 'must be exactly "BagIt-Version: 1.0" and "Tag-File-Character-Encoding: UTF-8" lines' });
  }

  // 3. Payload manifest.
  const payloadPaths = [...inBag.keys()].filter((p) => p.startsWith('data/'));
  const manifestBytes = await bytesOf('manifest-sha512.txt');
  if (!manifestBytes) problems.push({ file: at('manifest-sha512.txt'), message: 'missing: no payload checksums' });
  else {
    const text = decodeText(manifestBytes);
    if (text === null) problems.push({ file: at('manifest-sha512.txt'), message: 'not UTF-8 text (or has a byte-order mark)' });
    else {
      const listed = new Set<string>();
      for (const entry of parseManifest(text, 128, at('manifest-sha512.txt'), problems)) {
        const unsafe = relativePathProblem(entry.path);
        if (unsafe || !entry.path.startsWith('data/')) {
          problems.push({ file: at('manifest-sha512.txt'), message: `${entry.path}: listed path is outside data/ (${unsafe ?? 'not under data/'})` });
          continue;
        }
        listed.add(entry.path);
        if (!inBag.has(entry.path)) problems.push({ file: at(entry.path), message: 'listed in manifest-sha512.txt but missing from the bag' });
        else if ((await files.sha512(at(entry.path))) !== entry.hash) problems.push({ file: at(entry.path), message: 'SHA-512 does not match manifest-sha512.txt (file changed)' });
      }
      for (const p of payloadPaths) {
        if (!listed.has(p)) problems.push({ file: at(p), message: 'payload file not listed in manifest-sha512.txt (added after signing?)' });
      }
    }
  }

  // 4. bag-info.txt and Payload-Oxum.
  const bagInfo = await bytesOf('bag-info.txt');
  if (!bagInfo) problems.push({ file: at('bag-info.txt'), message: 'missing' });
  else {
    const text = decodeText(bagInfo);
    if (text === null) problems.push({ file: at('bag-info.txt'), message: 'not UTF-8 text (or has a byte-order mark)' });
    else {
      const oxums = parseBagInfo(text, at('bag-info.txt'), problems).filter(([l]) => l.toLowerCase() === 'payload-oxum');
      const octets = payloadPaths.reduce((n, p) => n + files.size(at(p)), 0);
      const actual = `${octets}.${payloadPaths.length}`;
      if (oxums.length === 0) problems.push({ file: at('bag-info.txt'), message: 'Payload-Oxum is missing' });
      else if (oxums.length > 1) problems.push({ file: at('bag-info.txt'), message: 'Payload-Oxum appears more than once' });
      else if (!/^\d+\.\d+$/.test(oxums[0]![1])) problems.push({ file: at('bag-info.txt'), message: `Payload-Oxum ${JSON.stringify(oxums[0]![1])} is not octets.streams` });
      else if (oxums[0]![1] !== actual) problems.push({ file: at('bag-info.txt'), message: `Payload-Oxum says ${oxums[0]![1]} but data/ holds ${actual} (octets.files)` });
    }
  }

  // 5. Tag manifest.
  const tagManifest = await bytesOf('tagmanifest-sha512.txt');
  if (!tagManifest) problems.push({ file: at('tagmanifest-sha512.txt'), message: 'missing: tag files are not covered by the signature' });
  else {
    const text = decodeText(tagManifest);
    if (text === null) problems.push({ file: at('tagmanifest-sha512.txt'), message: 'not UTF-8 text (or has a byte-order mark)' });
    else {
      const entries = parseManifest(text, 128, at('tagmanifest-sha512.txt'), problems);
      const byPath = new Map(entries.map((e) => [e.path, e.hash]));
      for (const e of entries) {
        if (!(TAG_FILES as readonly string[]).includes(e.path)) {
          problems.push({ file: at('tagmanifest-sha512.txt'), message: `lists ${e.path}, which is not one of ${TAG_FILES.join(', ')}` });
        }
      }
      for (const name of TAG_FILES) {
        const want = byPath.get(name);
        if (want === undefined) problems.push({ file: at('tagmanifest-sha512.txt'), message: `does not list ${name}` });
        else if (inBag.has(name) && (await files.sha512(at(name))) !== want) problems.push({ file: at(name), message: 'SHA-512 does not match tagmanifest-sha512.txt (file changed)' });
      }
    }
  }

  // 6. Nothing else beside data/ and the known tag files.
  for (const p of inBag.keys()) {
    if (p.startsWith('data/') || KNOWN_ROOT_FILES.has(p)) continue;
    problems.push({ file: at(p), message: 'unexpected file: not part of a Threadkeeper bag and not covered by the signature' });
  }

  // 7. Signature.
  let keyThumbprint: string | null = null;
  const sigBytes = await bytesOf('signature.jws');
  if (!sigBytes) problems.push({ file: at('signature.jws'), message: 'missing: the bag is unsigned' });
  else if (tagManifest) {
    let jws = decodeText(sigBytes);
    // Tolerate one trailing LF (editors add it); anything else fails base64url decoding.
    if (jws !== null && jws.endsWith('\n')) jws = jws.slice(0, -1);
    if (jws === null) problems.push({ file: at('signature.jws'), message: 'not UTF-8 text' });
    else {
      const result = await verifyDetached(jws, tagManifest);
      keyThumbprint = result.thumbprint;
      if (!result.ok) {
        // A failed ECDSA check cannot say which side changed: name both files.
        const message = result.error?.startsWith('signature does not match')
          ? 'signature does not match tagmanifest-sha512.txt: one of the two files was changed after signing (or the signature was not made by the embedded key)'
          : (result.error ?? 'signature invalid');
        problems.push({ file: at('signature.jws'), message });
      }
      const pinned = opts?.pinnedKey;
      if (pinned !== undefined && (result.kid ?? result.thumbprint) !== pinned) {
        problems.push({ file: at('signature.jws'), message: `signed by key ${result.thumbprint ?? result.kid ?? '(unknown)'}, not the expected key ${pinned}` });
      }
    }
  }

  // 8. Threads.
  const summary = { threads: 0, messages: 0, attachments: 0, pages: 0 };
  for (const p of payloadPaths) {
    const m = /^data\/threads\/([^/]+)\/thread\.json$/.exec(p);
    if (!m) continue;
    summary.threads++;
    const folder = `data/threads/${m[1]!}/`;
    // Scanned, not parsed whole: a thread of years is hundreds of megabytes (thread-scan.ts).
    let thread: ThreadScan;
    try {
      thread = scanThreadJson(await files.bytes(at(p)));
    } catch (err) {
      if (!(err instanceof JsonScanError)) throw err;
      problems.push({ file: at(p), message: err.message.startsWith('nested') ? `thread.json is not a record: ${err.message}` : 'thread.json is not valid JSON' });
      continue;
    }
    if (thread.messages === null) problems.push({ file: at(p), message: 'thread.json has no "messages" array' });
    else summary.messages += thread.messages;
    if (thread.attachments === null) {
      problems.push({ file: at(p), message: 'thread.json has no "attachments" array' });
      continue;
    }
    for (const [i, a] of thread.attachments.entries()) {
      const entry = typeof a === 'object' && a !== null ? (a as { path?: unknown; sha256?: unknown; size?: unknown }) : {};
      const path = entry.path;
      if (path === null) continue;
      if (typeof path !== 'string') {
        problems.push({ file: at(p), message: `attachments[${i}].path must be a string or null` });
        continue;
      }
      const unsafe = relativePathProblem(path);
      if (unsafe) {
        problems.push({ file: at(p), message: `attachments[${i}].path ${JSON.stringify(path)} is not inside the thread folder (${unsafe})` });
        continue;
      }
      summary.attachments++;
      if (!inBag.has(folder + path)) {
        problems.push({ file: at(folder + path), message: `attachment listed in ${p} is missing from the bag` });
        continue;
      }
      // The record's own claims about the file (a signer could write a record that names one
      // file and describes another): size and SHA-256, when given, must be the file's.
      const size = files.size(at(folder + path));
      if (typeof entry.size === 'number' && entry.size !== size) {
        problems.push({ file: at(folder + path), message: `${size} bytes, but ${p} says attachments[${i}] has ${entry.size}` });
      }
      if (typeof entry.sha256 === 'string' && entry.sha256 !== (await files.sha256(at(folder + path)))) {
        problems.push({ file: at(folder + path), message: `its SHA-256 is not the one ${p} gives for attachments[${i}]` });
      }
    }
  }

  // 8b. Pages kept by "Preserve page": the snapshot and screenshot they name must be there.
  for (const p of payloadPaths) {
    const m = /^data\/pages\/([^/]+)\/page\.json$/.exec(p);
    if (!m) continue;
    summary.pages++;
    const folder = `data/pages/${m[1]!}/`;
    type PageJson = { snapshot?: { path?: unknown }; screenshot?: { path?: unknown } } | null;
    let page: PageJson;
    try {
      page = JSON.parse(decodeText(await files.bytes(at(p))) ?? '') as PageJson;
    } catch {
      problems.push({ file: at(p), message: 'page.json is not valid JSON' });
      continue;
    }
    for (const part of [page?.snapshot?.path, page?.screenshot?.path]) {
      if (typeof part !== 'string' || relativePathProblem(part)) problems.push({ file: at(p), message: 'names a snapshot or screenshot outside its folder' });
      else if (!inBag.has(folder + part)) problems.push({ file: at(folder + part), message: `listed in ${p} but missing from the bag` });
    }
  }

  // 9. The audit log the bundle carries: every link of its hash chain must hold.
  const auditPath = 'data/audit-log.jsonl';
  const auditBytes = await bytesOf(auditPath);
  if (auditBytes) {
    // Decoded a line at a time (a byte 0x0A is always a line break in UTF-8): one string of the
    // whole log would stop at V8's limit on a string's length, about 512 MiB.
    const entries: unknown[] = [];
    const lineProblems: string[] = [];
    let utf8Text = !(auditBytes[0] === 0xef && auditBytes[1] === 0xbb && auditBytes[2] === 0xbf); // no byte order mark
    for (let start = 0, line = 1; utf8Text && start <= auditBytes.length; line++) {
      let end = auditBytes.indexOf(0x0a, start);
      if (end < 0) end = auditBytes.length;
      let text: string;
      try {
        text = utf8.decode(auditBytes.subarray(start, end));
      } catch {
        utf8Text = false;
        break;
      }
      start = end + 1;
      if (text === '') continue;
      try {
        entries.push(JSON.parse(text) as unknown);
      } catch {
        lineProblems.push(`line ${line} is not JSON`);
      }
    }
    if (!utf8Text) problems.push({ file: at(auditPath), message: 'not UTF-8 text' });
    else if (lineProblems.length > 0) for (const message of lineProblems) problems.push({ file: at(auditPath), message });
    else for (const message of checkChain(entries)) problems.push({ file: at(auditPath), message: `audit log chain broken: ${message}` });
  }

  return report(bagName, keyThumbprint, summary);
}
