/**
 * Detached JWS (RFC 7515, compact serialization, Appendix F) over a bag's tag manifest.
 *
 * Platform-neutral: runs in the MV3 service worker and in Node 20. Uses only
 * globalThis.crypto.subtle and TextEncoder/TextDecoder.
 *
 * Shape: `<b64url(protected header)>..<b64url(signature)>` where the signing input is
 * ASCII(b64url(header) + '.' + b64url(tagmanifest bytes)). The header carries the public
 * key (`jwk`) and its RFC 7638 thumbprint (`kid`), so a verifier needs nothing else; trust in
 * the key comes from comparing the thumbprint with one obtained out of band (`--key`).
 *
 * The header algorithm is ES256 only. `none`, HMAC and every other algorithm are refused,
 * so a forged header cannot downgrade verification (see RFC 8725 section 3.1).
 */

/** What the bundle writer needs to sign: a public key to embed and a signing function. */
export interface BundleSigner {
  /** EC P-256 public key: kty, crv, x, y. A private member (`d`) is refused. */
  publicJwk: JsonWebKey;
  /** Raw r||s, 64 bytes, ECDSA P-256 with SHA-256, as WebCrypto returns it. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface DetachedVerifyResult {
  ok: boolean;
  /** `kid` from the protected header, when there is a string one. */
  kid: string | null;
  /** RFC 7638 thumbprint computed from the header's `jwk`, when the jwk is usable. */
  thumbprint: string | null;
  error?: string;
}

/** `typ` of every Threadkeeper bag signature; binds the signature to this use. */
export const JWS_TYPE = 'threadkeeper-bag+jws';

const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Map<string, number>([...B64URL_ALPHABET].map((c, i) => [c, i]));

/** Base64url without padding (RFC 7515 section 2). */
export function b64urlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL_ALPHABET[(n >> 18) & 63]! + B64URL_ALPHABET[(n >> 12) & 63]! + B64URL_ALPHABET[(n >> 6) & 63]! + B64URL_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL_ALPHABET[(n >> 18) & 63]! + B64URL_ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL_ALPHABET[(n >> 18) & 63]! + B64URL_ALPHABET[(n >> 12) & 63]! + B64URL_ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Strict base64url decoding: only the url-safe alphabet, no padding, no whitespace, and
 * the unused low bits of the last character must be zero. Strictness matters: with a lax
 * decoder two different signature.jws files would decode to the same signature, and a
 * changed byte could go unnoticed.
 */
export function b64urlDecode(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new Error('invalid base64url: impossible length');
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = B64URL_INDEX.get(text[i]!);
    if (v === undefined) throw new Error(`invalid base64url: character ${JSON.stringify(text[i])} at ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new Error('invalid base64url: non-zero trailing bits');
  return out;
}

/**
 * A Uint8Array that WebCrypto's typings accept (an ArrayBuffer-backed view). Copies only
 * when the view sits on a SharedArrayBuffer.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

const encoder = new TextEncoder();

/** The public members of an EC P-256 key, checked. Throws on anything else or on a private key. */
export function publicP256Jwk(jwk: unknown): { crv: 'P-256'; kty: 'EC'; x: string; y: string } {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new Error('jwk is not an object');
  const k = jwk as Record<string, unknown>;
  if ('d' in k) throw new Error('jwk contains a private key member "d"; only a public key may be embedded');
  if (k.kty !== 'EC') throw new Error(`jwk kty must be "EC", got ${JSON.stringify(k.kty)}`);
  if (k.crv !== 'P-256') throw new Error(`jwk crv must be "P-256", got ${JSON.stringify(k.crv)}`);
  for (const m of ['x', 'y'] as const) {
    const v = k[m];
    if (typeof v !== 'string') throw new Error(`jwk ${m} is missing`);
    let bytes: Uint8Array;
    try {
      bytes = b64urlDecode(v);
    } catch {
      throw new Error(`jwk ${m} is not base64url`);
    }
    if (bytes.length !== 32) throw new Error(`jwk ${m} must be 32 bytes for P-256, got ${bytes.length}`);
  }
  return { crv: 'P-256', kty: 'EC', x: k.x as string, y: k.y as string };
}

/**
 * RFC 7638 thumbprint: base64url(SHA-256(UTF-8 of {"crv","kty","x","y"} with members in
 * lexicographic order and no whitespace)). EC P-256 keys only.
 */
export async function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  const k = publicP256Jwk(jwk);
  // Literal key order = lexicographic order required by RFC 7638 section 3.2.
  const canonical = JSON.stringify({ crv: k.crv, kty: k.kty, x: k.x, y: k.y });
  const digest = await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(canonical));
  return b64urlEncode(new Uint8Array(digest));
}

/**
 * Signs `tagBytes` and returns the compact detached JWS. Rejects when the signer throws or
 * returns anything other than a 64-byte Uint8Array; it never returns an unsigned value.
 */
export async function signDetached(tagBytes: Uint8Array, signer: BundleSigner): Promise<string> {
  const jwk = publicP256Jwk(signer.publicJwk);
  const kid = await jwkThumbprint(jwk);
  const header = { alg: 'ES256', typ: JWS_TYPE, kid, jwk: { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } };
  const headerB64 = b64urlEncode(encoder.encode(JSON.stringify(header)));
  const signingInput = encoder.encode(`${headerB64}.${b64urlEncode(tagBytes)}`);
  let sig: unknown;
  try {
    sig = await signer.sign(signingInput);
  } catch (err) {
    throw new Error(`signing failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!(sig instanceof Uint8Array)) throw new Error('signing failed: signer did not return a Uint8Array');
  if (sig.length !== 64) throw new Error(`signing failed: expected a 64-byte raw r||s ECDSA signature, got ${sig.length} bytes`);
  return `${headerB64}..${b64urlEncode(sig)}`;
}

