/**
 * What the verifier needs of a thread.json, read from its bytes without building the record:
 * whether it is valid JSON (RFC 8259, UTF-8 without a byte-order mark), how many of its
 * `messages` are messages, and its `attachments` entries. A thread of years makes a thread.json
 * of hundreds of megabytes: JSON.parse would need it as one string (V8 refuses strings past about
 * 512 MiB, so a large valid record would be called invalid) and several times its size in
 * objects. Here the bytes are walked once; only keys, the messages' `type` values and the
 * attachments array (a few hundred small entries) become JavaScript values, each through
 * JSON.parse of its own bytes, so they mean exactly what JSON.parse would make of them (the last
 * of duplicate keys wins, as there). Platform-neutral. Checked against JSON.parse in
 * test/unit/thread-scan.test.ts.
 */

/** A thread.json that is not valid JSON (or nests deeper than any record does). */
export class JsonScanError extends Error {
  override name = 'JsonScanError';
}

export interface ThreadScan {
  /** Whether the top level is an object (not an array, string, number, true, false or null). */
  isObject: boolean;
  /** How many `messages` entries are objects whose `type` is "message"; null when `messages` is not an array. */
  messages: number | null;
  /** The `attachments` value when it is an array, else null. */
  attachments: unknown[] | null;
}

/** Far deeper than a record (about six levels); a hostile file cannot exhaust the stack. */
export const MAX_DEPTH = 512;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const DECODE_CHUNK = 4 * 1024 * 1024;

/** Valid UTF-8 with no byte-order mark, checked a chunk at a time (no string of the whole file). */
function checkUtf8(b: Uint8Array): void {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) throw new JsonScanError('starts with a byte-order mark');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for (let off = 0; off < b.length; off += DECODE_CHUNK) decoder.decode(b.subarray(off, off + DECODE_CHUNK), { stream: true });
    decoder.decode();
  } catch {
    throw new JsonScanError('not UTF-8');
  }
}

const fail = (i: number): never => {
  throw new JsonScanError(`unexpected byte at offset ${i}`);
};

function ws(b: Uint8Array, i: number): number {
  for (;;) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

const isHex = (c: number | undefined) => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

/** `b[i]` is '"'; returns the offset after the closing quote. */
function skipString(b: Uint8Array, i: number): number {
  i++;
  for (;;) {
    const c = b[i];
    if (c === undefined || c < 0x20) return fail(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const e = b[i + 1];
      if (e === 0x75) {
        if (!isHex(b[i + 2]) || !isHex(b[i + 3]) || !isHex(b[i + 4]) || !isHex(b[i + 5])) return fail(i);
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
      else return fail(i);
    } else i++;
  }
}

function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else return fail(i);
  if (b[i] === 0x2e) {
    i++;
    if (!isDigit(b[i])) return fail(i);
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) return fail(i);
    while (isDigit(b[i])) i++;
  }
  return i;
}

function skipWord(b: Uint8Array, i: number, word: readonly number[]): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return fail(i);
  return i + word.length;
}
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/**
 * Walks an object's members from its '{' at `i`: `member` gets the key's bytes (from its opening
 * to after its closing quote) and the offset of its value (after whitespace), and returns the
 * offset after the value. Returns the offset after the '}'.
 */
function members(b: Uint8Array, i: number, depth: number, member: (keyStart: number, keyEnd: number, at: number) => number): number {
  if (depth >= MAX_DEPTH) throw new JsonScanError(`nested more than ${MAX_DEPTH} levels`);
  i = ws(b, i + 1);
  if (b[i] === 0x7d) return i + 1;
  for (;;) {
    if (b[i] !== 0x22) return fail(i);
    const keyStart = i;
    const keyEnd = skipString(b, i);
    i = ws(b, keyEnd);
    if (b[i] !== 0x3a) return fail(i);
    i = ws(b, member(keyStart, keyEnd, ws(b, i + 1)));
    if (b[i] === 0x2c) i = ws(b, i + 1);
    else if (b[i] === 0x7d) return i + 1;
    else return fail(i);
  }
}

