/**
 * scanThreadJson (src/bundle/thread-scan.ts) against JSON.parse: on thousands of generated texts
 * (record-like and arbitrary, with duplicate and escaped keys, every number and string form) and
 * on damaged copies of them, it accepts exactly what JSON.parse accepts and extracts the same
 * message count and attachments. And it reads a thread.json too large to be one JavaScript string.
 */
import { describe, expect, it } from 'vitest';
import { JsonScanError, MAX_DEPTH, scanThreadJson, type ThreadScan } from '../../src/bundle/thread-scan';
import { random } from '../helpers/random';

const enc = new TextEncoder();

/** What the verifier made of a thread.json before: the whole text decoded and parsed. */
function reference(bytes: Uint8Array): ThreadScan | 'invalid' {
  let t: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (text.startsWith('\uFEFF')) return 'invalid';
    t = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  const o = t as { messages?: unknown; attachments?: unknown } | null;
  const isObject = typeof o === 'object' && o !== null && !Array.isArray(o);
  return {
    isObject,
    messages: isObject && Array.isArray(o.messages) ? o.messages.filter((m: unknown) => typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'message').length : null,
    attachments: isObject && Array.isArray(o.attachments) ? o.attachments : null,
  };
}

function scanned(bytes: Uint8Array): ThreadScan | 'invalid' {
  try {
    return scanThreadJson(bytes);
  } catch (err) {
    if (err instanceof JsonScanError) return 'invalid';
    throw err;
  }
}

