/**
 * threadkeeper-intake: the reference server that receives bundles from the extension, checks
 * each with the same verifier as threadkeeper-verify (cli/zip-reader.ts + src/bundle/bag-verify.ts),
 * stores the good ones and answers with a receipt. The extension counts messages as forwarded
 * only once it holds that receipt.
 *
 * The wire contract, storage layout and receipts are documented in docs/intake.md; keep the two
 * in step. Node only (node:http, node:https, node:fs).
 *
 * Deliberately small attack surface (the 2025 TeleMessage archive was emptied through a debug
 * heap-dump endpoint): four routes, no debug or admin endpoint, bearer tokens compared in constant
 * time, bodies capped as they are written to disk, responses are ASCII-only JSON that never carry a
 * stack trace, and names taken from an uploaded archive are escaped like the CLI escapes them.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { openZipFile, ZipError } from '../cli/zip-reader';
import { scanBagFiles } from '../cli/zip-bag';
import { verifyBag, type BagFiles, type VerifyProblem, type VerifyReport } from '../src/bundle/bag-verify';
import { version } from '../package.json';
import { BUNDLE_LIMITS } from '../src/shared/bundle-limits';

export const SERVER_NAME = `threadkeeper-intake/${version}`;

/**
 * TEST ONLY: make the server misbehave so client retry logic can be tested. Read live on every
 * upload (the handle's `faults` is this same object), so a test may change it between requests.
 * Not reachable from the command line.
 */
export interface IntakeFaults {
  /** Answer 500 to the next N uploads (after reading the body, before verifying; nothing is stored). */
  failNext?: number;
  /** Wait this long before answering each upload, after it has been processed (and stored). */
  delayMs?: number;
  /** Answer an accepted upload with 201 and a body that is not JSON (the bundle IS stored). */
  garbageBody?: boolean;
}

export interface IntakeOptions {
  /** Default 8443; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Anything but a loopback address requires `tls`. */
  host?: string;
  storeDir: string;
  /** Accepted bearer tokens; at least one. */
  tokens: string[];
  /** PEM text (not file names). */
  tls?: { cert: string; key: string };
  /** Largest upload in bytes; larger bodies get 413. Default 64 GiB, the largest bundle the extension writes (BUNDLE_LIMITS). */
  maxBytes?: number;
  /** When set, only bundles signed by one of these RFC 7638 thumbprints are accepted. */
  pinnedKeys?: string[];
  /** Largest declared unpacked size of one bundle (zip-bomb guard). Default 64 GiB, as the extension writes at most. */
  maxUnpackedBytes?: number;
  /**
   * Largest declared size of one file in a bundle. A compressed file (thread.json, the transcript)
   * is inflated whole in memory to be verified, so this bounds an upload's memory. Default 1 GiB.
   */
  maxEntryBytes?: number;
  /** Uploads received and verified at once; more get 503 with Retry-After. Default 2. */
  maxConcurrentUploads?: number;
  /** One line per request (never tokens or bodies). Default: silent. */
  log?: (line: string) => void;
  /** TEST ONLY, see IntakeFaults. */
  faults?: IntakeFaults;
}

export interface IntakeServer {
  /** e.g. http://127.0.0.1:8443 (no trailing slash). */
  url: string;
  port: number;
  /** Stops accepting, lets running uploads finish, then closes every connection. */
  close(): Promise<void>;
  /** TEST ONLY: the live fault settings (the object passed as `faults`, or an empty one). */
  faults: IntakeFaults;
}

/** What the server stores as <sha256>.receipt.json and answers with (docs/intake.md, "Receipts"). */
export interface IntakeReceipt {
  accepted: true;
  receiptId: string;
  bundleSha256: string;
  bagName: string;
  externalIdentifier: string | null;
  keyThumbprint: string;
  threads: number;
  messages: number;
  attachments: number;
  bytes: number;
  receivedAt: string;
  storedAs: string;
  server: string;
  /** Only in answers to a repeated upload, never stored. */
  duplicate?: true;
}

