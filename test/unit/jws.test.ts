import { webCryptoSigner } from '../helpers/signer';
import { describe, it, expect, beforeAll } from 'vitest';
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, randomBytes } from 'node:crypto';
import { b64urlDecode, b64urlEncode, derToRawP256, jwkThumbprint, signDetached, verifyDetached, type BundleSigner } from '../../src/bundle/jws';

const enc = new TextEncoder();


/** Independent thumbprint: the RFC 7638 canonical JSON written out by hand, hashed with node:crypto. */
function nodeThumbprint(jwk: JsonWebKey): string {
  return createHash('sha256').update(`{"crv":"${jwk.crv}","kty":"${jwk.kty}","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');
}

/** A JWS built by hand with node:crypto, so header tricks can be tested without the module's signer. */
function handJws(header: Record<string, unknown>, tag: Uint8Array, privateKey: import('node:crypto').KeyObject, dsaEncoding: 'der' | 'ieee-p1363' = 'ieee-p1363'): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const input = `${h}.${Buffer.from(tag).toString('base64url')}`;
  const sig = nodeSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding });
  return `${h}..${sig.toString('base64url')}`;
}

function nodeKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const pub = { crv: jwk.crv!, kty: jwk.kty!, x: jwk.x!, y: jwk.y! };
  return { privateKey, pub, kid: nodeThumbprint(pub) };
}

describe('b64url', () => {
  it('round-trips every length and matches Buffer base64url', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = new Uint8Array(randomBytes(n));
      const text = b64urlEncode(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(Buffer.from(b64urlDecode(text)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('refuses padding, the standard alphabet, whitespace, impossible lengths and non-zero trailing bits', () => {
    expect(() => b64urlDecode('QQ==')).toThrow(/character/);
    expect(() => b64urlDecode('a+b/')).toThrow(/character/);
    expect(() => b64urlDecode('QQ\n')).toThrow(/character/);
    expect(() => b64urlDecode('QUFBQ')).toThrow(/length/);
    // 'QQ' is 0x41; 'QR' carries the same byte plus a stray low bit.
    expect(Array.from(b64urlDecode('QQ'))).toEqual([0x41]);
    expect(() => b64urlDecode('QR')).toThrow(/trailing bits/);
  });
});

describe('jwkThumbprint', () => {
  it('equals an independent RFC 7638 computation', async () => {
    const signer = await webCryptoSigner();
    expect(await jwkThumbprint(signer.publicJwk)).toBe(nodeThumbprint(signer.publicJwk));
  });

  it('ignores members outside the canonical set and their order', async () => {
    const { pub, kid } = nodeKey();
    expect(await jwkThumbprint({ y: pub.y, x: pub.x, kty: 'EC', crv: 'P-256', use: 'sig', key_ops: ['verify'], ext: true })).toBe(kid);
  });

  it('refuses private keys and non-P-256 keys', async () => {
    const { pub } = nodeKey();
    await expect(jwkThumbprint({ ...pub, d: 'AAAA' })).rejects.toThrow(/private/);
    await expect(jwkThumbprint({ ...pub, crv: 'P-384' })).rejects.toThrow(/crv/);
    await expect(jwkThumbprint({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })).rejects.toThrow(/kty/);
    await expect(jwkThumbprint({ ...pub, x: pub.x.slice(2) })).rejects.toThrow(/x/);
  });
});

describe('signDetached / verifyDetached', () => {
  let signer: BundleSigner;
  const tag = enc.encode('0123abcd  bagit.txt\n');
  beforeAll(async () => {
    signer = await webCryptoSigner();
  });

  it('produces header..signature with the documented header, verifiable by node:crypto', async () => {
    const jws = await signDetached(tag, signer);
    const [h, payload, s] = jws.split('.');
    expect(payload).toBe('');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8'));
    const kid = nodeThumbprint(signer.publicJwk);
    expect(header).toEqual({ alg: 'ES256', typ: 'threadkeeper-bag+jws', kid, jwk: { crv: 'P-256', kty: 'EC', x: signer.publicJwk.x, y: signer.publicJwk.y } });
    expect(Object.keys(header)).toEqual(['alg', 'typ', 'kid', 'jwk']);
    const key = createPublicKey({ key: header.jwk, format: 'jwk' });
    const input = Buffer.from(`${h}.${Buffer.from(tag).toString('base64url')}`);
    expect(nodeVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))).toBe(true);
    expect(await verifyDetached(jws, tag)).toEqual({ ok: true, kid, thumbprint: kid });
  });

  it('fails when the tag bytes differ by one byte', async () => {
    const jws = await signDetached(tag, signer);
    const other = tag.slice();
    other[0]! ^= 1;
    const r = await verifyDetached(jws, other);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/signature does not match/);
  });

  it('rejects a signer that throws or returns the wrong length or type', async () => {
    await expect(signDetached(tag, { publicJwk: signer.publicJwk, sign: async () => { throw new Error('key gone'); } })).rejects.toThrow(/signing failed: key gone/);
    await expect(signDetached(tag, { publicJwk: signer.publicJwk, sign: async () => new Uint8Array(63) })).rejects.toThrow(/64-byte/);
    await expect(signDetached(tag, { publicJwk: signer.publicJwk, sign: async () => new Uint8Array(72) })).rejects.toThrow(/64-byte/);
    await expect(signDetached(tag, { publicJwk: signer.publicJwk, sign: async () => new ArrayBuffer(64) as unknown as Uint8Array })).rejects.toThrow(/Uint8Array/);
    await expect(signDetached(tag, { publicJwk: { ...signer.publicJwk, d: 'x' }, sign: signer.sign })).rejects.toThrow(/private/);
  });

  it('accepts a DER-encoded ECDSA signature (authsign/OpenSSL style) as well as raw r||s', async () => {
    const { privateKey, pub, kid } = nodeKey();
    const header = { alg: 'ES256', typ: 'threadkeeper-bag+jws', kid, jwk: pub };
    const der = handJws(header, tag, privateKey, 'der');
    expect(b64urlDecode(der.split('.')[2]!).length).not.toBe(64);
    expect(await verifyDetached(der, tag)).toMatchObject({ ok: true, kid });
    expect(await verifyDetached(handJws(header, tag, privateKey), tag)).toMatchObject({ ok: true, kid });
  });

  it('derToRawP256 matches node:crypto’s own conversion and refuses malformed DER', () => {
    const { privateKey } = nodeKey();
    for (let i = 0; i < 20; i++) {
      const data = randomBytes(32);
      const der = nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
      const raw = derToRawP256(new Uint8Array(der));
      const pub = createPublicKey(privateKey);
      expect(nodeVerify('sha256', data, { key: pub, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
    expect(() => derToRawP256(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00]))).toThrow(/SEQUENCE length/);
    expect(() => derToRawP256(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]))).toThrow(/negative/);
    expect(() => derToRawP256(new Uint8Array([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]))).toThrow(/non-minimal/);
  });

  it('refuses alg none, other algorithms, a wrong typ, crit and b64', async () => {
    const { privateKey, pub, kid } = nodeKey();
    const base = { alg: 'ES256', typ: 'threadkeeper-bag+jws', kid, jwk: pub };
    const none = `${Buffer.from(JSON.stringify({ ...base, alg: 'none' })).toString('base64url')}..`;
    expect((await verifyDetached(none, tag)).error).toMatch(/alg "none" is refused/);
    for (const alg of ['HS256', 'ES384', 'RS256', 'es256']) {
      expect((await verifyDetached(handJws({ ...base, alg }, tag, privateKey), tag)).error).toMatch(/only ES256/);
    }
    expect((await verifyDetached(handJws({ ...base, typ: 'JWT' }, tag, privateKey), tag)).error).toMatch(/typ/);
    expect((await verifyDetached(handJws({ ...base, crit: ['exp'] }, tag, privateKey), tag)).error).toMatch(/crit/);
    expect((await verifyDetached(handJws({ ...base, b64: false }, tag, privateKey), tag)).error).toMatch(/b64/);
  });

  it('refuses a jwk with a private member, a kid that is not the thumbprint, and a non-detached JWS', async () => {
    const { privateKey, pub, kid } = nodeKey();
    const base = { alg: 'ES256', typ: 'threadkeeper-bag+jws', kid, jwk: pub };
    const withD = await verifyDetached(handJws({ ...base, jwk: { ...pub, d: 'AAAA' } }, tag, privateKey), tag);
    expect(withD).toMatchObject({ ok: false, kid });
    expect(withD.error).toMatch(/private key member "d"/);
    const other = nodeKey();
    const wrongKid = await verifyDetached(handJws({ ...base, kid: other.kid }, tag, privateKey), tag);
    expect(wrongKid.error).toMatch(/not the thumbprint/);
    expect(wrongKid.thumbprint).toBe(kid);
    const good = handJws(base, tag, privateKey);
    const [h, , s] = good.split('.');
    expect((await verifyDetached(`${h}.${Buffer.from(tag).toString('base64url')}.${s}`, tag)).error).toMatch(/not detached/);
    expect((await verifyDetached(`${h}..${s}.x`, tag)).error).toMatch(/compact/);
  });

  it('fails when the embedded jwk is swapped for another key and kid is recomputed to match', async () => {
    const jws = await signDetached(tag, signer);
    const [h, , s] = jws.split('.');
    const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8'));
    const attacker = nodeKey();
    const forged = `${Buffer.from(JSON.stringify({ ...header, kid: attacker.kid, jwk: attacker.pub })).toString('base64url')}..${s}`;
    const r = await verifyDetached(forged, tag);
    expect(r).toMatchObject({ ok: false, kid: attacker.kid, thumbprint: attacker.kid });
    expect(r.error).toMatch(/signature does not match/);
  });

  it('fails on a signature that is not 64 bytes nor DER, or not base64url', async () => {
    const jws = await signDetached(tag, signer);
    const [h] = jws.split('.');
    expect((await verifyDetached(`${h}..${b64urlEncode(new Uint8Array(63))}`, tag)).error).toMatch(/neither 64-byte/);
    expect((await verifyDetached(`${h}..abc=`, tag)).error).toMatch(/not base64url/);
    expect((await verifyDetached(`${h}..`, tag)).error).toMatch(/neither 64-byte/);
    expect((await verifyDetached(`e30..${jws.split('.')[2]}`, tag)).error).toMatch(/alg/);
    expect((await verifyDetached(`bm90IGpzb24..${jws.split('.')[2]}`, tag)).error).toMatch(/unreadable/);
  });
});
