/**
 * Runs the BUILT verifier (dist-cli/threadkeeper-verify.mjs) as a records officer would, on
 * bundles written by writeBundle with a real, non-extractable WebCrypto P-256 key.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync, constants as zc } from 'node:zlib';
import { writeBundle, type BagInfo, type BundleSigner, type PayloadFile } from '../../src/bundle/bag-writer';
import { buildZip, unzipAll, zipFiles } from '../helpers/zip';
import { webCryptoSigner } from '../helpers/signer';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist-cli/threadkeeper-verify.mjs');
const enc = new TextEncoder();
const dec = new TextDecoder();
const BAG = 'threadkeeper-cli-test';

/** Newest modification time under the folders the CLI is built from. */
function newestSource(): number {
  let newest = Math.max(statSync(join(ROOT, 'cli/vite.config.ts')).mtimeMs, statSync(join(ROOT, 'scripts/lib/node-cli-build.ts')).mtimeMs);
  for (const dir of ['cli', 'src/bundle']) {
    for (const f of readdirSync(join(ROOT, dir))) if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(ROOT, dir, f)).mtimeMs);
  }
  return newest;
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '') };
}

function thread(messages: ('message' | 'event')[], attachments: (string | null)[]): Uint8Array {
  return enc.encode(JSON.stringify({ messages: messages.map((type, i) => ({ type, messageId: `m${i}` })), attachments: attachments.map((path) => ({ path })) }));
}

const INFO: BagInfo = { externalIdentifier: 'urn:threadkeeper:bundle:cli', baggingDate: '2026-09-30', softwareAgent: 'Threadkeeper test', sourceOrganization: 'Example Agency' };




