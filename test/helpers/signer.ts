/** A real bundle signer for tests: WebCrypto ECDSA P-256 with a NON-extractable private key. */
import type { BundleSigner } from '../../src/bundle/bag-writer';

export async function webCryptoSigner(): Promise<BundleSigner & { privateKey: CryptoKey }> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const full = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    privateKey: pair.privateKey,
    publicJwk: { kty: full.kty, crv: full.crv, x: full.x, y: full.y },
    async sign(data) {
      return new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data as BufferSource));
    },
  };
}

/**
 * Deterministic signer for byte-identity tests: a real P-256 public key, and a "signature"
 * that is a fixed function of the input. writeBundle's self-check would refuse a fake, so this
 * signer signs for real once per distinct input and replays the result (ECDSA is randomized,
 * a replay is deterministic).
 */
export function replayingSigner(inner: BundleSigner): BundleSigner {
  const cache = new Map<string, Uint8Array>();
  return {
    publicJwk: inner.publicJwk,
    async sign(data) {
      const key = Buffer.from(data).toString('base64');
      let sig = cache.get(key);
      if (!sig) cache.set(key, (sig = await inner.sign(data)));
      return sig;
    },
  };
}