/**
 * Converts a DER ECDSA-Sig-Value (SEQUENCE { r INTEGER, s INTEGER }) to raw r||s for P-256.
 * Strict DER: minimal lengths, no extra bytes, positive minimal integers of at most 32 bytes.
 */
export function derToRawP256(der: Uint8Array): Uint8Array {
  const fail = (why: string): never => {
    throw new Error(`signature is neither 64-byte r||s nor valid DER (${why})`);
  };
  if (der.length < 8 || der[0] !== 0x30) fail('no SEQUENCE');
  const seqLen = der[1]!;
  if (seqLen >= 0x80 || seqLen + 2 !== der.length) fail('bad SEQUENCE length');
  let p = 2;
  const out = new Uint8Array(64);
  for (let n = 0; n < 2; n++) {
    if (der[p] !== 0x02) fail('no INTEGER');
    const len = der[p + 1];
    if (len === undefined || len === 0 || len >= 0x80 || p + 2 + len > der.length) fail('bad INTEGER length');
    let int = der.subarray(p + 2, p + 2 + len!);
    if (int[0]! & 0x80) fail('negative INTEGER');
    if (int.length > 1 && int[0] === 0 && !(int[1]! & 0x80)) fail('non-minimal INTEGER');
    if (int[0] === 0 && int.length > 1) int = int.subarray(1);
    if (int.length > 32) fail('INTEGER longer than 32 bytes');
    out.set(int, n * 32 + (32 - int.length));
    p += 2 + len!;
  }
  if (p !== der.length) fail('trailing bytes');
  return out;
}

/**
 * Verifies a compact detached JWS over `tagBytes`. Never throws: every failure comes back as
 * `{ ok: false, error }` with what was learned about the key so far.
 */
export async function verifyDetached(jws: string, tagBytes: Uint8Array): Promise<DetachedVerifyResult> {
  let kid: string | null = null;
  let thumbprint: string | null = null;
  const fail = (error: string): DetachedVerifyResult => ({ ok: false, kid, thumbprint, error });

  const parts = jws.split('.');
  if (parts.length !== 3) return fail('not a JWS compact serialization (expected header..signature)');
  const [headerB64, payloadB64, sigB64] = parts as [string, string, string];
  if (payloadB64 !== '') return fail('JWS is not detached (payload part must be empty)');

  let header: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b64urlDecode(headerB64)));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('JWS header is not a JSON object');
    header = parsed as Record<string, unknown>;
  } catch (err) {
    return fail(`JWS header is unreadable: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof header.kid === 'string') kid = header.kid;

  if (header.alg === 'none') return fail('JWS alg "none" is refused: the bag is not signed');
  if (header.alg !== 'ES256') return fail(`JWS alg ${JSON.stringify(header.alg)} is refused; only ES256 is accepted`);
  if (header.typ !== JWS_TYPE) return fail(`JWS typ must be "${JWS_TYPE}", got ${JSON.stringify(header.typ)}`);
  // We understand no extensions, so any "crit" must be refused (RFC 7515 section 4.1.11);
  // this also refuses RFC 7797 "b64": false, which changes what is signed.
  if ('crit' in header) return fail('JWS header has "crit" extensions this verifier does not understand');
  if ('b64' in header) return fail('JWS header "b64" is not supported');

  let jwk: ReturnType<typeof publicP256Jwk>;
  try {
    jwk = publicP256Jwk(header.jwk);
  } catch (err) {
    return fail(`JWS header jwk: ${err instanceof Error ? err.message : String(err)}`);
  }
  thumbprint = await jwkThumbprint(jwk);
  if (kid === null) return fail('JWS header has no string kid');
  if (kid !== thumbprint) return fail(`JWS kid ${kid} is not the thumbprint of the embedded key (${thumbprint})`);

  let sig: Uint8Array;
  try {
    sig = b64urlDecode(sigB64);
  } catch (err) {
    return fail(`JWS signature is not base64url: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (sig.length !== 64) {
    // authsign and OpenSSL produce DER; WebCrypto produces raw r||s. Accept both.
    try {
      sig = derToRawP256(sig);
    } catch (err) {
      return fail(err instanceof Error ? err.message : String(err));
    }
  }

  let key: CryptoKey;
  try {
    key = await globalThis.crypto.subtle.importKey('jwk', { ...jwk, ext: true }, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch (err) {
    return fail(`JWS header jwk is not a usable P-256 public key: ${err instanceof Error ? err.message : String(err)}`);
  }
  const signingInput = encoder.encode(`${headerB64}.${b64urlEncode(tagBytes)}`);
  const valid = await globalThis.crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, bufferSource(sig), signingInput);
  if (!valid) return fail('signature does not match the tag manifest and key');
  return { ok: true, kid, thumbprint };
}
