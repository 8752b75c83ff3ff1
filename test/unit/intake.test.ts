/**
 * The records-intake server (intake/server.ts), started for real on 127.0.0.1 port 0 and spoken
 * to over real HTTP(S) with fetch and node:https, with bundles written by writeBundle and a real,
 * non-extractable WebCrypto P-256 key. The built CLI (dist-cli/threadkeeper-intake.mjs) gets a
 * smoke test at the end. The contract under test: docs/intake.md.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { deflateRawSync, constants as zc } from 'node:zlib';
import { writeBundle, type BagInfo, type BundleSigner } from '../../src/bundle/bag-writer';
import { startIntake, type IntakeOptions, type IntakeServer } from '../../intake/server';
import { buildZip, unzipAll, zipFiles } from '../helpers/zip';
import { webCryptoSigner } from '../helpers/signer';
import { makeCertificate } from '../../scripts/lib/fixture-server';
import { version } from '../../package.json';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist-cli/threadkeeper-intake.mjs');
const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';
const enc = new TextEncoder();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Newest modification time of what the intake CLI is built from. */
function newestSource(): number {
  let newest = Math.max(statSync(join(ROOT, 'intake/vite.config.ts')).mtimeMs, statSync(join(ROOT, 'scripts/lib/node-cli-build.ts')).mtimeMs);
  for (const dir of ['intake', 'cli', 'src/bundle', 'src/shared']) {
    for (const f of readdirSync(join(ROOT, dir))) if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(ROOT, dir, f)).mtimeMs);
  }
  return newest;
}

function thread(messages: ('message' | 'event')[], attachments: (string | null)[]): Uint8Array {
  return enc.encode(JSON.stringify({ messages: messages.map((type, i) => ({ type, messageId: `m${i}` })), attachments: attachments.map((path) => ({ path })) }));
}




interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

interface UploadOptions {
  token?: string | null;
  sha?: string | null;
  key?: string | null;
  idempotencyKey?: string | null;
  contentType?: string;
  signal?: AbortSignal;
}

let signer: BundleSigner;
let thumbprint: string;
let otherThumbprint: string;
let counter = 0;

