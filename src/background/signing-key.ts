/**
 * The device signing key: ECDSA P-256, made on first use with WebCrypto, private half
 * NON-extractable, kept as a CryptoKey in IndexedDB (structured clone keeps it opaque).
 * Nothing can read the private key out; only this extension's origin can ask it to sign.
 */
import type { ThreadkeeperDb, SigningKeyRow } from '../db/schema';
import type { BundleSigner } from '../bundle/bag-writer';
import { jwkThumbprint } from '../bundle/jws';

export async function getSigningKey(db: ThreadkeeperDb): Promise<SigningKeyRow> {
  const existing = await db.signingKeys.get('device');
  if (existing) return existing;
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const full = await crypto.subtle.exportKey('jwk', pair.publicKey);
  const publicJwk: JsonWebKey = { kty: full.kty, crv: full.crv, x: full.x, y: full.y };
  const row: SigningKeyRow = { id: 'device', pair, publicJwk, thumbprint: await jwkThumbprint(publicJwk), createdAt: new Date().toISOString() };
  // Two wake-ups racing to create the key: the first one written wins, the other is dropped.
  await db.transaction('rw', db.signingKeys, async () => {
    if (!(await db.signingKeys.get('device'))) await db.signingKeys.add(row);
  });
  const stored = await db.signingKeys.get('device');
  if (!stored) throw new Error('the signing key could not be stored');
  return stored;
}

export function signerFor(key: SigningKeyRow): BundleSigner {
  return {
    publicJwk: key.publicJwk,
    async sign(data: Uint8Array) {
      const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.pair.privateKey, data as BufferSource);
      return new Uint8Array(sig);
    },
  };
}