describe('threadkeeper-verify (built CLI)', () => {
  let dir: string;
  let signer: BundleSigner;
  let thumbprint: string;
  let good: Map<string, Uint8Array>;
  let goodZip: string;
  let counter = 0;

  const write = (bytes: Uint8Array, name = `case-${++counter}.zip`): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  // Two threads; messages and attachments counted here, independently of the verifier.
  const threadA = { messages: ['message', 'event', 'message', 'message'] as const, attachments: ['attachments/a.jpg', null, 'attachments/b.ogg'] };
  const threadB = { messages: ['event', 'message'] as const, attachments: ['attachments/c.png'] };
  const PAYLOAD: PayloadFile[] = [
    { path: 'threads/whatsapp-aaaa/thread.json', bytes: thread([...threadA.messages], threadA.attachments) },
    { path: 'threads/whatsapp-aaaa/attachments/a.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xd9, 1, 2]) },
    { path: 'threads/whatsapp-aaaa/attachments/b.ogg', bytes: enc.encode('OggS fake audio') },
    { path: 'threads/whatsapp-aaaa/transcript.html', bytes: enc.encode('<p>transcript</p>\n') },
    { path: 'threads/whatsapp-bbbb/thread.json', bytes: thread([...threadB.messages], threadB.attachments) },
    { path: 'threads/whatsapp-bbbb/attachments/c.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
  ];
  const MESSAGES = [...threadA.messages, ...threadB.messages].filter((t) => t === 'message').length;
  const ATTACHMENTS = [...threadA.attachments, ...threadB.attachments].filter((p) => p !== null).length;

  beforeAll(async () => {
    if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestSource()) {
      const b = spawnSync('npx', ['vite', 'build', '--config', 'cli/vite.config.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
      if (b.status !== 0) throw new Error(`building the CLI failed:\n${b.stdout}\n${b.stderr}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'tk-cli-'));
    const key = await webCryptoSigner();
    expect(key.privateKey.extractable).toBe(false);
    signer = key;
    const jwk = key.publicJwk;
    thumbprint = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
    const bundle = await writeBundle({ bagName: BAG, payload: PAYLOAD, info: INFO, signer });
    goodZip = write(bundle.zip, 'good.zip');
    good = await unzipAll(bundle.zip);
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI on a modified bag and checks: exit 1, every line "invalid: ...", and `named` appears. */
  function expectInvalid(file: string, named: RegExp, ...args: string[]) {
    const r = run(file, ...args);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.lines.length).toBeGreaterThan(0);
    for (const l of r.lines) expect(l).toMatch(/^invalid: /);
    expect(r.stdout).toMatch(named);
    return r;
  }

  it('prints exactly the valid line and exits 0 for a good bundle', () => {
    const r = run(goodZip);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`valid: signed by key ${thumbprint}, 2 threads, ${MESSAGES} messages, ${ATTACHMENTS} attachments\n`);
    expect(r.status).toBe(0);
  });

  it('uses singular words for one thread, message and attachment', async () => {
    const b = await writeBundle({
      bagName: 'one',
      signer,
      info: INFO,
      payload: [
        { path: 'threads/whatsapp-1/thread.json', bytes: thread(['event', 'message'], ['x.jpg']) },
        { path: 'threads/whatsapp-1/x.jpg', bytes: new Uint8Array([1]) },
      ],
    });
    const r = run(write(b.zip));
    expect(r.stdout).toBe(`valid: signed by key ${thumbprint}, 1 thread, 1 message, 1 attachment\n`);
    expect(r.status).toBe(0);
  });

  it('accepts the right pinned key and refuses any other', () => {
    expect(run(goodZip, '--key', thumbprint).status).toBe(0);
    expect(run(`--key=${thumbprint}`, goodZip).status).toBe(0);
    const other = createHash('sha256').update('another key').digest('base64url');
    const r = expectInvalid(goodZip, new RegExp(`signature.jws: signed by key ${thumbprint}, not the expected key ${other}`), '--key', other);
    expect(r.lines).toHaveLength(1);
  });

  it('prints the full report with --json', () => {
    const r = run(goodZip, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ file: goodZip, ok: true, bagName: BAG, keyThumbprint: thumbprint, problems: [], summary: { threads: 2, messages: MESSAGES, attachments: ATTACHMENTS, pages: 0 } });
    const bad = run(write(new Uint8Array([1, 2, 3])), '--json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, summary: null, problems: [{ message: expect.stringMatching(/not a ZIP/) }] });
  });

  it('fails when a byte of any file in the bag is changed, naming the file', async () => {
    for (const [name, bytes] of good) {
      for (const at of [0, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const changed = bytes.slice();
        changed[at]! ^= 0x01;
        const zip = write(await zipFiles(new Map(good).set(name, changed)));
        const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        // A changed tag manifest breaks the signature, which names it.
        expectInvalid(zip, name.endsWith('tagmanifest-sha512.txt') ? /signature.jws: signature does not match tagmanifest-sha512.txt/ : new RegExp(`invalid: ${escaped}: `));
      }
    }
  }, 120_000);

  it('fails when a file is removed', async () => {
    for (const name of [`${BAG}/data/threads/whatsapp-aaaa/attachments/a.jpg`, `${BAG}/bag-info.txt`, `${BAG}/manifest-sha512.txt`]) {
      const files = new Map(good);
      files.delete(name);
      expectInvalid(write(await zipFiles(files)), new RegExp(`invalid: ${name.replace(/\./g, '\\.')}: `));
    }
  });

  it('fails on an unsigned bag', async () => {
    const files = new Map(good);
    files.delete(`${BAG}/signature.jws`);
    const r = expectInvalid(write(await zipFiles(files)), /signature.jws: missing: the bag is unsigned/);
    expect(r.lines).toEqual([`invalid: ${BAG}/signature.jws: missing: the bag is unsigned`]);
  });

  it('fails on an added payload file that is not in the manifest', async () => {
    const files = new Map(good).set(`${BAG}/data/threads/whatsapp-aaaa/attachments/planted.jpg`, new Uint8Array([9]));
    expectInvalid(write(await zipFiles(files)), /data\/threads\/whatsapp-aaaa\/attachments\/planted.jpg: payload file not listed in manifest-sha512.txt/);
  });

  it('fails on a wrong Payload-Oxum', async () => {
    const info = dec.decode(good.get(`${BAG}/bag-info.txt`)!).replace(/Payload-Oxum: (\d+)\.(\d+)/, (_m, o: string, s: string) => `Payload-Oxum: ${Number(o) + 1}.${s}`);
    expectInvalid(write(await zipFiles(new Map(good).set(`${BAG}/bag-info.txt`, enc.encode(info)))), /bag-info.txt: Payload-Oxum says/);
  });

  it('refuses a signature with alg none', async () => {
    const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'threadkeeper-bag+jws', kid: thumbprint, jwk: { crv: 'P-256', kty: 'EC', x: signer.publicJwk.x, y: signer.publicJwk.y } })).toString('base64url');
    expectInvalid(write(await zipFiles(new Map(good).set(`${BAG}/signature.jws`, enc.encode(`${h}..`)))), /signature.jws: JWS alg "none" is refused/);
  });

  it('refuses a JWS whose jwk was swapped for another key, kid recomputed', async () => {
    const [h, , s] = dec.decode(good.get(`${BAG}/signature.jws`)!).split('.');
    const other = await crypto.subtle.exportKey('jwk', (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])).publicKey);
    const kid = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${other.x}","y":"${other.y}"}`).digest('base64url');
    const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')), kid, jwk: { crv: 'P-256', kty: 'EC', x: other.x, y: other.y } };
    const forged = `${Buffer.from(JSON.stringify(header)).toString('base64url')}..${s}`;
    expectInvalid(write(await zipFiles(new Map(good).set(`${BAG}/signature.jws`, enc.encode(forged)))), /signature.jws: signature does not match/);
  });

  it('escapes control characters that an attacker puts into a reason', async () => {
    const h = Buffer.from(JSON.stringify({ alg: '\u001b[2J\u202eES256', typ: 'x' })).toString('base64url');
    const r = expectInvalid(write(await zipFiles(new Map(good).set(`${BAG}/signature.jws`, enc.encode(`${h}..`)))), /only ES256/);
    expect(r.stdout).not.toMatch(/[\u001b\u202e]/);
  });

  describe('unsafe or broken archives', () => {
    it('truncated zip', () => {
      const bytes = readFileSync(goodZip);
      for (const cut of [bytes.length - 1, Math.floor(bytes.length / 2), 10]) {
        const p = write(bytes.subarray(0, cut));
        const r = expectInvalid(p, /truncated or damaged ZIP/);
        expect(r.lines).toEqual([`invalid: ${p}: truncated or damaged ZIP: end of central directory record not found`]);
      }
    });

    it('not a zip, an empty file, a missing file', () => {
      expectInvalid(write(enc.encode('hello')), /not a ZIP archive/);
      expectInvalid(write(new Uint8Array()), /empty file/);
      const missing = join(dir, 'nope.zip');
      expect(run(missing).lines).toEqual([`invalid: ${missing}: no such file`]);
      expect(run(missing).status).toBe(1);
    });

    it('an entry named ../evil', () => {
      const p = write(buildZip([{ name: `${BAG}/bagit.txt`, data: good.get(`${BAG}/bagit.txt`) }, { name: '../evil', data: enc.encode('x') }]));
      expect(expectInvalid(p, /"\.\.\/evil": unsafe name \("\.\." segment escapes the archive\)/).lines).toHaveLength(1);
    });

    it('an absolute path', () => {
      expectInvalid(write(buildZip([{ name: '/etc/cron.d/evil', data: enc.encode('x') }])), /"\/etc\/cron.d\/evil": unsafe name \(absolute path\)/);
    });

    it('a symlink entry', async () => {
      const files = new Map(good).set(`${BAG}/data/link`, enc.encode('/etc/passwd'));
      const zip = await zipFiles(files, { unixPermissions: { [`${BAG}/data/link`]: 0o120777 } });
      expectInvalid(write(zip), new RegExp(`"${BAG}/data/link": a symbolic link is not allowed`));
    });

    it('duplicate entries', () => {
      const dup = `${BAG}/data/threads/whatsapp-aaaa/thread.json`;
      expectInvalid(write(buildZip([{ name: dup, data: enc.encode('{}') }, { name: dup, data: enc.encode('{"x":1}') }])), /thread.json": duplicate entry/);
      expectInvalid(write(buildZip([{ name: `${BAG}/A.txt` }, { name: `${BAG}/a.txt` }])), /differ only by case/);
    });

    it('a zip bomb: 2 GiB of zeros declared as 100 bytes', () => {
      const chunk = deflateRawSync(Buffer.alloc(1024 * 1024), { finishFlush: zc.Z_SYNC_FLUSH });
      const bomb = Buffer.concat([...Array.from({ length: 2048 }, () => chunk), Buffer.from([0x03, 0x00])]);
      const p = write(buildZip([{ name: `${BAG}/data/zeros.txt`, stored: bomb, crc: 0, uncompressedSize: 100 }]));
      const t0 = Date.now();
      expectInvalid(p, /zeros.txt": inflates to more than its declared 100 bytes \(zip bomb\?\)/);
      expect(Date.now() - t0).toBeLessThan(10_000);
    });

    it('a zip bomb by declared size', () => {
      const p = write(buildZip([{ name: `${BAG}/data/huge.bin`, stored: new Uint8Array([0x03, 0x00]), crc: 0, uncompressedSize: 0xfffffff0 }]));
      expectInvalid(p, /huge.bin": declared size 4294967280 bytes exceeds the per-entry limit/);
    });
  });

  describe('usage', () => {
    const usage: string[][] = [[], ['--bogus', 'x.zip'], ['a.zip', 'b.zip'], ['x.zip', '--key'], ['x.zip', '--key', 'not-a-thumbprint'], ['x.zip', '--key', thumbprintLike(), '--key', thumbprintLike()]];
    for (const args of usage) {
      it(`exits 2 for ${JSON.stringify(args)}`, () => {
        const r = run(...args);
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^threadkeeper-verify: .+\nusage: threadkeeper-verify FILE.zip/);
      });
    }
    it('prints help and exits 0 for --help', () => {
      const r = run('--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: threadkeeper-verify FILE.zip \[--key THUMBPRINT\] \[--json\]/);
    });
  });

  it('the built file is an executable ES module with a shebang', () => {
    const text = readFileSync(CLI, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    expect(text).not.toMatch(/from ['"]\.\.?\//); // our own modules are bundled in
    // The verifier needs no npm package at run time: only node builtins are imported.
    const imports = [...text.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const i of imports) expect(i).toMatch(/^node:/);
  });
});

function thumbprintLike(): string {
  return createHash('sha256').update(String(Math.random())).digest('base64url');
}
