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
