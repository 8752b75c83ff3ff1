import { unzipAll } from '../helpers/zip';
import { describe, it, expect, beforeAll } from 'vitest';
import { createHash, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { writeBundle, type BagInfo, type BundleSigner, type PayloadFile } from '../../src/bundle/bag-writer';
import { verifyBag, type VerifyReport } from '../../src/bundle/bag-verify';

const enc = new TextEncoder();
const dec = new TextDecoder();
const BAG = 'threadkeeper-whatsapp-test';
const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

/** A real ECDSA P-256 key held by node:crypto; the test builds signatures with it by hand. */
interface TestKey {
  privateKey: KeyObject;
  jwk: { crv: string; kty: string; x: string; y: string };
  kid: string;
  signer: BundleSigner;
}
function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const j = publicKey.export({ format: 'jwk' });
  const jwk = { crv: j.crv!, kty: j.kty!, x: j.x!, y: j.y! };
  const kid = createHash('sha256').update(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
  const signer: BundleSigner = { publicJwk: jwk, sign: async (d) => new Uint8Array(nodeSign('sha256', d, { key: privateKey, dsaEncoding: 'ieee-p1363' })) };
  return { privateKey, jwk, kid, signer };
}

/** Detached JWS written by hand (independent of jws.ts). */
function handJws(key: TestKey, tag: Uint8Array, header: Record<string, unknown> = {}): string {
  const h = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'threadkeeper-bag+jws', kid: key.kid, jwk: key.jwk, ...header })).toString('base64url');
  const sig = nodeSign('sha256', Buffer.from(`${h}.${Buffer.from(tag).toString('base64url')}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${h}..${sig.toString('base64url')}`;
}

function thread(messages: string[], attachments: (string | null)[]) {
  return enc.encode(JSON.stringify({ messages: messages.map((type) => ({ type })), attachments: attachments.map((path) => ({ path })) }, null, 2));
}

const PAYLOAD: PayloadFile[] = [
  { path: 'threads/whatsapp-aaaa/thread.json', bytes: thread(['message', 'event', 'message'], ['attachments/1.jpg', null, 'attachments/2.pdf']) },
  { path: 'threads/whatsapp-aaaa/attachments/1.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) },
  { path: 'threads/whatsapp-aaaa/attachments/2.pdf', bytes: enc.encode('%PDF-1.4\n%%EOF\n') },
  { path: 'threads/whatsapp-bbbb/thread.json', bytes: thread(['event', 'message'], []) },
  { path: 'threads/whatsapp-bbbb/messages.csv', bytes: enc.encode('id|text\n1|hi\n') },
];
const INFO: BagInfo = { externalIdentifier: 'urn:threadkeeper:bundle:test', baggingDate: '2026-09-30', softwareAgent: 'Threadkeeper test', contactName: 'Pat' };


/**
 * Re-seals a modified bag the way an attacker with their own key (or a buggy writer) would:
 * recomputes manifest-sha512.txt from data/ (unless `manifest` is given), the tag manifest
 * (through `tag` if given), Payload-Oxum (unless `keepOxum`) and a fresh signature. So only the
 * deliberate defect remains.
 */
function reseal(files: Map<string, Uint8Array>, key: TestKey, edit: { manifest?: string; tag?: (auto: string) => string; keepOxum?: boolean } = {}): Map<string, Uint8Array> {
  const out = new Map(files);
  const p = `${BAG}/`;
  if (!edit.keepOxum) {
    const data = [...out.keys()].filter((k) => k.startsWith(`${p}data/`));
    const octets = data.reduce((n, k) => n + out.get(k)!.length, 0);
    const info = dec.decode(out.get(`${p}bag-info.txt`)!).replace(/^Payload-Oxum: .*$/m, `Payload-Oxum: ${octets}.${data.length}`);
    out.set(`${p}bag-info.txt`, enc.encode(info));
  }
  const manifest =
    edit.manifest ??
    [...out.keys()]
      .filter((k) => k.startsWith(`${p}data/`))
      .sort()
      .map((k) => `${sha512(out.get(k)!)}  ${k.slice(p.length)}\n`)
      .join('');
  out.set(`${p}manifest-sha512.txt`, enc.encode(manifest));
  let tag = ['bag-info.txt', 'bagit.txt', 'manifest-sha512.txt'].map((n) => `${sha512(out.get(p + n)!)}  ${n}\n`).join('');
  if (edit.tag) tag = edit.tag(tag);
  out.set(`${p}tagmanifest-sha512.txt`, enc.encode(tag));
  out.set(`${p}signature.jws`, enc.encode(handJws(key, enc.encode(tag))));
  return out;
}

function problemFiles(r: VerifyReport): string[] {
  return r.problems.map((p) => p.file);
}

describe('verifyBag', () => {
  let key: TestKey;
  let good: Map<string, Uint8Array>;
  beforeAll(async () => {
    key = testKey();
    good = await unzipAll((await writeBundle({ bagName: BAG, payload: PAYLOAD, info: INFO, signer: key.signer })).zip);
  });

  it('accepts a written bag and summarises it', async () => {
    const r = await verifyBag(good);
    expect(r).toEqual({ ok: true, bagName: BAG, keyThumbprint: key.kid, problems: [], summary: { threads: 2, messages: 3, attachments: 2, pages: 0 } });
  });

  it('accepts a bag re-sealed by the independent test code (the checks agree with node:crypto)', async () => {
    const r = await verifyBag(reseal(good, key));
    expect(r.problems).toEqual([]);
  });

  it('fails when any single byte of any file is changed, naming that file', async () => {
    let flips = 0;
    for (const [name, bytes] of good) {
      for (let i = 0; i < bytes.length; i++) {
        for (const mask of [0x01, 0x80]) {
          const changed = bytes.slice();
          changed[i]! ^= mask;
          const files = new Map(good).set(name, changed);
          const r = await verifyBag(files);
          flips++;
          if (r.ok) throw new Error(`flipping byte ${i} of ${name} with ${mask} went unnoticed`);
          // A changed tag manifest shows as a signature mismatch, which names it.
          const named = problemFiles(r).includes(name) || (name.endsWith('/tagmanifest-sha512.txt') && r.problems.some((p) => p.message.includes('tagmanifest-sha512.txt')));
          if (!named) throw new Error(`flipping byte ${i} of ${name}: no problem names it: ${JSON.stringify(r.problems)}`);
        }
      }
    }
    expect(flips).toBeGreaterThan(2000);
  }, 60_000);

  it('fails when any file is removed, naming it', async () => {
    for (const name of good.keys()) {
      const files = new Map(good);
      files.delete(name);
      const r = await verifyBag(files);
      expect(r.ok, name).toBe(false);
      expect(problemFiles(r), name).toContain(name);
    }
    const noSig = new Map(good);
    noSig.delete(`${BAG}/signature.jws`);
    expect((await verifyBag(noSig)).problems).toEqual([{ file: `${BAG}/signature.jws`, message: 'missing: the bag is unsigned' }]);
  });

  it('fails on a payload file that is not in the manifest', async () => {
    const files = new Map(good).set(`${BAG}/data/threads/whatsapp-aaaa/attachments/extra.jpg`, new Uint8Array([1]));
    const r = await verifyBag(files);
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual({ file: `${BAG}/data/threads/whatsapp-aaaa/attachments/extra.jpg`, message: expect.stringMatching(/not listed in manifest-sha512.txt/) });
  });

  it('fails on unknown tag files and files outside the bag folder', async () => {
    const r = await verifyBag(new Map(good).set(`${BAG}/manifest-md5.txt`, enc.encode('x')).set(`${BAG}/extra/notes.txt`, enc.encode('x')));
    expect(problemFiles(r).sort()).toEqual([`${BAG}/extra/notes.txt`, `${BAG}/manifest-md5.txt`]);
    const loose = await verifyBag(new Map(good).set('README.txt', enc.encode('x')));
    expect(loose.problems).toEqual([{ file: 'README.txt', message: 'file outside the bag folder' }]);
  });

  it('fails with no or two top-level folders', async () => {
    const two = await verifyBag(new Map(good).set('other-bag/bagit.txt', enc.encode('x')));
    expect(two).toMatchObject({ ok: false, bagName: null, summary: null });
    expect(two.problems[0]!.message).toMatch(/one top-level folder, found 2/);
    expect((await verifyBag(new Map())).problems[0]!.message).toMatch(/no files/);
    expect((await verifyBag(new Map([['bagit.txt', enc.encode('x')]]))).problems.map((p) => p.message)).toContain('no bag folder: expected one top-level folder');
  });

  it('ignores directory markers', async () => {
    expect((await verifyBag(new Map(good).set(`${BAG}/data/`, new Uint8Array()))).ok).toBe(true);
  });

  it('fails on a wrong, missing or repeated Payload-Oxum even when everything is re-signed', async () => {
    const info = dec.decode(good.get(`${BAG}/bag-info.txt`)!);
    const oxum = /Payload-Oxum: (\d+)\.(\d+)/.exec(info)!;
    const octets = PAYLOAD.reduce((n, f) => n + f.bytes.length, 0);
    expect([Number(oxum[1]), Number(oxum[2])]).toEqual([octets, PAYLOAD.length]);
    const variants: [string, RegExp][] = [
      [info.replace(oxum[0], `Payload-Oxum: ${octets + 1}.${PAYLOAD.length}`), /says \d+\.5 but data\/ holds \d+\.5/],
      [info.replace(oxum[0], `Payload-Oxum: ${octets}.${PAYLOAD.length - 1}`), /says \d+\.4 but/],
      [info.replace(`${oxum[0]}\n`, ''), /missing/],
      [info + `${oxum[0]}\n`, /more than once/],
      [info.replace(oxum[0], 'Payload-Oxum: lots'), /not octets.streams/],
    ];
    for (const [text, why] of variants) {
      const files = reseal(new Map(good).set(`${BAG}/bag-info.txt`, enc.encode(text)), key, { keepOxum: true });
      const r = await verifyBag(files);
      expect(r.problems, text).toEqual([{ file: `${BAG}/bag-info.txt`, message: expect.stringMatching(why) }]);
    }
  });

  it('fails on malformed manifests even when re-signed', async () => {
    const manifest = dec.decode(good.get(`${BAG}/manifest-sha512.txt`)!);
    const lines = manifest.trimEnd().split('\n');
    const cases: [string, RegExp][] = [
      [manifest + lines[0] + '\n', /listed more than once/],
      [manifest + `${sha512(good.get(`${BAG}/bagit.txt`)!)}  data/../bagit.txt\n`, /outside data\/ \("\.\." segment\)/],
      [manifest + `${sha512(good.get(`${BAG}/bagit.txt`)!)}  bagit.txt\n`, /outside data\/ \(not under data\/\)/],
      [manifest + `${'0'.repeat(128)}  /etc/passwd\n`, /outside data\/ \(absolute path\)/],
      [manifest + 'garbage\n', /line 6 is not/],
      [manifest.slice(0, -1), /does not end with a line feed/],
      [manifest.replace(lines[0]!.slice(0, 128), '0'.repeat(128)), /SHA-512 does not match/],
      ['', /empty/],
    ];
    for (const [text, why] of cases) {
      const r = await verifyBag(reseal(good, key, { manifest: text }));
      expect(r.ok, text).toBe(false);
      expect(r.problems.map((p) => p.message).join('\n'), text).toMatch(why);
    }
  });

  it('fails when the tag manifest does not cover exactly the tag files, even when re-signed', async () => {
    const drop = await verifyBag(reseal(good, key, { tag: (t) => t.split('\n').filter((l) => !l.endsWith('  bag-info.txt')).join('\n') }));
    expect(drop.problems).toEqual([{ file: `${BAG}/tagmanifest-sha512.txt`, message: 'does not list bag-info.txt' }]);
    const extra = await verifyBag(reseal(good, key, { tag: (t) => t + `${sha512(good.get(`${BAG}/signature.jws`)!)}  signature.jws\n` }));
    expect(extra.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/lists signature.jws/));
  });

  it('fails on a bagit.txt that is not exactly BagIt 1.0, even when re-signed', async () => {
    for (const text of ['BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n', 'BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n', '\uFEFFBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n']) {
      const r = await verifyBag(reseal(new Map(good).set(`${BAG}/bagit.txt`, enc.encode(text)), key));
      expect(r.problems).toEqual([{ file: `${BAG}/bagit.txt`, message: expect.stringMatching(/exactly/) }]);
    }
  });

  it('fails on a payload manifest or a tag manifest that starts with a byte order mark, even when re-signed', async () => {
    const withMark = (text: string) => '\uFEFF' + text;
    const manifest = dec.decode(good.get(`${BAG}/manifest-sha512.txt`)!);
    const r1 = await verifyBag(reseal(good, key, { manifest: withMark(manifest) }));
    expect(r1.problems).toContainEqual({ file: `${BAG}/manifest-sha512.txt`, message: 'not UTF-8 text (or has a byte-order mark)' });
    const r2 = await verifyBag(reseal(good, key, { tag: withMark }));
    expect(r2.ok).toBe(false);
    expect(problemFiles(r2)).toContain(`${BAG}/tagmanifest-sha512.txt`);
  });

  it('pins the signing key when asked', async () => {
    expect((await verifyBag(good, { pinnedKey: key.kid })).ok).toBe(true);
    const other = testKey();
    const r = await verifyBag(good, { pinnedKey: other.kid });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([{ file: `${BAG}/signature.jws`, message: `signed by key ${key.kid}, not the expected key ${other.kid}` }]);
    // A bag validly re-signed by someone else passes without a pin and fails with one.
    const resigned = reseal(good, other);
    expect((await verifyBag(resigned)).ok).toBe(true);
    expect((await verifyBag(resigned, { pinnedKey: key.kid })).ok).toBe(false);
  });

  it('refuses a signature with alg none', async () => {
    const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'threadkeeper-bag+jws', kid: key.kid, jwk: key.jwk })).toString('base64url');
    const r = await verifyBag(new Map(good).set(`${BAG}/signature.jws`, enc.encode(`${h}..`)));
    expect(r.problems).toEqual([{ file: `${BAG}/signature.jws`, message: expect.stringMatching(/alg "none" is refused/) }]);
  });

  it('refuses a signature whose embedded jwk was swapped, with kid recomputed to match', async () => {
    const jws = dec.decode(good.get(`${BAG}/signature.jws`)!);
    const [h, , s] = jws.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8'));
    const attacker = testKey();
    const forged = `${Buffer.from(JSON.stringify({ ...header, kid: attacker.kid, jwk: attacker.jwk })).toString('base64url')}..${s}`;
    const r = await verifyBag(new Map(good).set(`${BAG}/signature.jws`, enc.encode(forged)));
    expect(r.ok).toBe(false);
    expect(r.keyThumbprint).toBe(attacker.kid);
    expect(r.problems).toEqual([{ file: `${BAG}/signature.jws`, message: expect.stringMatching(/signature does not match tagmanifest-sha512.txt/) }]);
  });

  it('tolerates exactly one trailing line feed after the JWS, and nothing else', async () => {
    const jws = good.get(`${BAG}/signature.jws`)!;
    expect((await verifyBag(new Map(good).set(`${BAG}/signature.jws`, enc.encode(dec.decode(jws) + '\n')))).ok).toBe(true);
    expect((await verifyBag(new Map(good).set(`${BAG}/signature.jws`, enc.encode(dec.decode(jws) + '\n\n')))).ok).toBe(false);
    expect((await verifyBag(new Map(good).set(`${BAG}/signature.jws`, enc.encode(dec.decode(jws) + ' ')))).ok).toBe(false);
  });

  it('names a thread.json that is not valid JSON, even when re-signed', async () => {
    const name = `${BAG}/data/threads/whatsapp-bbbb/thread.json`;
    const r = await verifyBag(reseal(new Map(good).set(name, enc.encode('{"messages": [')), key));
    expect(r.problems).toEqual([{ file: name, message: 'thread.json is not valid JSON' }]);
    expect(r.summary).toEqual({ threads: 2, messages: 2, attachments: 2, pages: 0 });
    const shape = await verifyBag(reseal(new Map(good).set(name, enc.encode('{"messages": {}, "attachments": 3}')), key));
    expect(shape.problems.map((p) => p.message)).toEqual(['thread.json has no "messages" array', 'thread.json has no "attachments" array']);
    // Valid JSON, but nested deeper than any record: refused with its own reason, not by exhausting the stack.
    const deep = await verifyBag(reseal(new Map(good).set(name, enc.encode(`{"messages": [], "attachments": [], "x": ${'['.repeat(2000)}${']'.repeat(2000)}}`)), key));
    expect(deep.problems).toEqual([{ file: name, message: 'thread.json is not a record: nested more than 512 levels' }]);
  });

  it('names an attachment that thread.json lists but the bag lacks, or one outside its thread folder', async () => {
    const name = `${BAG}/data/threads/whatsapp-bbbb/thread.json`;
    const files = reseal(new Map(good).set(name, thread(['message'], ['attachments/gone.jpg', '../whatsapp-aaaa/attachments/1.jpg', null])), key);
    const r = await verifyBag(files);
    expect(r.problems).toEqual([
      { file: `${BAG}/data/threads/whatsapp-bbbb/attachments/gone.jpg`, message: `attachment listed in data/threads/whatsapp-bbbb/thread.json is missing from the bag` },
      { file: name, message: expect.stringMatching(/attachments\[1\]\.path .* is not inside the thread folder \("\.\." segment\)/) },
    ]);
  });

  it('names an attachment whose size or SHA-256 is not the one thread.json gives, even when re-signed', async () => {
    const name = `${BAG}/data/threads/whatsapp-aaaa/thread.json`;
    const jpg = PAYLOAD[1]!.bytes;
    const sha = createHash('sha256').update(jpg).digest('hex');
    const record = (attachments: unknown[]) => enc.encode(JSON.stringify({ messages: [{ type: 'message' }], attachments }));
    const right = reseal(new Map(good).set(name, record([{ path: 'attachments/1.jpg', sha256: sha, size: jpg.length }])), key);
    expect((await verifyBag(right)).problems).toEqual([]);
    const wrong = reseal(new Map(good).set(name, record([{ path: 'attachments/1.jpg', sha256: sha.replace(/^./, (c) => (c === '0' ? '1' : '0')), size: jpg.length + 1 }])), key);
    expect((await verifyBag(wrong)).problems).toEqual([
      { file: `${BAG}/data/threads/whatsapp-aaaa/attachments/1.jpg`, message: `4 bytes, but data/threads/whatsapp-aaaa/thread.json says attachments[0] has 5` },
      { file: `${BAG}/data/threads/whatsapp-aaaa/attachments/1.jpg`, message: `its SHA-256 is not the one data/threads/whatsapp-aaaa/thread.json gives for attachments[0]` },
    ]);
  });

  it('counts only type "message" rows and only attachments with a path', async () => {
    const files = reseal(
      new Map(good).set(`${BAG}/data/threads/whatsapp-bbbb/thread.json`, thread(['message', 'message', 'event', 'event', 'message', 'other'], [null, null])),
      key,
    );
    expect((await verifyBag(files)).summary).toEqual({ threads: 2, messages: 5, attachments: 2, pages: 0 });
    // thread.json outside threads/<slug>/ is not a thread.
    const extra = reseal(new Map(good).set(`${BAG}/data/thread.json`, thread(['message'], [])), key);
    expect((await verifyBag(extra)).summary).toEqual({ threads: 2, messages: 3, attachments: 2, pages: 0 });
  });
});
