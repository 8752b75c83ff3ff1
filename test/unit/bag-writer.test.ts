import { replayingSigner, webCryptoSigner } from '../helpers/signer';
import { unzipAll } from '../helpers/zip';
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBundle, foldBagInfoValue, assertSafePayloadPath, humanSize, prepareText, type BagInfo, type BundleSigner, type PayloadFile } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';

const enc = new TextEncoder();
const dec = new TextDecoder();


const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

const THREAD = {
  messages: [{ type: 'message' }, { type: 'event' }, { type: 'message' }, { type: 'message' }],
  attachments: [{ path: 'attachments/0001.jpg' }, { path: null }],
};
const PAYLOAD: PayloadFile[] = [
  { path: 'threads/whatsapp-1a2b3c4d/thread.json', bytes: enc.encode(JSON.stringify(THREAD)) },
  { path: 'threads/whatsapp-1a2b3c4d/transcript.html', bytes: enc.encode('<!doctype html><p>hello</p>\n') },
  { path: 'threads/whatsapp-1a2b3c4d/attachments/0001.jpg', bytes: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3]) },
  { path: 'README.txt', bytes: enc.encode('Threadkeeper bundle\n') },
];
const INFO: BagInfo = {
  sourceOrganization: 'Example Agency',
  contactName: 'Pat Records',
  contactEmail: 'pat@example.gov',
  externalIdentifier: 'urn:threadkeeper:bundle:abc123',
  baggingDate: '2026-09-30',
  softwareAgent: 'Threadkeeper 0.1.0',
  externalDescription: 'One WhatsApp conversation',
};