/** A small deterministic generator (test/helpers/random.ts), with picks. */
function rng(seed: number) {
  const next = random(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T,>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const WS = ['', '', ' ', '\n', '\t', '\r\n  '];
const NUMBERS = ['0', '-0', '7', '-12', '3.25', '1e5', '2E-3', '-0.5e+7', '123456789012345678901234567890'];
const STRINGS = ['""', '"message"', '"event"', '"m\\u0065ssage"', '"a\\"b"', '"\\\\"', '"\\/\\b\\f\\n\\r\\t"', '"é ü 日本 😀"', '"\\ud83d\\ude00"', '"\\ud800"', '"attachments/a.jpg"'];
const KEYS = ['"type"', '"t\\u0079pe"', '"messages"', '"attachments"', '"path"', '"size"', '"sha256"', '"id"', '"versions"', '"ty pe"', '"Type"'];

function text(r: ReturnType<typeof rng>, depth: number): string {
  const w = () => r.pick(WS);
  const roll = r.int(10);
  if (depth > 4 || roll < 3) {
    const k = r.int(5);
    return k === 0 ? r.pick(NUMBERS) : k === 1 ? r.pick(STRINGS) : r.pick(['true', 'false', 'null']);
  }
  if (roll < 6) {
    const n = r.int(5);
    return `[${w()}${Array.from({ length: n }, () => text(r, depth + 1)).join(`${w()},${w()}`)}${w()}]`;
  }
  const n = r.int(6);
  return `{${w()}${Array.from({ length: n }, () => `${r.pick(KEYS)}${w()}:${w()}${text(r, depth + 1)}`).join(`${w()},${w()}`)}${w()}}`;
}

/** A record-like text: messages with types (some duplicated or escaped), attachments, other keys. */
function record(r: ReturnType<typeof rng>): string {
  const w = () => r.pick(WS);
  const message = () => {
    const parts = [`"id"${w()}:${w()}"m${r.int(99)}"`];
    for (let k = r.int(3); k >= 0; k--) parts.push(`${r.pick(['"type"', '"t\\u0079pe"', '"versions"'])}${w()}:${w()}${r.int(3) === 0 ? text(r, 3) : r.pick(['"message"', '"event"', '"m\\u0065ssage"', 'null', '1'])}`);
    return r.int(8) === 0 ? text(r, 2) : `{${w()}${parts.join(`${w()},${w()}`)}${w()}}`;
  };
  const top = [
    `"format"${w()}:${w()}"threadkeeper-thread"`,
    `"messages"${w()}:${w()}[${w()}${Array.from({ length: r.int(6) }, message).join(`,${w()}`)}${w()}]`,
    `"attachments"${w()}:${w()}${r.int(4) === 0 ? text(r, 1) : `[${Array.from({ length: r.int(3) }, () => `{"path":${r.pick(['null', '"attachments/x.png"', '7'])},"size":${r.pick(NUMBERS)},"sha256":${r.pick(STRINGS)}}`).join(',')}]`}`,
  ];
  if (r.int(3) === 0) top.push(`"messages"${w()}:${w()}${text(r, 1)}`); // a duplicate key: the last wins
  if (r.int(3) === 0) top.push(`${r.pick(KEYS)}${w()}:${w()}${text(r, 1)}`);
  for (let k = top.length - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [top[k], top[j]] = [top[j]!, top[k]!];
  }
  return `${w()}{${w()}${top.join(`${w()},${w()}`)}${w()}}${w()}`;
}

const DAMAGE = [0x22, 0x5c, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x2d, 0x2e, 0x65, 0x20, 0x0a, 0x01, 0x75, 0x6e, 0xff, 0xc3];

function damaged(r: ReturnType<typeof rng>, bytes: Uint8Array): Uint8Array {
  const out = Array.from(bytes);
  const at = r.int(out.length + 1);
  const how = r.int(3);
  if (how === 0 && out.length > 0) out.splice(Math.min(at, out.length - 1), 1);
  else if (how === 1) out.splice(at, 0, r.pick(DAMAGE));
  else if (out.length > 0) out[Math.min(at, out.length - 1)] = r.pick(DAMAGE);
  return new Uint8Array(out);
}

describe('scanThreadJson', () => {
  it('agrees with JSON.parse on generated texts and on damaged copies of them', () => {
    const r = rng(20261127);
    let valid = 0;
    let invalid = 0;
    for (let n = 0; n < 6000; n++) {
      const t = n % 2 === 0 ? record(r) : text(r, 0);
      const bytes = n % 3 === 2 ? damaged(r, enc.encode(t)) : enc.encode(t);
      const want = reference(bytes);
      expect(scanned(bytes), new TextDecoder().decode(bytes)).toEqual(want);
      if (want === 'invalid') invalid++;
      else valid++;
    }
    // Both outcomes are well represented, so neither side of the comparison is vacuous.
    expect(valid).toBeGreaterThan(3000);
    expect(invalid).toBeGreaterThan(500);
  });

  it('refuses what JSON.parse refuses, one case at a time', () => {
    const cases = ['', ' ', '{', '{"messages":[}', '{"a":1,}', '[1,]', '01', '1.', '-', '1e', '+1', '.5', 'nul', 'truex', '"\\x"', '"\\u12G4"', '"a\u0001b"', '"open', '{} {}', '{"a" 1}', '{a:1}', "{'a':1}"];
    for (const c of cases) {
      expect(reference(enc.encode(c)), c).toBe('invalid');
      expect(scanned(enc.encode(c)), c).toBe('invalid');
    }
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{}')]);
    expect(scanned(bom)).toBe('invalid');
    expect(scanned(new Uint8Array([0x22, 0xff, 0x22]))).toBe('invalid'); // not UTF-8
    expect(scanned(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))).toBe('invalid'); // an encoded surrogate is not UTF-8
  });

  it('stops at nesting no record has, with its own reason, instead of exhausting the stack', () => {
    const deep = `${'['.repeat(MAX_DEPTH + 5)}${']'.repeat(MAX_DEPTH + 5)}`;
    expect(() => scanThreadJson(enc.encode(deep))).toThrow(new JsonScanError(`nested more than ${MAX_DEPTH} levels`));
    expect(scanThreadJson(enc.encode(`${'['.repeat(MAX_DEPTH - 1)}${']'.repeat(MAX_DEPTH - 1)}`)).isObject).toBe(false);
  });

  it('reads a thread.json larger than the longest JavaScript string', () => {
    // 600 MB of messages: more than V8's 2^29 - 24 characters, so the whole text can never be
    // one string (the old way said "not valid JSON" of a valid record this size).
    const one = enc.encode('{"id":"m","type":"message","text":"' + 'x'.repeat(980) + '"},\n');
    const count = Math.ceil((600 * 1024 * 1024) / one.length);
    const head = enc.encode('{"format":"threadkeeper-thread","messages":[\n');
    const tail = enc.encode('{"id":"last","type":"event"}],"attachments":[{"path":"attachments/a.png","size":3,"sha256":"ab"}]}\n');
    const bytes = new Uint8Array(head.length + count * one.length + tail.length);
    bytes.set(head, 0);
    for (let k = 0; k < count; k++) bytes.set(one, head.length + k * one.length);
    bytes.set(tail, head.length + count * one.length);
    expect(() => new TextDecoder().decode(bytes)).toThrow();
    expect(scanThreadJson(bytes)).toEqual({ isObject: true, messages: count, attachments: [{ path: 'attachments/a.png', size: 3, sha256: 'ab' }] });
  }, 120_000);
});