/** As large as the extension writes; an operator lowers them to bound the disk. */
const DEFAULT_MAX_BYTES = BUNDLE_LIMITS.totalBytes;
const DEFAULT_MAX_UNPACKED = BUNDLE_LIMITS.totalBytes;
const DEFAULT_MAX_ENTRY = 1024 ** 3;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;
const RECEIPT_PATH = /^\/v1\/bundles\/([0-9a-f]{64})\/receipt$/;
const TEMP_PREFIX = '.tmp-';

type Route = { kind: 'upload' } | { kind: 'receipt'; sha: string } | { kind: 'health' };
const ALLOWED: Record<Route['kind'], string[]> = { upload: ['POST'], receipt: ['GET', 'HEAD'], health: ['GET', 'HEAD'] };

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Raw body instead of JSON (only the garbageBody fault). */
  raw?: string;
  /** For the log line. */
  note?: string;
}

/** An upload written to a temporary file in the store. */
interface Received {
  path: string;
  length: number;
  sha256: string;
}

class Refusal extends Error {
  constructor(readonly answer: Answer) {
    super(String((answer.body as { error?: string }).error ?? answer.status));
  }
}

const fail = (status: number, error: string, headers?: Record<string, string>): Refusal => new Refusal({ status, body: { error }, headers });

/**
 * JSON with every character outside printable ASCII, and < > &, written as \uXXXX: the bytes on
 * the wire cannot be sniffed as HTML or rewrite a terminal, and JSON.parse gives back the text.
 */