/** A fresh, valid bundle: 2 threads, 3 messages (events not counted), 1 attachment with bytes. */
async function makeBundle(name = `tk-intake-${++counter}`) {
  const info: BagInfo = { externalIdentifier: `urn:threadkeeper:bundle:${name}`, baggingDate: '2026-09-30', softwareAgent: 'Threadkeeper test', sourceOrganization: 'Example Agency' };
  return writeBundle({
    bagName: name,
    info,
    signer,
    payload: [
      { path: 'threads/whatsapp-aaaa/thread.json', bytes: thread(['message', 'event', 'message'], ['attachments/a.jpg', null]) },
      { path: 'threads/whatsapp-aaaa/attachments/a.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x51, 0x52, 0x53, 0x54, 0x55, 0xff, 0xd9]) },
      { path: 'threads/whatsapp-bbbb/thread.json', bytes: thread(['message'], []) },
    ],
  });
}

async function upload(base: string, zip: Uint8Array, o: UploadOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/zip' };
  const sha = o.sha === undefined ? sha256(zip) : o.sha;
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
  if (sha !== null) headers['x-threadkeeper-bundle-sha256'] = sha;
  const key = o.key === undefined ? thumbprint : o.key;
  if (key !== null) headers['x-threadkeeper-key'] = key;
  const idem = o.idempotencyKey === undefined ? sha : o.idempotencyKey;
  if (idem !== null) headers['idempotency-key'] = idem;
  const r = await fetch(`${base}/v1/bundles`, { method: 'POST', headers, body: zip as BodyInit, signal: o.signal });
  return reply(r);
}

async function get(base: string, path: string, init: RequestInit = {}): Promise<Reply> {
  return reply(await fetch(`${base}${path}`, init));
}

async function reply(r: Response): Promise<Reply> {
  const text = await r.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // left undefined: tests that expect JSON check it
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** Every error answer is JSON `{ error }` in plain words, ASCII only, with no stack trace. */
function expectCleanError(r: Reply, status: number, error: RegExp): void {
  expect(r.status, r.text).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(Object.keys(r.json as object)).toEqual(['error']);
  expect(r.json.error).toMatch(error);
  expectSafeText(r.text);
}

function expectSafeText(text: string): void {
  expect(text).toMatch(/^[\x20-\x7e\n]*$/);
  expect(text).not.toMatch(/[<>&]/);
  expect(text).not.toMatch(/\bat .+:\d+:\d+|\.ts\b|node:internal|Error:/);
}

const stores: string[] = [];
const servers: IntakeServer[] = [];

function newStore(): string {
  const d = mkdtempSync(join(tmpdir(), 'tk-intake-'));
  stores.push(d);
  return d;
}

/** Sorted listing of the store, temp files included (none should survive a request). */
const listing = (dir: string) => readdirSync(dir).sort();

async function intake(opts: Partial<IntakeOptions> = {}): Promise<IntakeServer & { store: string }> {
  const store = opts.storeDir ?? newStore();
  const s = await startIntake({ port: 0, tokens: [TOKEN], ...opts, storeDir: store });
  servers.push(s);
  return Object.assign(s, { store });
}

beforeAll(async () => {
  const key = await webCryptoSigner();
  expect(key.privateKey.extractable).toBe(false);
  signer = key;
  const jwk = key.publicJwk;
  // Computed here, independently of the server and the verifier.
  thumbprint = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
  otherThumbprint = createHash('sha256').update('another key').digest('base64url');
}, 60_000);

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => {
  for (const d of stores) rmSync(d, { recursive: true, force: true });
});

describe('intake server: accepting bundles', () => {
  it('accepts a valid bundle, stores it durably under its SHA-256 and answers 201 with a correct receipt', async () => {
    const s = await intake();
    const b = await makeBundle('tk-accept');
    const before = Date.now();
    const r = await upload(s.url, b.zip);
    expect(r.status, r.text).toBe(201);
    const sha = sha256(b.zip);
    expect(r.json).toEqual({
      accepted: true,
      receiptId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      bundleSha256: sha,
      bagName: 'tk-accept',
      externalIdentifier: 'urn:threadkeeper:bundle:tk-accept',
      keyThumbprint: thumbprint,
      threads: 2,
      messages: 3,
      attachments: 1,
      bytes: b.zip.length,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      storedAs: `${sha}.zip`,
      server: `threadkeeper-intake/${version}`,
    });
    const at = Date.parse(r.json.receivedAt);
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(Date.now() + 5);
    expect(r.headers.get('location')).toBe(`/v1/bundles/${sha}/receipt`);

    // Stored: exactly the ZIP and its receipt, no temp files, and the ZIP is the uploaded bytes.
    expect(listing(s.store)).toEqual([`${sha}.receipt.json`, `${sha}.zip`]);
    expect(sha256(readFileSync(join(s.store, `${sha}.zip`)))).toBe(sha);
    expect(JSON.parse(readFileSync(join(s.store, `${sha}.receipt.json`), 'utf8'))).toEqual(r.json);

    // And the receipt can be fetched again.
    const again = await get(s.url, `/v1/bundles/${sha}/receipt`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(r.json);
  });

  it('writes an upload to a file in the store as it arrives, and stores that file: the body is never held whole', async () => {
    const s = await intake();
    const b = await makeBundle();
    const half = Math.floor(b.zip.length / 2);
    const { port } = new URL(s.url);
    const answer = new Promise<{ status: number; body: string }>((resolvePromise, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/bundles', method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/zip', 'content-length': b.zip.length, 'x-threadkeeper-bundle-sha256': b.sha256, 'x-threadkeeper-key': thumbprint } });
      req.on('error', reject);
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
      });
      req.write(Buffer.from(b.zip.subarray(0, half)));
      // The first half is on disk before the second is sent.
      const t0 = Date.now();
      const poll = () => {
        const temp = listing(s.store).filter((n) => n.startsWith('.tmp-'));
        if (temp.length === 1 && statSync(join(s.store, temp[0]!)).size === half) {
          req.end(Buffer.from(b.zip.subarray(half)));
        } else if (Date.now() - t0 > 5_000) {
          req.destroy();
          reject(new Error(`no temporary file of ${half} bytes in the store: ${listing(s.store).join(', ')}`));
        } else setTimeout(poll, 10);
      };
      poll();
    });
    const r = await answer;
    expect(r.status, r.body).toBe(201);
    expect(listing(s.store)).toEqual([`${b.sha256}.receipt.json`, `${b.sha256}.zip`]);
    expect(sha256(readFileSync(join(s.store, `${b.sha256}.zip`)))).toBe(b.sha256);
  });

  it('answers 500 when the upload cannot be written to the store, says so in its log, and goes on once it can', async () => {
    const lines: string[] = [];
    const s = await intake({ log: (l) => lines.push(l) });
    const b = await makeBundle();
    // The store replaced by a plain file (root ignores permissions, so a read-only folder would not do).
    rmSync(s.store, { recursive: true, force: true });
    writeFileSync(s.store, 'not a folder');
    expectCleanError(await upload(s.url, b.zip), 500, /^the bundle could not be stored; try again later$/);
    expect(lines.join('\n')).toMatch(/storage error: ENOTDIR/);
    rmSync(s.store);
    mkdirSync(s.store);
    expect((await upload(s.url, b.zip)).status).toBe(201);
    expect(listing(s.store)).toEqual([`${b.sha256}.receipt.json`, `${b.sha256}.zip`]);
  });

  it('answers a repeated upload with 200 and the same stored receipt, marked duplicate, and stores nothing again', async () => {
    const s = await intake();
    const b = await makeBundle();
    const first = await upload(s.url, b.zip);
    expect(first.status).toBe(201);
    const zipPath = join(s.store, `${b.sha256}.zip`);
    const stat1 = statSync(zipPath);
    const files = listing(s.store);

    for (let i = 0; i < 2; i++) {
      const r = await upload(s.url, b.zip);
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ ...first.json, duplicate: true });
    }
    expect(listing(s.store)).toEqual(files);
    const stat2 = statSync(zipPath);
    expect([stat2.ino, stat2.mtimeMs]).toEqual([stat1.ino, stat1.mtimeMs]);
    // The stored receipt never carries the duplicate mark.
    expect(JSON.parse(readFileSync(join(s.store, `${b.sha256}.receipt.json`), 'utf8')).duplicate).toBeUndefined();
  });

  it('gives concurrent uploads of the same bundle one receipt: one 201, the rest 200 duplicates', async () => {
    const s = await intake({ maxConcurrentUploads: 8 });
    const b = await makeBundle();
    const replies = await Promise.all([0, 1, 2, 3].map(() => upload(s.url, b.zip)));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    expect(new Set(replies.map((r) => r.json.receiptId)).size).toBe(1);
    expect(listing(s.store)).toEqual([`${b.sha256}.receipt.json`, `${b.sha256}.zip`]);
  });

  it('keeps receipts across a restart: the same upload to a new server on the same store is a duplicate', async () => {
    const first = await intake();
    const b = await makeBundle();
    const r1 = await upload(first.url, b.zip);
    expect(r1.status).toBe(201);
    await first.close();
    const second = await intake({ storeDir: first.store });
    const r2 = await upload(second.url, b.zip);
    expect(r2.status).toBe(200);
    expect(r2.json).toEqual({ ...r1.json, duplicate: true });
  });

  it('accepts the Idempotency-Key as a structured-field string ("...") too', async () => {
    const s = await intake();
    const b = await makeBundle();
    const r = await upload(s.url, b.zip, { idempotencyKey: `"${b.sha256}"` });
    expect(r.status, r.text).toBe(201);
  });

  it('accepts a bundle signed by a pinned key, and any of several tokens', async () => {
    const s = await intake({ pinnedKeys: [otherThumbprint, thumbprint], tokens: ['first-token', TOKEN] });
    const r = await upload(s.url, (await makeBundle()).zip);
    expect(r.status, r.text).toBe(201);
    const r2 = await upload(s.url, (await makeBundle()).zip, { token: 'first-token' });
    expect(r2.status, r2.text).toBe(201);
  });
});