/** Whether the key whose bytes run from `start` to `end` (quotes included) is `name` (ASCII), escapes and all. */
function keyIs(b: Uint8Array, start: number, end: number, name: string): boolean {
  let plain = true;
  for (let k = start + 1; k < end - 1; k++) {
    if (b[k] === 0x5c) {
      plain = false;
      break;
    }
  }
  if (!plain) return JSON.parse(utf8.decode(b.subarray(start, end))) === name;
  if (end - start - 2 !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (b[start + 1 + k] !== name.charCodeAt(k)) return false;
  return true;
}

/** Walks an array's elements from its '[' at `i`, as `members` does. Returns the offset after the ']'. */
function elements(b: Uint8Array, i: number, depth: number, element: (at: number) => number): number {
  if (depth >= MAX_DEPTH) throw new JsonScanError(`nested more than ${MAX_DEPTH} levels`);
  i = ws(b, i + 1);
  if (b[i] === 0x5d) return i + 1;
  for (;;) {
    i = ws(b, element(i));
    if (b[i] === 0x2c) i = ws(b, i + 1);
    else if (b[i] === 0x5d) return i + 1;
    else return fail(i);
  }
}

/** Checks the value at `i` (after whitespace) and returns the offset after it. */
function skipValue(b: Uint8Array, i: number, depth: number): number {
  const c = b[i];
  if (c === 0x22) return skipString(b, i);
  if (c === 0x7b) return members(b, i, depth, (_ks, _ke, at) => skipValue(b, at, depth + 1));
  if (c === 0x5b) return elements(b, i, depth, (at) => skipValue(b, at, depth + 1));
  if (c === 0x74) return skipWord(b, i, TRUE);
  if (c === 0x66) return skipWord(b, i, FALSE);
  if (c === 0x6e) return skipWord(b, i, NULL);
  if (c === 0x2d || isDigit(c)) return skipNumber(b, i);
  return fail(i);
}

/** The value at `i`, as JSON.parse makes it from its own bytes; returns it and the offset after it. */
function valueAt(b: Uint8Array, i: number, depth: number): { value: unknown; end: number } {
  const end = skipValue(b, i, depth);
  return { value: JSON.parse(utf8.decode(b.subarray(i, end))), end };
}

/** Scans a thread.json; throws JsonScanError when it is not valid JSON. */
export function scanThreadJson(b: Uint8Array): ThreadScan {
  checkUtf8(b);
  const scan: ThreadScan = { isObject: false, messages: null, attachments: null };
  let i = ws(b, 0);
  if (b[i] !== 0x7b) i = skipValue(b, i, 0);
  else {
    scan.isObject = true;
    i = members(b, i, 0, (ks, ke, at) => {
      if (keyIs(b, ks, ke, 'messages')) {
        if (b[at] !== 0x5b) {
          scan.messages = null;
          return skipValue(b, at, 1);
        }
        let count = 0;
        const end = elements(b, at, 1, (el) => {
          if (b[el] !== 0x7b) return skipValue(b, el, 2);
          let type: unknown;
          const after = members(b, el, 2, (kks, kke, v) => {
            if (!keyIs(b, kks, kke, 'type')) return skipValue(b, v, 3);
            const t = valueAt(b, v, 3);
            type = t.value;
            return t.end;
          });
          if (type === 'message') count++;
          return after;
        });
        scan.messages = count;
        return end;
      }
      if (keyIs(b, ks, ke, 'attachments')) {
        const { value, end } = valueAt(b, at, 1);
        scan.attachments = Array.isArray(value) ? value : null;
        return end;
      }
      return skipValue(b, at, 1);
    });
  }
  if (ws(b, i) !== b.length) fail(ws(b, i));
  return scan;
}