export function asciiJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[^\x20-\x7e\n]|[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Same escaping as the CLI's report lines: control and bidi-override characters become visible `\uXXXX` text. */
function visible(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function routeOf(pathname: string): Route | null {
  if (pathname === '/v1/bundles') return { kind: 'upload' };
  if (pathname === '/healthz') return { kind: 'health' };
  const m = RECEIPT_PATH.exec(pathname);
  return m ? { kind: 'receipt', sha: m[1]! } : null;
}

/**
 * The first External-Identifier in a bag-info.txt the verifier already accepted, continuation
 * lines folded with a space as bag-verify.ts folds them; null when there is none.
 */
function externalIdentifier(bagInfo: Uint8Array | undefined): string | null {
  if (!bagInfo) return null;
  const tags: [string, string][] = [];
  for (const line of new TextDecoder().decode(bagInfo).split(/\r\n|\r|\n/)) {
    const last = tags[tags.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last[1] += ` ${line.trim()}`;
      continue;
    }
    const m = /^([^:\s][^:]*?)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (m) tags.push([m[1]!.toLowerCase(), m[2]!.trim()]);
  }
  return tags.find(([label]) => label === 'external-identifier')?.[1] ?? null;
}

async function writeDurably(dir: string, name: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
  try {
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** Makes the renames themselves durable (POSIX: fsync the directory). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function startIntake(opts: IntakeOptions): Promise<IntakeServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxUnpacked = opts.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED;
  const maxEntry = opts.maxEntryBytes ?? DEFAULT_MAX_ENTRY;
  const maxConcurrent = opts.maxConcurrentUploads ?? 2;
  const log = opts.log ?? (() => undefined);
  const faults: IntakeFaults = opts.faults ?? {};

  if (!Array.isArray(opts.tokens) || opts.tokens.length === 0) throw new Error('at least one token is required: an intake without one would accept bundles from anyone');
  for (const t of opts.tokens) {
    if (typeof t !== 'string' || !/^[\x21-\x7e]+$/.test(t)) throw new Error('tokens must be non-empty printable ASCII without spaces');
  }
  for (const k of opts.pinnedKeys ?? []) {
    if (!THUMBPRINT.test(k)) throw new Error(`pinned key ${JSON.stringify(k)} is not a key thumbprint (43 base64url characters)`);
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new Error('maxBytes must be a positive integer');
  if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) throw new Error('maxConcurrentUploads must be a positive integer');
  if (!opts.tls && !isLoopback(host)) {
    throw new Error(`refusing to listen on ${host} without TLS: tokens and records would cross the network in clear text (give tls, or listen on 127.0.0.1 behind a TLS proxy)`);
  }

  const storeDir = resolve(opts.storeDir);
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  // Leftovers of uploads interrupted by a crash: never referenced, safe to drop.
  for (const name of await readdir(storeDir)) if (name.startsWith(TEMP_PREFIX)) await unlink(join(storeDir, name)).catch(() => undefined);

  // Tokens are compared as SHA-256 digests: equal lengths for timingSafeEqual, and every
  // configured token is compared on every request, so timing tells nothing about which or how much matched.
  const tokenDigests = opts.tokens.map((t) => createHash('sha256').update(t).digest());
  const pinned = opts.pinnedKeys && opts.pinnedKeys.length > 0 ? new Set(opts.pinnedKeys) : null;

  function authorized(req: IncomingMessage): boolean {
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(req.headers.authorization ?? '');
    const given = createHash('sha256').update(m ? m[1]! : '').digest();
    let ok = false;
    for (const d of tokenDigests) ok = timingSafeEqual(given, d) || ok;
    return ok && m !== null;
  }

  let uploadsRunning = 0;
  /** Uploads being verified or stored, by bundle hash: a second upload of the same bytes waits for the first. */
  const inFlight = new Map<string, Promise<unknown>>();
  const running = new Set<Promise<unknown>>();

  const receiptName = (sha: string) => `${sha}.receipt.json`;

  async function storedReceipt(sha: string): Promise<IntakeReceipt | null> {
    let text: string;
    try {
      text = await readFile(join(storeDir, receiptName(sha)), 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return null;
      throw err;
    }
    return JSON.parse(text) as IntakeReceipt;
  }

  /**
   * Writes the body to a temporary file in the store, hashing as it goes, and makes it durable;
   * refuses (413) as soon as it passes maxBytes. Memory stays a few chunks whatever the size.
   * On any failure the file is removed.
   */
  async function receiveBody(req: IncomingMessage): Promise<Received> {
    const hash = createHash('sha256');
    const path = join(storeDir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    let fh: FileHandle | null = null;
    let length = 0;
    try {
      fh = await open(path, 'wx', 0o600);
      const file = fh;
      /** A write that failed (a full disk): a storage error, not the client's. */
      let writeError: unknown = null;
      try {
        for await (const chunk of req as AsyncIterable<Buffer>) {
          length += chunk.length;
          if (length > maxBytes) throw fail(413, `the bundle is larger than this server accepts (${maxBytes} bytes)`);
          hash.update(chunk);
          await file.write(chunk).catch((err: unknown) => {
            writeError = err;
            throw err;
          });
        }
      } catch (err) {
        if (err instanceof Refusal || err === writeError) throw err;
        // The client went away mid-upload; there is nobody left to answer.
        throw new Refusal({ status: 400, body: { error: 'the upload was interrupted' }, note: 'interrupted' });
      }
      await fh.sync();
      await fh.close();
      fh = null;
      return { path, length, sha256: hash.digest('hex') };
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      if (err instanceof Refusal) throw err;
      log(`storage error: ${(err as { code?: string }).code ?? (err as Error).message}`);
      throw fail(500, 'the bundle could not be stored; try again later');
    }
  }

  async function handleUpload(req: IncomingMessage): Promise<Answer> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/zip') throw fail(415, 'send the bundle as Content-Type: application/zip');
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') throw fail(415, 'send the ZIP as it is, without Content-Encoding');

    const claimed = (req.headers['x-threadkeeper-bundle-sha256'] ?? '').toString().trim().toLowerCase();
    if (!SHA256_HEX.test(claimed)) throw fail(400, 'X-Threadkeeper-Bundle-SHA256 must be the SHA-256 of the body in 64 hex digits');
    const key = (req.headers['x-threadkeeper-key'] ?? '').toString().trim();
    if (!THUMBPRINT.test(key)) throw fail(400, 'X-Threadkeeper-Key must be the RFC 7638 thumbprint of the signing key (43 base64url characters)');
    const idempotency = req.headers['idempotency-key'];
    // The IETF draft makes it a structured-field string ("..."); a bare value is accepted too.
    if (idempotency !== undefined && String(idempotency).trim().replace(/^"(.*)"$/, '$1').toLowerCase() !== claimed) {
      throw fail(400, 'Idempotency-Key must be the same SHA-256 as X-Threadkeeper-Bundle-SHA256');
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) throw fail(413, `the bundle is larger than this server accepts (${maxBytes} bytes)`);

    if (uploadsRunning >= maxConcurrent) throw fail(503, 'the server is busy with other uploads; try again shortly', { 'retry-after': '5' });
    uploadsRunning++;
    let body: Received | null = null;
    try {
      body = await receiveBody(req);
      if (faults.failNext !== undefined && faults.failNext > 0) {
        faults.failNext--;
        return { status: 500, body: { error: 'simulated failure (test fault)' }, note: 'fault' };
      }
      if (body.sha256 !== claimed) {
        throw fail(400, `the bundle changed in transit: its SHA-256 is ${body.sha256}, not ${claimed} as X-Threadkeeper-Bundle-SHA256 says`);
      }
      // One upload per bundle hash at a time; later ones then find the receipt.
      for (let prior = inFlight.get(claimed); prior; prior = inFlight.get(claimed)) await prior.catch(() => undefined);
      const work = accept(body, claimed, key);
      inFlight.set(claimed, work);
      try {
        return await work;
      } finally {
        inFlight.delete(claimed);
      }
    } finally {
      uploadsRunning--;
      // Stored uploads were renamed away; anything else (refused, duplicate, failed) goes.
      if (body) await unlink(body.path).catch(() => undefined);
    }
  }

  async function accept(upload: Received, sha: string, key: string): Promise<Answer> {
    const earlier = await storedReceipt(sha);
    if (earlier) {
      if (earlier.keyThumbprint !== key) {
        return rejected([{ file: `${earlier.bagName}/signature.jws`, message: `signed by key ${earlier.keyThumbprint}, not the expected key ${key}` }]);
      }
      return { status: 200, body: { ...earlier, duplicate: true }, note: `${sha} duplicate` };
    }

    // Verified from the file a piece at a time, as threadkeeper-verify does.
    let files: BagFiles;
    let report: VerifyReport;
    try {
      const zip = openZipFile(upload.path, { maxTotalBytes: maxUnpacked, maxEntryBytes: maxEntry });
      try {
        files = scanBagFiles(zip.archive);
        report = await verifyBag(files, { pinnedKey: key });
      } finally {
        zip.close();
      }
    } catch (err) {
      if (err instanceof ZipError) return rejected([{ file: '', message: err.message }]);
      throw err;
    }
    const problems = [...report.problems];
    if (pinned && report.keyThumbprint !== null && !pinned.has(report.keyThumbprint)) {
      problems.push({ file: `${report.bagName ?? ''}/signature.jws`, message: `signed by key ${report.keyThumbprint}, which is not one of the keys this server accepts` });
    }
    if (problems.length > 0 || !report.ok || !report.summary || !report.keyThumbprint || !report.bagName) {
      return rejected(problems.length > 0 ? problems : [{ file: '', message: 'verification did not complete' }]);
    }

    const receipt: IntakeReceipt = {
      accepted: true,
      receiptId: randomUUID(),
      bundleSha256: sha,
      bagName: report.bagName,
      externalIdentifier: externalIdentifier(await files.bytes(`${report.bagName}/bag-info.txt`)),
      keyThumbprint: report.keyThumbprint,
      threads: report.summary.threads,
      messages: report.summary.messages,
      attachments: report.summary.attachments,
      bytes: upload.length,
      receivedAt: new Date().toISOString(),
      storedAs: `${sha}.zip`,
      server: SERVER_NAME,
    };
    // The receipt is the commit mark: the ZIP is durable before the receipt exists, so a crash
    // in between leaves a ZIP without receipt, and the client's retry completes it.
    try {
      // The upload was made durable as it arrived: renaming it is storing it.
      await rename(upload.path, join(storeDir, receipt.storedAs));
      await syncDir(storeDir);
      await writeDurably(storeDir, receiptName(sha), `${asciiJson(receipt, 2)}\n`);
      await syncDir(storeDir);
    } catch (err) {
      log(`storage error: ${(err as { code?: string }).code ?? (err as Error).message}`);
      throw fail(500, 'the bundle could not be stored; try again later');
    }
    if (faults.garbageBody) return { status: 201, body: null, raw: '<html><body>Stored</body></html\n\u0000', note: `${sha} accepted (garbage fault)` };
    return { status: 201, body: receipt, headers: { location: `/v1/bundles/${sha}/receipt` }, note: `${sha} accepted` };
  }

  function rejected(problems: VerifyProblem[]): Answer {
    const reasons = problems.map((p) => ({ file: visible(p.file), message: visible(p.message) }));
    return { status: 422, body: { accepted: false, reasons }, note: `rejected (${reasons.length} problem${reasons.length === 1 ? '' : 's'})` };
  }

  async function answerFor(req: IncomingMessage): Promise<Answer> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://intake.invalid').pathname;
    } catch {
      throw fail(400, 'malformed request target');
    }
    const route = routeOf(pathname);
    if (!route) throw fail(404, 'not found');
    const method = req.method ?? '';
    if (!ALLOWED[route.kind].includes(method)) throw fail(405, 'method not allowed here', { allow: ALLOWED[route.kind].join(', ') });
    if (route.kind === 'health') return { status: 200, body: { ok: true } };
    if (!authorized(req)) throw fail(401, 'missing or wrong token', { 'www-authenticate': 'Bearer realm="threadkeeper-intake"' });
    if (route.kind === 'receipt') {
      const receipt = await storedReceipt(route.sha);
      if (!receipt) throw fail(404, 'no bundle with this SHA-256 has been accepted');
      return { status: 200, body: receipt };
    }
    const answer = await handleUpload(req).catch((err: unknown) => {
      if (err instanceof Refusal) return err.answer;
      throw err;
    });
    if (faults.delayMs) await new Promise((r) => setTimeout(r, faults.delayMs));
    return answer;
  }

  function send(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
    const text = answer.raw ?? asciiJson(answer.body);
    const complete = req.complete;
    res.writeHead(answer.status, {
      'content-type': answer.raw !== undefined ? 'text/html' : 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      // Answering before the body was read (401, 413, ...): close rather than read the rest.
      ...(complete ? {} : { connection: 'close' }),
      ...answer.headers,
    });
    res.end(text);
    if (!complete) req.resume();
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const work = answerFor(req)
      .catch((err: unknown): Answer => {
        if (err instanceof Refusal) return err.answer;
        // The details go to the operator's log, never to the client.
        log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        return { status: 500, body: { error: 'internal error' } };
      })
      .then((answer) => {
        const sent = !res.headersSent && !res.destroyed;
        if (sent) send(req, res, answer);
        const line = `${new Date().toISOString()} ${visible(req.method ?? '?')} ${visible((req.url ?? '').slice(0, 200))} ${answer.status} ${answer.note ?? ''}`;
        log(`${line} ${Date.now() - started}ms${sent ? '' : ' (client gone, not sent)'}`.replace(/ +/g, ' '));
      })
      .catch(() => undefined);
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, handler) : createHttpServer(handler);
  // Large uploads on slow links: 30 minutes for one request; headers must still come within 60 s.
  server.requestTimeout = 30 * 60_000;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8443, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    faults,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.allSettled([...running]);
      server.closeAllConnections();
      await closed;
    },
  };
}