describe('intake server: refusing bundles', () => {
  it('refuses a bundle with one changed file (422, reasons name the file) and stores nothing', async () => {
    const s = await intake();
    const b = await makeBundle();
    const files = await unzipAll(b.zip);
    const target = `${b.bagName}/data/threads/whatsapp-aaaa/attachments/a.jpg`;
    const changed = files.get(target)!.slice();
    changed[5]! ^= 0x01;
    const tampered = await zipFiles(new Map(files).set(target, changed));
    const r = await upload(s.url, tampered);
    expect(r.status, r.text).toBe(422);
    expect(r.json).toEqual({ accepted: false, reasons: [{ file: target, message: 'SHA-512 does not match manifest-sha512.txt (file changed)' }] });
    expectSafeText(r.text);
    expect(listing(s.store)).toEqual([]);
    const receipt = await get(s.url, `/v1/bundles/${sha256(tampered)}/receipt`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expectCleanError(receipt, 404, /no bundle with this SHA-256/);
  });

  it('refuses a ZIP with one byte flipped (422: CRC mismatch of the named entry) and stores nothing', async () => {
    const s = await intake();
    const b = await makeBundle();
    // The .jpg is STORED, so its bytes appear verbatim in the ZIP.
    const at = Buffer.from(b.zip).indexOf(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x51]));
    expect(at).toBeGreaterThan(0);
    const flipped = b.zip.slice();
    flipped[at + 4]! ^= 0x01;
    const r = await upload(s.url, flipped);
    expect(r.status, r.text).toBe(422);
    expect(r.json.accepted).toBe(false);
    expect(r.json.reasons).toHaveLength(1);
    expect(r.json.reasons[0].file).toBe('');
    expect(r.json.reasons[0].message).toBe(`entry "${b.bagName}/data/threads/whatsapp-aaaa/attachments/a.jpg": CRC-32 mismatch (data damaged)`);
    expect(listing(s.store)).toEqual([]);
  });

  it('refuses a bundle whose signing key is not the one in X-Threadkeeper-Key (422), also for a repeat of a stored bundle', async () => {
    const s = await intake();
    const b = await makeBundle();
    const r = await upload(s.url, b.zip, { key: otherThumbprint });
    expect(r.status, r.text).toBe(422);
    expect(r.json).toEqual({ accepted: false, reasons: [{ file: `${b.bagName}/signature.jws`, message: `signed by key ${thumbprint}, not the expected key ${otherThumbprint}` }] });
    expect(listing(s.store)).toEqual([]);

    expect((await upload(s.url, b.zip)).status).toBe(201);
    const again = await upload(s.url, b.zip, { key: otherThumbprint });
    expect(again.status, again.text).toBe(422);
    expect(again.json.reasons).toEqual([{ file: `${b.bagName}/signature.jws`, message: `signed by key ${thumbprint}, not the expected key ${otherThumbprint}` }]);
  });

  it('refuses a bundle signed by a key outside pinnedKeys (422) and stores nothing', async () => {
    const s = await intake({ pinnedKeys: [otherThumbprint] });
    const b = await makeBundle();
    const r = await upload(s.url, b.zip);
    expect(r.status, r.text).toBe(422);
    expect(r.json.reasons).toEqual([{ file: `${b.bagName}/signature.jws`, message: `signed by key ${thumbprint}, which is not one of the keys this server accepts` }]);
    expect(listing(s.store)).toEqual([]);
  });

  it('answers a garbage body, an empty body and zip bombs with a clean 422', async () => {
    const s = await intake();
    const garbage = await upload(s.url, enc.encode('this is not a zip file'));
    expect(garbage.status).toBe(422);
    expect(garbage.json).toEqual({ accepted: false, reasons: [{ file: '', message: 'not a ZIP archive (no end of central directory record)' }] });

    const empty = await upload(s.url, new Uint8Array());
    expect(empty.status).toBe(422);
    expect(empty.json.reasons).toEqual([{ file: '', message: 'empty file, not a ZIP archive' }]);

    // 2 GiB of zeros (about 2 MB compressed) declared as 100 bytes: inflating stops at 101.
    const chunk = deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: zc.Z_SYNC_FLUSH });
    const bomb = Buffer.concat([...Array.from({ length: 2048 }, () => chunk), Buffer.from([0x03, 0x00])]);
    const t0 = Date.now();
    const r1 = await upload(s.url, buildZip([{ name: 'b/data/zeros.txt', stored: bomb, crc: 0, uncompressedSize: 100 }]));
    expect(r1.status, r1.text).toBe(422);
    expect(r1.json.reasons[0].message).toBe('entry "b/data/zeros.txt": inflates to more than its declared 100 bytes (zip bomb?)');
    expect(Date.now() - t0).toBeLessThan(10_000);

    // Declared honestly but over the server's limit for one file (1 GiB by default, what it will
    // inflate in memory): refused before inflating.
    const r2 = await upload(s.url, buildZip([{ name: 'b/data/huge.txt', stored: bomb, crc: 0, uncompressedSize: 1536 * 1024 * 1024 }]));
    expect(r2.status).toBe(422);
    expect(r2.json.reasons[0].message).toBe('entry "b/data/huge.txt": declared size 1610612736 bytes exceeds the per-entry limit of 1073741824');

    // Files each under that limit whose declared sizes add up to more than the bundle's (64 GiB by
    // default, the largest bundle the extension writes): the 82nd file of 800 MiB passes it.
    const parts = Array.from({ length: 84 }, (_, i) => ({ name: `b/data/part${i}.txt`, stored: chunk, crc: 0, uncompressedSize: 800 * 1024 * 1024 }));
    const r3 = await upload(s.url, buildZip(parts));
    expect(r3.status).toBe(422);
    expect(r3.json.reasons[0].message).toBe('entry "b/data/part81.txt": declared total size exceeds the limit of 68719476736 bytes');

    for (const r of [garbage, empty, r1, r2, r3]) expectSafeText(r.text);
    expect(listing(s.store)).toEqual([]);
  }, 60_000);

  it('escapes names from the archive: ASCII-only JSON, control and bidi characters made visible', async () => {
    const s = await intake();
    const b = await makeBundle();
    const evil = `${b.bagName}/data/<script>alert(1)<x>\u202eexe.txt`;
    const r = await upload(s.url, await zipFiles(new Map(await unzipAll(b.zip)).set(evil, enc.encode('x'))));
    expect(r.status).toBe(422);
    expectSafeText(r.text);
    const files = (r.json.reasons as { file: string }[]).map((x) => x.file);
    expect(files).toContain(`${b.bagName}/data/<script>alert(1)<x>\\u202eexe.txt`);
  });
});