/** Independent central-directory walk: entry names, methods, DOS date/time, external attributes. */
function centralDirectory(zip: Uint8Array) {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  expect(v.getUint32(eocd, true)).toBe(0x06054b50);
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const out: { name: string; madeBy: number; method: number; time: number; date: number; mode: number; flags: number; localOffset: number }[] = [];
  for (let i = 0; i < count; i++) {
    expect(v.getUint32(p, true)).toBe(0x02014b50);
    const nameLen = v.getUint16(p + 28, true);
    out.push({
      name: dec.decode(zip.subarray(p + 46, p + 46 + nameLen)),
      madeBy: v.getUint16(p + 4, true),
      flags: v.getUint16(p + 8, true),
      method: v.getUint16(p + 10, true),
      time: v.getUint16(p + 12, true),
      date: v.getUint16(p + 14, true),
      mode: v.getUint32(p + 38, true) >>> 16,
      localOffset: v.getUint32(p + 42, true),
    });
    p += 46 + nameLen + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return out;
}


describe('writeBundle', () => {
  let signer: BundleSigner;
  beforeAll(async () => {
    signer = await webCryptoSigner();
  });

  it('writes one bag folder with exactly the BagIt files, sorted, and no directory entries', async () => {
    const b = await writeBundle({ bagName: 'threadkeeper-test', payload: PAYLOAD, info: INFO, signer });
    const names = centralDirectory(b.zip).map((e) => e.name);
    const expected = [
      'bag-info.txt',
      'bagit.txt',
      'data/README.txt',
      'data/threads/whatsapp-1a2b3c4d/attachments/0001.jpg',
      'data/threads/whatsapp-1a2b3c4d/thread.json',
      'data/threads/whatsapp-1a2b3c4d/transcript.html',
      'manifest-sha512.txt',
      'signature.jws',
      'tagmanifest-sha512.txt',
    ].map((n) => `threadkeeper-test/${n}`);
    expect(names).toEqual(expected);
    expect(b.files).toEqual(expected);
    expect(b.bagName).toBe('threadkeeper-test');
    expect(names.some((n) => n.endsWith('/'))).toBe(false);
    expect(b.sha256).toBe(createHash('sha256').update(b.zip).digest('hex'));
  });

  it('fixes dates, permissions and compression per entry', async () => {
    const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer });
    for (const e of centralDirectory(b.zip)) {
      // DOS date 2000-01-01: (2000-1980)<<9 | 1<<5 | 1; time 00:00:00.
      expect(e.date, e.name).toBe((20 << 9) | (1 << 5) | 1);
      expect(e.time, e.name).toBe(0);
      expect(e.mode, e.name).toBe(0o100644);
      expect(e.madeBy >> 8, e.name).toBe(3); // Unix
      expect(e.flags & 0x0009, e.name).toBe(0); // not encrypted, no data descriptor
      expect(e.method, e.name).toBe(e.name.endsWith('.jpg') ? 0 : 8);
    }
  });

  it('writes bagit.txt, bag-info.txt and both manifests as an independent computation expects', async () => {
    const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer });
    const files = await unzipAll(b.zip);
    const text = (p: string) => dec.decode(files.get(`bag/${p}`)!);
    expect(text('bagit.txt')).toBe('BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n');

    const octets = PAYLOAD.reduce((n, f) => n + f.bytes.length, 0);
    expect(text('bag-info.txt')).toBe(
      [
        'Source-Organization: Example Agency',
        'Contact-Name: Pat Records',
        'Contact-Email: pat@example.gov',
        'External-Description: One WhatsApp conversation',
        'Bagging-Date: 2026-09-30',
        'External-Identifier: urn:threadkeeper:bundle:abc123',
        'Bag-Software-Agent: Threadkeeper 0.1.0',
        `Payload-Oxum: ${octets}.${PAYLOAD.length}`,
        `Bag-Size: ${octets} bytes`,
        '',
      ].join('\n'),
    );

    const manifest = [...PAYLOAD]
      .map((f) => `data/${f.path}`)
      .sort()
      .map((p) => `${sha512(files.get(`bag/${p}`)!)}  ${p}\n`)
      .join('');
    expect(text('manifest-sha512.txt')).toBe(manifest);
    for (const f of PAYLOAD) expect(sha512(files.get(`bag/data/${f.path}`)!)).toBe(sha512(f.bytes));

    const tag = ['bag-info.txt', 'bagit.txt', 'manifest-sha512.txt'].map((p) => `${sha512(files.get(`bag/${p}`)!)}  ${p}\n`).join('');
    expect(text('tagmanifest-sha512.txt')).toBe(tag);
    expect(text('manifest-sha512.txt')).not.toMatch(/\r/);
  });

  it('signs the tag manifest with a detached ES256 JWS that node:crypto verifies', async () => {
    const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer });
    const files = await unzipAll(b.zip);
    const jws = dec.decode(files.get('bag/signature.jws')!);
    expect(jws).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]{86}$/);
    const [h, , s] = jws.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8'));
    const thumb = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${signer.publicJwk.x}","y":"${signer.publicJwk.y}"}`).digest('base64url');
    expect(header).toEqual({ alg: 'ES256', typ: 'threadkeeper-bag+jws', kid: thumb, jwk: { crv: 'P-256', kty: 'EC', x: signer.publicJwk.x, y: signer.publicJwk.y } });
    expect(b.keyThumbprint).toBe(thumb);
    const input = `${h}.${Buffer.from(files.get('bag/tagmanifest-sha512.txt')!).toString('base64url')}`;
    const key = createPublicKey({ key: header.jwk, format: 'jwk' });
    expect(nodeVerify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))).toBe(true);
  });

  it('is verified by verifyBag with the right summary', async () => {
    const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer });
    const r = await verifyBag(await unzipAll(b.zip), { pinnedKey: b.keyThumbprint });
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, bagName: 'bag', keyThumbprint: b.keyThumbprint, summary: { threads: 1, messages: 3, attachments: 1 } });
  });

  it('passes `unzip -t` (an independent ZIP implementation), when unzip is installed', async () => {
    const probe = spawnSync('unzip', ['-v'], { encoding: 'utf8' });
    if (probe.error) return; // not installed on this machine: nothing to compare against
    const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer });
    const dir = mkdtempSync(join(tmpdir(), 'tk-writer-'));
    try {
      writeFileSync(join(dir, 'b.zip'), b.zip);
      const r = spawnSync('unzip', ['-t', join(dir, 'b.zip')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/No errors detected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives byte-identical zips for the same input and a deterministic signer', async () => {
    const det = replayingSigner(signer);
    const a = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: det });
    // Same records in a different order, in fresh arrays.
    const shuffled = [...PAYLOAD].reverse().map((f) => ({ path: f.path, bytes: f.bytes.slice() }));
    const b = await writeBundle({ bagName: 'bag', payload: shuffled, info: { ...INFO }, signer: det });
    expect(Buffer.from(b.zip).equals(Buffer.from(a.zip))).toBe(true);
    expect(b.sha256).toBe(a.sha256);
    // And a change in one payload byte changes the zip.
    const changed = PAYLOAD.map((f, i) => (i === 0 ? { path: f.path, bytes: enc.encode(JSON.stringify({ ...THREAD, x: 1 })) } : f));
    const c = await writeBundle({ bagName: 'bag', payload: changed, info: INFO, signer: det });
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('writes a text file handed over prepared (hashed and DEFLATEd ahead) exactly as the same file given whole', async () => {
    const det = replayingSigner(signer);
    const a = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: det });
    const prepared = await Promise.all(PAYLOAD.map(async (f) => (/\.(json|html|txt)$/.test(f.path) ? { path: f.path, prepared: await prepareText(f.bytes) } : f)));
    expect(prepared.filter((f) => 'prepared' in f)).toHaveLength(3);
    const b = await writeBundle({ bagName: 'bag', payload: prepared, info: INFO, signer: det });
    expect(Buffer.from(b.zip).equals(Buffer.from(a.zip))).toBe(true);
    expect((await verifyBag((await unzipAll(b.zip)), {})).problems).toEqual([]);
    // The writer takes the prepared hash and bytes as they are: a wrong one makes a bag that fails verification.
    const wrong = prepared.map((f) => ('prepared' in f && f.path.endsWith('thread.json') ? { path: f.path, prepared: { ...f.prepared, sha512: sha512(enc.encode('other')) } } : f));
    const c = await writeBundle({ bagName: 'bag', payload: wrong, info: INFO, signer: det });
    expect(JSON.stringify((await verifyBag(await unzipAll(c.zip), {})).problems)).toMatch(/thread\.json/);
  });

  it('refuses a prepared file that is not text, or is missing what the writer needs', async () => {
    const text = await prepareText(enc.encode('hello'));
    await expect(writeBundle({ bagName: 'bag', payload: [{ path: 'a/photo.jpg', prepared: text }], info: INFO, signer })).rejects.toThrow(/only text files/);
    await expect(writeBundle({ bagName: 'bag', payload: [{ path: 'a/t.txt', prepared: { ...text, sha512: 'x' } }], info: INFO, signer })).rejects.toThrow(/prepareText/);
    await expect(writeBundle({ bagName: 'bag', payload: [{ path: 'a/t.txt', prepared: { ...text, size: -1 } }], info: INFO, signer })).rejects.toThrow(/prepareText/);
  });

  it('with a real (randomized) signer, differs only in signature.jws', async () => {
    const a = await unzipAll((await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer })).zip);
    const b = await unzipAll((await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer })).zip);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, bytes] of a) {
      if (name === 'bag/signature.jws') expect(Buffer.from(bytes).equals(Buffer.from(b.get(name)!))).toBe(false);
      else expect(Buffer.from(bytes).equals(Buffer.from(b.get(name)!)), name).toBe(true);
    }
  });

  describe('time zone independence', () => {
    const original = process.env.TZ;
    afterEach(() => {
      if (original === undefined) delete process.env.TZ;
      else process.env.TZ = original;
    });

    it('writes the same bytes under two different TZ values', async () => {
      const det = replayingSigner(signer);
      process.env.TZ = 'Pacific/Kiritimati'; // UTC+14
      const offsetA = new Date(Date.UTC(2000, 0, 1)).getTimezoneOffset();
      const a = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: det });
      process.env.TZ = 'America/Los_Angeles'; // UTC-8
      const offsetB = new Date(Date.UTC(2000, 0, 1)).getTimezoneOffset();
      const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: det });
      // Precondition: the zone change really took effect, else this test proves nothing.
      expect(offsetA).toBe(-840);
      expect(offsetB).toBe(480);
      expect(Buffer.from(a.zip).equals(Buffer.from(b.zip))).toBe(true);
      for (const e of centralDirectory(a.zip)) expect([e.date, e.time]).toEqual([(20 << 9) | (1 << 5) | 1, 0]);
    });
  });

  describe('refuses', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['/etc/passwd', /relative/],
      ['threads/../../evil', /".."/],
      ['threads/./x.json', /"\."/],
      ['threads//x.json', /empty path segment/],
      ['threads/x.json/', /empty path segment/],
      ['threads\\x.json', /backslash/],
      ['threads/50%.json', /%/],
      ['threads/a\nb.json', /non-printable/],
      ['threads/a\rb.json', /non-printable/],
      ['threads/a\u0000b.json', /non-printable/],
      ['threads/caf\u00e9.json', /non-ASCII/],
      ['threads/a:b.json', /":"/],
      ['threads/a?.json', /"\?"/],
      ['threads/CON.txt', /reserved/],
      ['threads/trailing.', /trailing dot/],
      ['threads/ lead.json', /leading\/trailing space/],
      ['x'.repeat(256), /255/],
    ];
    for (const [path, why] of bad) {
      it(`payload path ${JSON.stringify(path)}`, async () => {
        expect(() => assertSafePayloadPath(path)).toThrow(why);
        await expect(writeBundle({ bagName: 'bag', payload: [{ path, bytes: new Uint8Array(1) }], info: INFO, signer })).rejects.toThrow(why);
      });
    }

    it('duplicates, case-only differences and a file used as a folder', async () => {
      const one = (path: string) => ({ path, bytes: new Uint8Array(1) });
      await expect(writeBundle({ bagName: 'bag', payload: [one('a/b.json'), one('a/b.json')], info: INFO, signer })).rejects.toThrow(/duplicate payload path "a\/b.json"/);
      await expect(writeBundle({ bagName: 'bag', payload: [one('a/B.json'), one('a/b.json')], info: INFO, signer })).rejects.toThrow(/differ only by case/);
      await expect(writeBundle({ bagName: 'bag', payload: [one('A/x.json'), one('a/y.json'), one('a')], info: INFO, signer })).rejects.toThrow(/is a file but/);
    });

    it('unsafe bag names', async () => {
      for (const bagName of ['', 'a/b', '..', 'bag%', 'bag\n', 'b\\ag']) {
        await expect(writeBundle({ bagName, payload: PAYLOAD, info: INFO, signer })).rejects.toThrow(/bag name/);
      }
    });

    it('a bad Bagging-Date and empty required bag-info values', async () => {
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: { ...INFO, baggingDate: '30/09/2026' }, signer })).rejects.toThrow(/Bagging-Date/);
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: { ...INFO, externalIdentifier: ' \n ' }, signer })).rejects.toThrow(/External-Identifier is required/);
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: { ...INFO, softwareAgent: '' }, signer })).rejects.toThrow(/Bag-Software-Agent is required/);
    });

    it('to produce an unsigned or wrongly signed bundle', async () => {
      const throwing: BundleSigner = { publicJwk: signer.publicJwk, sign: async () => { throw new Error('no key'); } };
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: throwing })).rejects.toThrow(/signing failed: no key/);
      const short: BundleSigner = { publicJwk: signer.publicJwk, sign: async () => new Uint8Array(63) };
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: short })).rejects.toThrow(/64-byte/);
      const empty: BundleSigner = { publicJwk: signer.publicJwk, sign: async () => new Uint8Array(0) };
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: empty })).rejects.toThrow(/64-byte/);
      // 64 bytes of garbage, or a real signature from a different key: caught by the self-check.
      const garbage: BundleSigner = { publicJwk: signer.publicJwk, sign: async () => new Uint8Array(64).fill(7) };
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: garbage })).rejects.toThrow(/does not verify/);
      const other = await webCryptoSigner();
      const mismatched: BundleSigner = { publicJwk: signer.publicJwk, sign: other.sign };
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: mismatched })).rejects.toThrow(/does not verify/);
      const privateJwk: BundleSigner = { publicJwk: { ...signer.publicJwk, d: 'secret' }, sign: signer.sign };
      await expect(writeBundle({ bagName: 'bag', payload: PAYLOAD, info: INFO, signer: privateJwk })).rejects.toThrow(/private key member/);
    });
  });

  it('neutralises bag-info values that try to inject a label', async () => {
    const info: BagInfo = {
      ...INFO,
      contactName: 'Eve\nPayload-Oxum: 1.1',
      externalDescription: 'line one\r\nBagging-Date: 1999-01-01\rthird\u2028Bag-Size: 0\u0085x\u0007y',
      sourceOrganization: '   ',
    };
    const b = await writeBundle({ bagName: 'bag', payload: PAYLOAD, info, signer });
    const files = await unzipAll(b.zip);
    const bagInfo = dec.decode(files.get('bag/bag-info.txt')!);
    const labels = bagInfo
      .split('\n')
      .filter((l) => l !== '' && !/^[ \t]/.test(l))
      .map((l) => l.slice(0, l.indexOf(':')));
    expect(labels).toEqual(['Contact-Name', 'Contact-Email', 'External-Description', 'Bagging-Date', 'External-Identifier', 'Bag-Software-Agent', 'Payload-Oxum', 'Bag-Size']);
    expect(bagInfo).toContain('Contact-Name: Eve\n  Payload-Oxum: 1.1\n');
    expect(bagInfo).not.toMatch(/[\r\u0007\u2028\u0085]/);
    expect((await verifyBag(files)).ok).toBe(true);
  });

  it('stays platform-neutral: no node: imports, so it runs in the MV3 service worker', () => {
    for (const f of ['bag-writer.ts', 'jws.ts', 'bag-verify.ts']) {
      const src = readFileSync(join(__dirname, '../../src/bundle', f), 'utf8');
      expect(src, f).not.toMatch(/from ['"](node:|fs|path|crypto|zlib|buffer)['"/]/);
      expect(src, f).not.toMatch(/\brequire\(|\bBuffer\b|\bprocess\./);
    }
  });

  it('folds values and sizes as documented', () => {
    expect(foldBagInfoValue('a\n\n  b  \r\nc')).toBe('a\n  b\n  c');
    expect(foldBagInfoValue('tab\there')).toBe('tab here');
    expect(humanSize(1)).toBe('1 byte');
    expect(humanSize(1023)).toBe('1023 bytes');
    expect(humanSize(1536)).toBe('1.5 KB');
    expect(humanSize(5 * 1024 ** 3)).toBe('5.0 GB');
  });
});
