/**
 * Message fingerprints are stored (`MessageRow.latestFingerprint`, `VersionRow.fingerprint`) and
 * every later capture compares against them: a fingerprint that changes for the same content
 * would record every stored message as a new version. These tests pin today's values and check
 * `fingerprintOf` against the original definition (WebCrypto SHA-256 of the canonical JSON,
 * key-sorted with a JSON.stringify replacer) over varied content.
 */
import { describe, expect, it } from 'vitest';
import { contentOf, fingerprintOf } from '../../src/background/ingest';
import { sha256Hex } from '../../src/shared/bytes';
import type { MessageContent } from '../../src/db/schema';
import { message } from './factories';

/** canonicalJson as first written (src/shared/bytes.ts), kept here as the reference. */
function referenceCanonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** The fingerprint as first written: no send time, no displayed time, no quote match; WebCrypto. */
async function referenceFingerprint(content: MessageContent): Promise<string> {
  const { sentAtText: _shown, sentAt: _sent, quote, ...rest } = content;
  return sha256Hex(referenceCanonicalJson({ ...rest, quote: quote && { author: quote.author, text: quote.text } }));
}

const long = Array.from({ length: 3000 }, (_, i) => `line ${i} ✓ 😀 𝕏 مرحبا 漢字 e\u0301`).join('\n');

/** Values computed by the WebCrypto implementation before fingerprinting became synchronous. */
const pinned: [string, MessageContent, string][] = [
  ['plain', contentOf(message('A')), '8435ee7e41baca0fcaa2bdfeea84f90cea81991492d82cbc0113e98349f6ece2'],
  [
    'varied',
    contentOf(message('B', {
      sender: 'José 👩‍👩‍👧', fromSelf: true, sentAt: null, sentAtText: null,
      text: 'tab\there "quoted" back\\slash \u0000\u001f\u007f \u2028\u2029 𝕏𝕐 😀👍🏽 🇧🇷 مرحبا עברית 漢字 e\u0301 lone high \ud83d and lone low \ude00 end',
      links: ['https://example.org/a?b=c&d=é', 'https://例え.jp/'],
      deleted: false, edited: true, forwarded: true,
      quote: { author: 'Bo 🙂', text: 'earlier\nmessage', messageId: 'Q1' },
      reactions: [{ emoji: '👍', count: 2 }, { emoji: '❤️', count: 1 }],
      attachments: [
        { kind: 'image', originalName: 'photo 📷.jpg', mediaType: 'image/jpeg', sha256: 'ab'.repeat(32), size: 12345, missingReason: null, thumbnail: false },
        { kind: 'document', originalName: null, mediaType: null, sha256: null, size: null, missingReason: 'expired', thumbnail: true },
      ],
      direction: 'rtl',
    })),
    'ac95463fb05a05cea738fbb9541457297317e8ed6bc00cb97a3e479b4bb69c22',
  ],
  ['event', contentOf(message('E', { type: 'event', sender: null, text: 'Ana added Bo', deleted: true, direction: 'auto' })), '813347b819e61eacfcd5e8afe50d394c807f838e92685e6c66eaefd66c9496bc'],
  // About 4,400 characters and 92,000 characters: past the sizes a hash implementation might
  // keep a buffer for.
  ['medium', contentOf(message('M', { text: long.slice(0, 4000) })), '2378627e758cbfca77ccefdf39eeda36bd596db5a9ead0a5c206aaf32557a942'],
  ['long', contentOf(message('L', { text: long })), 'adc61f002c7c88b4e43d01a0e56a07d6ae13a65c17116612eb7d74bda3c7c6b9'],
];

/** Deterministic text mixing ASCII, controls, BMP, astral characters and lone surrogates. */
function textOf(seed: number, length: number): string {
  let x = seed * 2654435761 + 1;
  const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  const pieces = ['a', 'Z', ' ', '\n', '"', '\\', '\u0000', '\u001f', 'é', 'ß', '€', '漢', 'م', '\u2028', '😀', '𝕏', '👩‍👩‍👧', '\ud83d', '\ude00', '\ufeff', '\uffff'];
  let s = '';
  while (s.length < length) s += pieces[next() % pieces.length];
  return s.slice(0, length);
}

describe('fingerprintOf', () => {
  it.each(pinned)('gives the stored value for %s content', async (_name, content, expected) => {
    expect(await fingerprintOf(content)).toBe(expected);
    expect(await referenceFingerprint(content)).toBe(expected);
  });

  it('matches the original WebCrypto definition over varied content and every length near a block boundary', async () => {
    for (let n = 0; n < 300; n++) {
      const content = contentOf(message(`m${n}`, {
        sender: n % 7 === 0 ? null : textOf(n + 1000, n % 13),
        text: textOf(n, n),
        links: n % 5 === 0 ? [`https://example.org/${textOf(n + 2000, 8)}`] : [],
        quote: n % 3 === 0 ? { author: n % 2 ? null : 'Ana', text: textOf(n + 3000, n % 40), messageId: n % 2 ? 'Q' : null } : null,
        reactions: n % 4 === 0 ? [{ emoji: '👍', count: n }] : [],
        edited: n % 6 === 0,
        direction: n % 2 ? 'ltr' : null,
      }));
      expect(await fingerprintOf(content), `message ${n}`).toBe(await referenceFingerprint(content));
    }
  });

  it('ignores the displayed time, the send time and the quote match, and nothing else', async () => {
    const base = contentOf(message('A', { quote: { author: 'Bo', text: 'q', messageId: null } }));
    const fp = await fingerprintOf(base);
    expect(await fingerprintOf({ ...base, sentAtText: '10:31', sentAt: null, quote: { author: 'Bo', text: 'q', messageId: 'X' } })).toBe(fp);
    expect(await fingerprintOf({ ...base, text: `${base.text} ` })).not.toBe(fp);
    expect(await fingerprintOf({ ...base, quote: { author: 'Bo', text: 'q2', messageId: null } })).not.toBe(fp);
    expect(await fingerprintOf({ ...base, reactions: [{ emoji: '👍', count: 1 }] })).not.toBe(fp);
  });
});