describe('intake server: the request itself', () => {
  it('answers 401 to a missing, wrong, prefix or non-Bearer token, and stores nothing', async () => {
    const s = await intake();
    const b = await makeBundle();
    for (const token of [null, 'wrong', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const r = await upload(s.url, b.zip, { token });
      expectCleanError(r, 401, /^missing or wrong token$/);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    const basic = await fetch(`${s.url}/v1/bundles`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, 'content-type': 'application/zip' }, body: b.zip as BodyInit });
    expect(basic.status).toBe(401);
    const receipt = await get(s.url, `/v1/bundles/${b.sha256}/receipt`);
    expectCleanError(receipt, 401, /token/);
    expect(listing(s.store)).toEqual([]);
  });

  it('answers 400 when the SHA-256 header does not match the body ("changed in transit"), is missing or malformed', async () => {
    const s = await intake();
    const b = await makeBundle();
    const wrong = sha256(enc.encode('something else'));
    const r = await upload(s.url, b.zip, { sha: wrong, idempotencyKey: wrong });
    expectCleanError(r, 400, /^the bundle changed in transit: its SHA-256 is [0-9a-f]{64}, not [0-9a-f]{64} as X-Threadkeeper-Bundle-SHA256 says$/);
    expect(r.json.error).toContain(b.sha256);
    expectCleanError(await upload(s.url, b.zip, { sha: null, idempotencyKey: null }), 400, /X-Threadkeeper-Bundle-SHA256 must be/);
    expectCleanError(await upload(s.url, b.zip, { sha: 'abc<script>', idempotencyKey: null }), 400, /X-Threadkeeper-Bundle-SHA256 must be/);
    expectCleanError(await upload(s.url, b.zip, { key: null }), 400, /X-Threadkeeper-Key must be/);
    expectCleanError(await upload(s.url, b.zip, { idempotencyKey: wrong }), 400, /Idempotency-Key must be the same SHA-256/);
    expect(listing(s.store)).toEqual([]);
  });

  it('answers 415 to a body that is not sent as application/zip', async () => {
    const s = await intake();
    const b = await makeBundle();
    expectCleanError(await upload(s.url, b.zip, { contentType: 'application/octet-stream' }), 415, /application\/zip/);
    expect(listing(s.store)).toEqual([]);
  });

  it('answers 413 to a body over maxBytes, by Content-Length or while streaming, without reading it all', async () => {
    const s = await intake({ maxBytes: 1024 * 1024 });
    const b = await makeBundle();
    const big = new Uint8Array(1024 * 1024 + 1);
    expectCleanError(await upload(s.url, big), 413, /larger than this server accepts \(1048576 bytes\)/);

    // A chunked body of up to 1 GiB, produced only as fast as it is sent.
    let produced = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (produced >= 1024 ** 3) return c.close();
        produced += 65536;
        c.enqueue(new Uint8Array(65536));
      },
    });
    const r = await reply(
      await fetch(`${s.url}/v1/bundles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/zip', 'x-threadkeeper-bundle-sha256': b.sha256, 'x-threadkeeper-key': thumbprint },
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expectCleanError(r, 413, /larger than this server accepts/);
    expect(produced).toBeLessThan(64 * 1024 * 1024);
    expect(listing(s.store)).toEqual([]);
    // The server still works, and a bundle under the limit is accepted.
    expect((await upload(s.url, b.zip)).status).toBe(201);
  }, 60_000);

  it('serves /healthz without a token, 404 for every other path, 405 for a wrong method', async () => {
    const s = await intake();
    const health = await get(s.url, '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ ok: true });

    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/', '/heapdump', '/actuator/heapdump', '/debug/pprof', '/v1/bundles/', '/v1/bundles/abc/receipt', `/v1/bundles/${'a'.repeat(64)}`, '/v2/bundles', '/%3Cscript%3Ealert(1)%3C/script%3E']) {
      const r = await get(s.url, path, { headers: auth });
      expectCleanError(r, 404, /^not found$/);
    }
    const missing = await get(s.url, `/v1/bundles/${'a'.repeat(64)}/receipt`, { headers: auth });
    expectCleanError(missing, 404, /no bundle with this SHA-256/);

    const cases: [string, string, string][] = [
      ['GET', '/v1/bundles', 'POST'],
      ['PUT', '/v1/bundles', 'POST'],
      ['DELETE', `/v1/bundles/${'a'.repeat(64)}/receipt`, 'GET, HEAD'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['OPTIONS', '/v1/bundles', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await get(s.url, path, { method, headers: auth });
      expectCleanError(r, 405, /^method not allowed here$/);
      expect(r.headers.get('allow')).toBe(allow);
    }
  });

  it('answers 503 with Retry-After when more uploads arrive than it holds at once', async () => {
    const s = await intake({ maxConcurrentUploads: 1, faults: { delayMs: 400 } });
    const [a, b] = await Promise.all([makeBundle(), makeBundle()]);
    const replies = await Promise.all([upload(s.url, a.zip), upload(s.url, b.zip)]);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 503]);
    const busy = replies.find((r) => r.status === 503)!;
    expectCleanError(busy, 503, /busy/);
    expect(busy.headers.get('retry-after')).toBe('5');
  });

  it('drops an upload cut off mid-body: nothing stored, logged as interrupted (not an internal error), tokens never logged', async () => {
    const lines: string[] = [];
    const s = await intake({ log: (l) => lines.push(l) });
    const b = await makeBundle();
    const { port } = new URL(s.url);
    await new Promise<void>((resolvePromise) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/bundles', method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/zip', 'content-length': b.zip.length, 'x-threadkeeper-bundle-sha256': b.sha256, 'x-threadkeeper-key': thumbprint } });
      req.on('error', () => resolvePromise());
      req.write(Buffer.from(b.zip.subarray(0, 100)), () => setTimeout(() => req.destroy(), 50));
    });
    const t0 = Date.now();
    while (!lines.some((l) => / 400 interrupted /.test(l))) {
      expect(Date.now() - t0, lines.join('\n')).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(lines.join('\n')).not.toMatch(/internal error/);
    expect(listing(s.store)).toEqual([]);
    expect((await upload(s.url, b.zip)).status).toBe(201);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('refuses to listen beyond loopback without TLS, and to start without a token', async () => {
    await expect(startIntake({ port: 0, host: '0.0.0.0', storeDir: newStore(), tokens: [TOKEN] })).rejects.toThrow(/without TLS/);
    await expect(startIntake({ port: 0, storeDir: newStore(), tokens: [] })).rejects.toThrow(/at least one token/);
  });
});

describe('intake server: TLS', () => {
  it('serves HTTPS with the given certificate', async () => {
    const cert = makeCertificate(['localhost']);
    const s = await intake({ tls: { cert: cert.cert, key: cert.key } });
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const b = await makeBundle();
    const res = await new Promise<{ status: number; body: string; peerCert: string }>((resolvePromise, reject) => {
      const req = httpsRequest(
        `${s.url}/v1/bundles`,
        {
          method: 'POST',
          // Test client only: the certificate is self-signed.
          rejectUnauthorized: false,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/zip', 'x-threadkeeper-bundle-sha256': b.sha256, 'x-threadkeeper-key': thumbprint, 'idempotency-key': b.sha256 },
        },
        (res) => {
          const peer = (res.socket as TLSSocket).getPeerCertificate();
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), peerCert: String(peer.subject?.CN ?? '') }));
        },
      );
      req.on('error', reject);
      req.end(Buffer.from(b.zip));
    });
    expect(res.status, res.body).toBe(201);
    expect(res.peerCert).toBe('localhost');
    expect(JSON.parse(res.body)).toMatchObject({ accepted: true, bundleSha256: b.sha256, keyThumbprint: thumbprint });
    // Plain HTTP to the TLS port gets no receipt.
    await expect(fetch(`${s.url.replace('https:', 'http:')}/healthz`)).rejects.toThrow();
  }, 30_000);
});

describe('intake server: test-only faults', () => {
  it('failNext answers 500 to the next N uploads, storing nothing, then succeeds', async () => {
    const s = await intake({ faults: { failNext: 2 } });
    const b = await makeBundle();
    for (let i = 0; i < 2; i++) {
      expectCleanError(await upload(s.url, b.zip), 500, /simulated failure/);
      expect(listing(s.store)).toEqual([]);
    }
    expect(s.faults.failNext).toBe(0);
    const r = await upload(s.url, b.zip);
    expect(r.status).toBe(201);
    expect(r.json.bundleSha256).toBe(b.sha256);
  });

  it('garbageBody answers 201 with a body that is not JSON; the bundle is stored and a retry gets the real receipt', async () => {
    const s = await intake({ faults: { garbageBody: true } });
    const b = await makeBundle();
    const r = await upload(s.url, b.zip);
    expect(r.status).toBe(201);
    expect(r.json).toBeUndefined();
    expect(() => JSON.parse(r.text)).toThrow();
    expect(listing(s.store)).toEqual([`${b.sha256}.receipt.json`, `${b.sha256}.zip`]);
    s.faults.garbageBody = false;
    const retry = await upload(s.url, b.zip);
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ accepted: true, duplicate: true, bundleSha256: b.sha256 });
  });

  it('delayMs holds the answer after storing: a client that times out retries and gets the duplicate receipt', async () => {
    const s = await intake({ faults: { delayMs: 600 } });
    const b = await makeBundle();
    await expect(upload(s.url, b.zip, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    const t0 = Date.now();
    while (!existsSync(join(s.store, `${b.sha256}.receipt.json`))) {
      expect(Date.now() - t0).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    const t1 = Date.now();
    const retry = await upload(s.url, b.zip);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(550);
    expect(retry.status).toBe(200);
    expect(retry.json.duplicate).toBe(true);
  });
});

describe('threadkeeper-intake (built CLI)', () => {
  beforeAll(() => {
    if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestSource()) {
      const b = spawnSync('npx', ['vite', 'build', '--config', 'intake/vite.config.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      if (b.status !== 0) throw new Error(`building the intake CLI failed:\n${b.stdout}\n${b.stderr}`);
    }
  }, 180_000);

  /** Starts the CLI and resolves with its URL once it prints the first line. */
  function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, INTAKE_TOKENS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout });
    const first = new Promise<string>((resolveLine, reject) => {
      lines.once('line', resolveLine);
      void exited.then((code) => reject(new Error(`CLI exited ${code} before listening: ${stderr}`)));
    });
    return { child, exited, first, stderr: () => stderr };
  }

  it('prints where it listens, accepts an upload, and stops on SIGTERM', async () => {
    const store = newStore();
    const cli = startCli(['--store', store, '--token', 't', '--port', '0']);
    try {
      const line = await cli.first;
      const m = /^intake listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThan(0);
      const b = await makeBundle();
      const r = await upload(m![1]!, b.zip, { token: 't' });
      expect(r.status, r.text).toBe(201);
      expect(r.json).toMatchObject({ accepted: true, bundleSha256: b.sha256, server: `threadkeeper-intake/${version}` });
      expect(listing(store)).toEqual([`${b.sha256}.receipt.json`, `${b.sha256}.zip`]);
      expect((await upload(m![1]!, b.zip, { token: 'wrong' })).status).toBe(401);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exited).toBe(0);
    expect(cli.stderr()).toMatch(/warning: a token shorter than 32 characters/);
  }, 60_000);

  it('takes tokens from INTAKE_TOKENS and pins keys with --key', async () => {
    const store = newStore();
    const cli = startCli(['--store', store, '--port', '0', '--key', otherThumbprint], { INTAKE_TOKENS: `one-token-for-the-test-0123456789, ${TOKEN}` });
    try {
      const url = /^intake listening on (\S+)$/.exec(await cli.first)![1]!;
      const r = await upload(url, (await makeBundle()).zip);
      expect(r.status, r.text).toBe(422);
      expect(r.json.reasons[0].message).toMatch(/not one of the keys this server accepts/);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exited).toBe(0);
  }, 60_000);

  it('exits 2 on usage errors and 1 when it cannot start', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, INTAKE_TOKENS: '' } });
    for (const args of [[], ['--token', 't'], ['--store', '/tmp/x'], ['--store', '/tmp/x', '--token', 't', '--faults'], ['--store', '/tmp/x', '--token', 't', '--tls-cert', 'c.pem'], ['--store', '/tmp/x', '--token', 't', '--key', 'nope']]) {
      const r = run(...args);
      expect(r.status, JSON.stringify(args)).toBe(2);
      expect(r.stderr).toMatch(/^threadkeeper-intake: .+\nusage: threadkeeper-intake/);
      expect(r.stdout).toBe('');
    }
    const open = run('--store', newStore(), '--token', 't', '--port', '0', '--host', '0.0.0.0');
    expect(open.status).toBe(1);
    expect(open.stderr).toMatch(/cannot start: refusing to listen on 0\.0\.0\.0 without TLS/);
  });

  it('the built file is an executable ES module with a shebang that imports only node builtins', () => {
    const text = readFileSync(CLI, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    const imports = [...text.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const i of imports) expect(i).toMatch(/^node:/);
    // No fault switches in the shipped command line.
    expect(text).not.toMatch(/--fail|--garbage|--delay/);
  });
});
