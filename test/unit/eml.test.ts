/**
 * The .eml forwarding draft (src/forward/eml.ts). The output is read back by a small parser
 * written here from the RFCs (5322 headers and folding, 2047 encoded-words, 2045
 * quoted-printable and base64, 2046 multipart, 2231 parameters), not by the module's own
 * helpers, and once more by Python's email package with raise_on_defect.
 */
import { describe, it, expect, afterEach, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emlDraft, isOfficialAddress, type EmlDraftInput } from '../../src/forward/eml';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const THUMB = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

/** Deterministic bytes that look like a ZIP (PK header, then noise). */
function zipLike(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  out.set([0x50, 0x4b, 0x03, 0x04].slice(0, length));
  return out;
}

const BUNDLE = zipLike(3000);
const LONG_NAME = 'Résumé ✓ "quoted" of a rather long thread title, with more words.zip';
const BUNDLE_SHA = sha256(BUNDLE);

function input(over: Partial<EmlDraftInput> = {}): EmlDraftInput {
  const bytes = over.attachment?.bytes ?? BUNDLE;
  return {
    to: 'records@agency.gov',
    subject: 'Records forward: Budget thread',
    summaryLines: ['Thread: Budget (WhatsApp)', 'Messages: 12, attachments: 1'],
    attachment: { fileName: 'threadkeeper-whatsapp-1a2b3c4d.zip', mediaType: 'application/zip', bytes },
    date: new Date('2026-09-28T14:30:00Z'),
    messageIdDomain: 'threadkeeper.invalid',
    bundleSha256: sha256(bytes),
    keyThumbprint: THUMB,
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// An independent reader

interface Part {
  headers: [string, string][];
  body: string;
}
interface Parsed {
  raw: string;
  headerLines: string[];
  headers: [string, string][];
  boundary: string;
  preamble: string;
  parts: Part[];
}

const utf8 = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);

/** RFC 5322 2.2 and 3.2.2: header lines up to the first empty line, continuation lines unfolded. */
function readHeaders(lines: string[]): [string, string][] {
  const fields: [string, string][] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      expect(fields.length, `continuation line first: ${line}`).toBeGreaterThan(0);
      fields[fields.length - 1]![1] += line; // unfolding removes only the CRLF
      continue;
    }
    const m = /^([\x21-\x39\x3b-\x7e]+):(.*)$/.exec(line);
    expect(m, `not a header field: ${JSON.stringify(line)}`).not.toBeNull();
    fields.push([m![1]!, m![2]!]);
  }
  return fields.map(([n, v]) => [n, v.replace(/^[ \t]+/, '')]);
}

function splitHeadBody(text: string): { headerLines: string[]; body: string } {
  const end = text.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  return { headerLines: text.slice(0, end).split('\r\n'), body: text.slice(end + 4) };
}

function parse(bytes: Uint8Array): Parsed {
  // Every byte is 7-bit ASCII and every line ends in CRLF: no bare CR or LF anywhere.
  expect(bytes.findIndex((b) => b >= 0x80)).toBe(-1);
  const raw = new TextDecoder('ascii').decode(bytes);
  expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  expect(raw.endsWith('\r\n')).toBe(true);
  for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);

  const { headerLines, body } = splitHeadBody(raw);
  const headers = readHeaders(headerLines);
  const contentType = headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
  const bm = /^multipart\/mixed;\s*boundary="([^"]{1,70})"$/.exec(contentType);
  expect(bm, contentType).not.toBeNull();
  const boundary = bm![1]!;

  // RFC 2046 5.1.1: delimiter lines are "--boundary", the last "--boundary--".
  const lines = body.split('\r\n');
  const delimiters = lines.flatMap((l, i) => (l === `--${boundary}` || l === `--${boundary}--` ? [i] : []));
  const close = lines.indexOf(`--${boundary}--`);
  expect(close).toBe(delimiters[delimiters.length - 1]);
  expect(lines.slice(close + 1)).toEqual(['']); // nothing after the close delimiter but its CRLF
  const parts: Part[] = [];
  for (let k = 0; k + 1 < delimiters.length; k++) {
    const text = lines.slice(delimiters[k]! + 1, delimiters[k + 1]).join('\r\n');
    const { headerLines: ph, body: pb } = splitHeadBody(text);
    parts.push({ headers: readHeaders(ph), body: pb });
  }
  return { raw, headerLines, headers, boundary, preamble: lines.slice(0, delimiters[0]).join('\r\n'), parts };
}

function header(fields: [string, string][], name: string): string {
  const found = fields.filter(([n]) => n.toLowerCase() === name.toLowerCase());
  expect(found.length, `exactly one ${name}`).toBe(1);
  return found[0]![1];
}

/** RFC 2047: adjacent encoded-words (whitespace between them ignored); each must be whole UTF-8. */
function decodeUnstructured(value: string): string {
  if (!value.includes('=?')) return value;
  const words = value.split(/\s+/);
  return words
    .map((w) => {
      const m = /^=\?utf-8\?B\?([A-Za-z0-9+/]*={0,2})\?=$/i.exec(w);
      expect(m, `not an encoded-word: ${w}`).not.toBeNull();
      expect(w.length).toBeLessThanOrEqual(75);
      return utf8(Buffer.from(m![1]!, 'base64'));
    })
    .join('');
}

/** RFC 2045 6.7, strictly: lines of at most 76, no trailing white space, "=" only as =XX or soft break. */
function decodeQuotedPrintable(body: string): string {
  const bytes: number[] = [];
  const lines = body.split('\r\n');
  lines.forEach((line, i) => {
    expect(line.length, line).toBeLessThanOrEqual(76);
    expect(line).not.toMatch(/[ \t]$/);
    expect(line).toMatch(/^[\x20-\x7e]*$/);
    let s = line;
    const soft = s.endsWith('=');
    if (soft) s = s.slice(0, -1);
    for (let j = 0; j < s.length; j++) {
      if (s[j] === '=') {
        const hex = s.slice(j + 1, j + 3);
        expect(hex).toMatch(/^[0-9A-F]{2}$/);
        bytes.push(parseInt(hex, 16));
        j += 2;
      } else {
        bytes.push(s.charCodeAt(j));
      }
    }
    if (!soft && i < lines.length - 1) bytes.push(13, 10);
  });
  return utf8(new Uint8Array(bytes));
}

function decodeBase64Body(body: string): Uint8Array {
  const lines = body.split('\r\n');
  lines.forEach((l, i) => {
    expect(l).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    if (i < lines.length - 1) expect(l.length).toBe(76);
    else expect(l.length).toBeLessThanOrEqual(76);
  });
  return new Uint8Array(Buffer.from(lines.join(''), 'base64'));
}

/** RFC 2231 sections `filename*0*=utf-8''…; filename*1*=…` joined and percent-decoded. */
function rfc2231FileName(disposition: string): string | null {
  const sections = [...disposition.matchAll(/filename\*(\d+)\*=([^;\s]+)/g)].sort((a, b) => Number(a[1]) - Number(b[1]));
  if (sections.length === 0) return null;
  sections.forEach((s, i) => expect(Number(s[1])).toBe(i));
  // Each section is a whole extended-value (no %XX cut in two); only the first names the charset.
  sections.forEach((s, i) => expect(i === 0 ? s[2]!.replace(/^utf-8''/, '') : s[2]).toMatch(/^(?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})+$/));
  const joined = sections.map((s) => s[2]).join('');
  expect(joined.startsWith("utf-8''")).toBe(true);
  const pct = joined.slice(7);
  const bytes: number[] = [];
  for (let i = 0; i < pct.length; i++) {
    if (pct[i] === '%') {
      bytes.push(parseInt(pct.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(pct.charCodeAt(i));
  }
  return utf8(new Uint8Array(bytes));
}

interface Read {
  parsed: Parsed;
  subject: string;
  text: string;
  textLines: string[];
  attachment: Uint8Array;
}

/** Parse, check the shape every draft must have, and decode. */
function read(bytes: Uint8Array): Read {
  const parsed = parse(bytes);
  expect(parsed.parts).toHaveLength(2);
  const [textPart, filePart] = parsed.parts as [Part, Part];
  expect(textPart.headers).toEqual([
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Transfer-Encoding', 'quoted-printable'],
  ]);
  expect(header(filePart.headers, 'Content-Transfer-Encoding')).toBe('base64');
  // No line other than the three delimiters starts with "--": no input can fake a boundary,
  // this one or any other.
  expect(parsed.raw.split('\r\n').filter((l) => l.startsWith('--'))).toHaveLength(3);
  const text = decodeQuotedPrintable(textPart.body);
  return {
    parsed,
    subject: decodeUnstructured(header(parsed.headers, 'Subject')),
    text,
    textLines: text.split('\r\n'),
    attachment: decodeBase64Body(filePart.body),
  };
}

const HEADER_NAMES = ['Date', 'To', 'Subject', 'Message-ID', 'MIME-Version', 'X-Unsent', 'X-Threadkeeper-Bundle-SHA256', 'X-Threadkeeper-Key', 'Content-Type'];

// ---------------------------------------------------------------------------------------------

afterEach(() => {
  process.env.TZ = 'America/New_York'; // test/setup-timezone.ts
});

describe('emlDraft: the draft', () => {
  it('has exactly these headers, in this order, X-Unsent: 1 among them', () => {
    const p = parse(emlDraft(input()));
    const boundary = `=_tk_${BUNDLE_SHA.slice(0, 40)}`;
    expect(p.headerLines).toEqual([
      'Date: Mon, 28 Sep 2026 10:30:00 -0400',
      'To: records@agency.gov',
      'Subject: Records forward: Budget thread',
      `Message-ID: <${BUNDLE_SHA.slice(0, 16)}.20260928T143000Z@threadkeeper.invalid>`,
      'MIME-Version: 1.0',
      'X-Unsent: 1',
      `X-Threadkeeper-Bundle-SHA256: ${BUNDLE_SHA}`,
      `X-Threadkeeper-Key: ${THUMB}`,
      'Content-Type: multipart/mixed;',
      ` boundary="${boundary}"`,
    ]);
    expect(p.headers.map(([n]) => n)).toEqual(HEADER_NAMES);
    expect(header(p.headers, 'X-Unsent')).toBe('1');
    expect(p.boundary).toBe(boundary);
    expect(p.preamble).toBe('This is a multi-part message in MIME format.\r\n');
  });

  it('writes From only when given', () => {
    const p = parse(emlDraft(input({ from: 'pat.official@agency.gov' })));
    expect(p.headers.map(([n]) => n)).toEqual(['Date', 'From', ...HEADER_NAMES.slice(1)]);
    expect(header(p.headers, 'From')).toBe('pat.official@agency.gov');
    expect(parse(emlDraft(input())).headers.some(([n]) => n === 'From')).toBe(false);
  });

  it('holds the readable summary, the hash and the key in the text part', () => {
    const r = read(emlDraft(input()));
    expect(r.text).toBe(
      [
        'Threadkeeper: preserved messages, forwarded to an official electronic',
        'messaging account (44 U.S.C. 2911). The attached bundle is the complete',
        'copy; this text only summarizes it.',
        '',
        'Attached bundle: threadkeeper-whatsapp-1a2b3c4d.zip (3000 bytes)',
        `Bundle SHA-256: ${BUNDLE_SHA}`,
        `Signing key thumbprint: ${THUMB}`,
        '',
        'Summary:',
        '  Thread: Budget (WhatsApp)',
        '  Messages: 12, attachments: 1',
        '',
        'To check the bundle offline (signature, every hash, this key):',
        `  threadkeeper-verify threadkeeper-whatsapp-1a2b3c4d.zip --key ${THUMB}`,
      ].join('\r\n'),
    );
  });

  it('attaches the bundle byte for byte as application/zip, base64 in 76-character lines', () => {
    const bytes = emlDraft(input());
    const r = read(bytes);
    const file = r.parsed.parts[1]!;
    expect(file.headers).toEqual([
      ['Content-Type', 'application/zip; name="threadkeeper-whatsapp-1a2b3c4d.zip"'],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', 'attachment; filename="threadkeeper-whatsapp-1a2b3c4d.zip"'],
    ]);
    expect(Buffer.from(r.attachment).equals(Buffer.from(BUNDLE))).toBe(true);
    expect(file.body.replace(/\r\n/g, '')).toBe(Buffer.from(BUNDLE).toString('base64'));
  });

  it.each([1, 2, 3, 56, 57, 58, 114, 200_003])('round-trips a %i-byte attachment exactly', (n) => {
    const bytes = zipLike(n, n);
    const r = read(emlDraft(input({ attachment: { fileName: 'b.zip', mediaType: 'application/zip', bytes } })));
    expect(Buffer.from(r.attachment).equals(Buffer.from(bytes))).toBe(true);
  });

  it('is reproducible: the same input gives the same bytes; the boundary follows the bundle hash', () => {
    expect(Buffer.from(emlDraft(input())).equals(Buffer.from(emlDraft(input())))).toBe(true);
    const other = zipLike(3000, 99);
    const p = parse(emlDraft(input({ attachment: { fileName: 'b.zip', mediaType: 'application/zip', bytes: other } })));
    expect(p.boundary).toBe(`=_tk_${sha256(other).slice(0, 40)}`);
    expect(p.boundary).not.toBe(`=_tk_${BUNDLE_SHA.slice(0, 40)}`);
  });

  it('keeps header lines within 78 characters (the unfoldable hash header excepted)', () => {
    const p = parse(emlDraft(input({ subject: 'word '.repeat(400).trim(), from: 'a@b.gov' })));
    for (const line of p.headerLines) {
      if (line.startsWith('X-Threadkeeper-Bundle-SHA256: ')) expect(line.length).toBe(94);
      else expect(line.length, line).toBeLessThanOrEqual(78);
    }
    // The parts' header lines. A long non-ASCII name is cut into RFC 2231 sections (its
    // percent-encoding could pass even the 998 limit); only the quoted ASCII stand-in in
    // Content-Type "name" may pass 78 (at most 200 characters).
    for (const fileName of ['threadkeeper-whatsapp-1a2b3c4d.zip', `${'é'.repeat(150)}.zip`]) {
      const q = parse(emlDraft(input({ attachment: { fileName, mediaType: 'application/zip', bytes: BUNDLE } })));
      const partHeaderLines = q.raw.split('\r\n').filter((l) => /^(Content-|\s+(name|filename))/.test(l));
      expect(partHeaderLines.length).toBeGreaterThanOrEqual(7);
      for (const l of partHeaderLines.filter((x) => !x.startsWith(' name='))) expect(l.length, l).toBeLessThanOrEqual(78);
    }
  });
});

describe('emlDraft: Date header', () => {
  it.each([
    ['America/New_York', '2026-09-28T14:30:00Z', 'Mon, 28 Sep 2026 10:30:00 -0400'],
    ['America/New_York', '2026-01-05T09:07:03Z', 'Mon, 05 Jan 2026 04:07:03 -0500'],
    ['Asia/Kolkata', '2026-09-28T14:30:00Z', 'Mon, 28 Sep 2026 20:00:00 +0530'],
    ['Asia/Kolkata', '2026-09-28T20:00:00Z', 'Tue, 29 Sep 2026 01:30:00 +0530'],
    ['America/St_Johns', '2026-09-28T14:30:00Z', 'Mon, 28 Sep 2026 12:00:00 -0230'],
    ['UTC', '2026-12-31T23:59:59Z', 'Thu, 31 Dec 2026 23:59:59 +0000'],
  ])('in %s, %s is %s', (tz, iso, expected) => {
    process.env.TZ = tz;
    const p = parse(emlDraft(input({ date: new Date(iso) })));
    expect(header(p.headers, 'Date')).toBe(expected);
    // The Message-ID's timestamp is UTC whatever the zone.
    expect(header(p.headers, 'Message-ID')).toBe(`<${BUNDLE_SHA.slice(0, 16)}.${iso.replace(/[-:]/g, '').replace('.000', '')}@threadkeeper.invalid>`);
  });
});

describe('emlDraft: subjects', () => {
  const roundTrip = (subject: string) => read(emlDraft(input({ subject })));

  it('writes plain ASCII as is and folds it at spaces', () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const r = roundTrip(long);
    const start = r.parsed.headerLines.findIndex((l) => l.startsWith('Subject: '));
    const lines = r.parsed.headerLines.slice(start, r.parsed.headerLines.findIndex((l, i) => i > start && !l.startsWith(' ')));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.join('')).not.toContain('=?');
    expect(r.subject).toBe(long);
  });

  it('encodes non-ASCII as RFC 2047 encoded-words, whole characters per word', () => {
    const s = 'Résumé 📎 Budget 👍🏽 👨‍👩‍👧 مرحبا 中文';
    const r = roundTrip(s);
    expect(header(r.parsed.headers, 'Subject')).toMatch(/^=\?utf-8\?B\?/);
    expect(r.subject).toBe(s);
  });

  it('encodes a literal "=?…?=" and runs of spaces so they come back exactly', () => {
    for (const s of ['=?utf-8?B?QmNjOiB4QGV2aWwuZXhhbXBsZQ==?=', 'two  spaces', ' leading', 'trailing ']) {
      const r = roundTrip(s);
      expect(header(r.parsed.headers, 'Subject')).toMatch(/^=\?utf-8\?B\?/);
      expect(r.subject).toBe(s);
    }
  });

  it('writes an empty subject as an empty field', () => {
    const p = parse(emlDraft(input({ subject: '' })));
    expect(p.headerLines).toContain('Subject:');
    expect(header(p.headers, 'Subject')).toBe('');
  });
});

const BOUNDARY_OF_BUNDLE = `=_tk_${BUNDLE_SHA.slice(0, 40)}`;
/** Hostile text and what it must read back as: control characters are spaces, the rest intact. */
const HOSTILE: [string, string, string][] = [
  ['CRLF header injection', 'Quarterly\r\nBcc: attacker@example.com', 'Quarterly Bcc: attacker@example.com'],
  ['bare LF and CR injection', 'a\nBcc: x@evil.example\rCc: y@evil.example', 'a Bcc: x@evil.example Cc: y@evil.example'],
  ['a blank line and our own boundary', `x\r\n\r\n--${BOUNDARY_OF_BUNDLE}\r\nContent-Type: text/html\r\n\r\n<b>`, `x  --${BOUNDARY_OF_BUNDLE} Content-Type: text/html  <b>`],
  ['a close delimiter at the start', `--${BOUNDARY_OF_BUNDLE}--`, `--${BOUNDARY_OF_BUNDLE}--`],
  ['bidi overrides and isolates', 'Budget \u202Egpj.exe\u202C \u2066\u05E9\u05DC\u05D5\u05DD\u2069 \u200F', 'Budget \u202Egpj.exe\u202C \u2066\u05E9\u05DC\u05D5\u05DD\u2069 \u200F'],
  ['NUL, TAB, DEL, C1, line and paragraph separators', 'a\u0000b\tc\u007Fd\u0085e\u009Bf\u2028g\u2029h', 'a b c d e f g h'],
  ['emoji and ZWJ sequences', '📎 👍🏽 👨‍👩‍👧 🏳️‍🌈', '📎 👍🏽 👨‍👩‍👧 🏳️‍🌈'],
  ['a lone surrogate', 'x\uD800y', 'x\uFFFDy'],
  ['10,000 ASCII characters without a space', 'A'.repeat(10_000), 'A'.repeat(10_000)],
  ['10,000 characters of mixed scripts', 'Ωé中😀 '.repeat(2_000), 'Ωé中😀 '.repeat(2_000)],
  ['QP look-alikes', '=3D =\r\n=0A= From x', '=3D = =0A= From x'],
  // 2 spaces of indent + 73 characters fill a quoted-printable line: the "--" lands at the start of the next.
  ['a boundary at a soft line break', `${'x'.repeat(73)}--${BOUNDARY_OF_BUNDLE}--`, `${'x'.repeat(73)}--${BOUNDARY_OF_BUNDLE}--`],
];

describe('emlDraft: hostile subjects and summary lines stay inert', () => {
  it.each(HOSTILE)('%s', (_name, hostile, expected) => {
    const r = read(emlDraft(input({ subject: hostile, summaryLines: ['before', hostile, 'after'] })));
    // No header added, none removed, no part added.
    expect(r.parsed.headers.map(([n]) => n)).toEqual(HEADER_NAMES);
    expect(r.parsed.parts).toHaveLength(2);
    expect(Buffer.from(r.attachment).equals(Buffer.from(BUNDLE))).toBe(true);
    // And the text reads back exactly (control characters as spaces), each summary line one line.
    expect(r.subject).toBe(expected);
    const at = r.textLines.indexOf('  before');
    expect(at).toBeGreaterThan(0);
    expect(r.textLines.slice(at, at + 3)).toEqual(['  before', `  ${expected}`, '  after']);
  });

  it('never lets a summary line start a line that looks like the fixed ones', () => {
    const r = read(emlDraft(input({ summaryLines: ['x\r\nBundle SHA-256: 0000', 'Bundle SHA-256: 1111'] })));
    expect(r.textLines.filter((l) => l.startsWith('Bundle SHA-256:'))).toEqual([`Bundle SHA-256: ${BUNDLE_SHA}`]);
  });

  it('keeps trailing spaces, "=" and 76-character lines of summary text exactly', () => {
    const lines = ['ends with spaces  ', '= at start and end =', 'x'.repeat(74), 'y'.repeat(76), '.', 'From here', '-', ''];
    const r = read(emlDraft(input({ summaryLines: lines })));
    const at = r.textLines.indexOf('Summary:') + 1;
    expect(r.textLines.slice(at, at + lines.length)).toEqual(lines.map((l) => (l === '' ? '' : `  ${l}`)));
  });
});

describe('emlDraft: attachment file names', () => {
  const disposition = (fileName: string) => {
    const p = parse(emlDraft(input({ attachment: { fileName, mediaType: 'application/zip', bytes: BUNDLE } })));
    return { p, cd: header(p.parts[1]!.headers, 'Content-Disposition'), ct: header(p.parts[1]!.headers, 'Content-Type') };
  };

  it('writes a non-ASCII name as RFC 2231 filename* and an ASCII stand-in as name', () => {
    const { cd, ct } = disposition(LONG_NAME);
    expect(cd).not.toMatch(/filename="/);
    expect(rfc2231FileName(cd)).toBe(LONG_NAME);
    expect(ct).toBe('application/zip; name="R_sum_ _ _quoted_ of a rather long thread title, with more words.zip"');
  });

  it('turns control characters and path separators into "_"', () => {
    const { p, cd } = disposition('../..\\evil\r\nContent-Type: text/html\u0000.zip');
    expect(p.parts).toHaveLength(2);
    expect(cd).toBe('attachment; filename=".._.._evil__Content-Type: text_html_.zip"');
  });

  it('refuses an empty, dots-only or over-long name', () => {
    for (const fileName of ['', '   ', '..', 'x'.repeat(201)]) {
      expect(() => emlDraft(input({ attachment: { fileName, mediaType: 'application/zip', bytes: BUNDLE } }))).toThrow(/file name/);
    }
  });
});

describe('emlDraft: refuses what it cannot write faithfully', () => {
  it.each<[string, Partial<EmlDraftInput>, RegExp]>([
    ['a "to" that is not one address', { to: 'records@agency.gov, x@evil.example' }, /"to" is not one plain email address/],
    ['a "to" with CRLF', { to: 'records@agency.gov\r\nBcc: z@evil.example' }, /"to"/],
    ['a "from" with a display name', { from: 'Pat <pat@agency.gov>' }, /"from"/],
    ['a hash that is not the attachment\'s', { bundleSha256: '0'.repeat(64) }, /not the SHA-256 of the attachment/],
    ['an uppercase hash', { bundleSha256: BUNDLE_SHA.toUpperCase() }, /64 lowercase hex/],
    ['a thumbprint with CRLF', { keyThumbprint: `${THUMB.slice(0, 41)}\r\n` }, /keyThumbprint/],
    ['a short thumbprint', { keyThumbprint: 'abc' }, /keyThumbprint/],
    ['a Message-ID domain with a space', { messageIdDomain: 'a b.invalid' }, /messageIdDomain/],
    ['a Message-ID domain with ">"', { messageIdDomain: 'x>.invalid' }, /messageIdDomain/],
    ['an invalid date', { date: new Date('nope') }, /date/],
    ['a media type with a parameter', { attachment: { fileName: 'a.zip', mediaType: 'application/zip\r\nX: y', bytes: BUNDLE } }, /media type/],
    ['an empty attachment', { attachment: { fileName: 'a.zip', mediaType: 'application/zip', bytes: new Uint8Array(0) }, bundleSha256: sha256(new Uint8Array(0)) }, /empty/],
  ])('%s', (_name, over, message) => {
    expect(() => emlDraft(input(over))).toThrow(message);
  });
});

describe('isOfficialAddress', () => {
  it.each([
    'records@agency.gov',
    'first.last@sub.agency.gov',
    'a+tag@x.mil',
    "o'brien@agency.gov",
    'RECORDS_2@Agency.Example.US',
    'x@xn--bcher-kva.example',
    'x@a-b.co',
  ])('accepts %s', (s) => expect(isOfficialAddress(s)).toBe(true));

  it.each([
    'not an email',
    'a@b',
    'x@gov',
    'x@localhost',
    'x@y.gov\r\nBcc: z@evil.example',
    '<x@y.gov>',
    'x@y.gov, z@w.gov',
    'x@y.gov;z@w.gov',
    'Pat <x@y.gov>',
    '"x y"@y.gov',
    ' x@y.gov',
    'x@y.gov ',
    'x@y.gov\n',
    '@y.gov',
    'x@',
    'x@@y.gov',
    'x@y@z.gov',
    '.x@y.gov',
    'x.@y.gov',
    'x..y@y.gov',
    'x@-y.gov',
    'x@y-.gov',
    'x@y..gov',
    'x@y.gov.',
    'x@y.123',
    'x@[192.0.2.1]',
    'jörg@agency.gov',
    'x@bücher.example',
    `${'a'.repeat(65)}@y.gov`,
    `x@${'a'.repeat(64)}.gov`,
    '',
  ])('refuses %j', (s) => expect(isOfficialAddress(s)).toBe(false));

  it('refuses what is not a string', () => {
    expect(isOfficialAddress(undefined as unknown as string)).toBe(false);
    expect(isOfficialAddress(42 as unknown as string)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// A second, unrelated reader: Python's email package, failing on any defect it notices.
// All drafts go to one python3 process (start-up costs about half a second).

const PYTHON = spawnSync('python3', ['-c', 'import email.policy'], { encoding: 'utf8' }).status === 0 ? 'python3' : null;

const PY_READER = `
import email, email.policy, hashlib, json, sys
policy = email.policy.default.clone(raise_on_defect=True)
def read(path):
    try:
        msg = email.message_from_bytes(open(path, 'rb').read(), policy=policy)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            parts.append({
                'type': part.get_content_type(),
                'filename': part.get_filename(),
                'text': content if isinstance(content, str) else None,
                'sha256': hashlib.sha256(content).hexdigest() if isinstance(content, bytes) else None,
            })
        return {'headers': [[k, str(v)] for k, v in msg.items()], 'parts': parts, 'defects': [str(d) for d in msg.defects]}
    except Exception as e:
        return {'error': repr(e)}
print(json.dumps([read(p) for p in sys.argv[1:]]))
`;

interface PyRead {
  error?: string;
  headers: [string, string][];
  parts: { type: string; filename: string | null; text: string | null; sha256: string | null }[];
  defects: string[];
}

function pythonRead(drafts: Uint8Array[]): PyRead[] {
  const dir = mkdtempSync(join(tmpdir(), 'tk-eml-'));
  try {
    const paths = drafts.map((bytes, i) => {
      const path = join(dir, `draft-${i}.eml`);
      writeFileSync(path, bytes);
      return path;
    });
    const run = spawnSync(PYTHON!, ['-c', PY_READER, ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout) as PyRead[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


describe.skipIf(!PYTHON)('emlDraft read by Python email (policy.default, raise_on_defect)', () => {
  let results: PyRead[] = [];
  beforeAll(() => {
    results = pythonRead([
      emlDraft(input({ from: 'pat@agency.gov' })),
      emlDraft(input({ attachment: { fileName: LONG_NAME, mediaType: 'application/zip', bytes: BUNDLE } })),
      ...HOSTILE.map(([, hostile]) => emlDraft(input({ subject: hostile, summaryLines: [hostile] }))),
    ]);
    expect(results).toHaveLength(2 + HOSTILE.length);
  });
  const ok = (i: number): PyRead => {
    const r = results[i]!;
    expect(r.error).toBeUndefined();
    expect(r.defects).toEqual([]);
    return r;
  };

  it('sees the same headers, the text and the attachment', () => {
    const py = ok(0);
    expect(py.headers.map(([k]) => k)).toEqual(['Date', 'From', ...HEADER_NAMES.slice(1)]);
    expect(Object.fromEntries(py.headers)['X-Unsent']).toBe('1');
    expect(Object.fromEntries(py.headers)['X-Threadkeeper-Bundle-SHA256']).toBe(BUNDLE_SHA);
    expect(py.parts.map((p) => [p.type, p.filename])).toEqual([
      ['text/plain', null],
      ['application/zip', 'threadkeeper-whatsapp-1a2b3c4d.zip'],
    ]);
    expect(py.parts[0]!.text!.split(/\r?\n/)).toContain(`Bundle SHA-256: ${BUNDLE_SHA}`);
    expect(py.parts[1]!.sha256).toBe(BUNDLE_SHA);
  });

  it('reads a non-ASCII file name from RFC 2231 sections', () => {
    expect(ok(1).parts[1]!.filename).toBe(LONG_NAME);
  });

  it.each(HOSTILE.map((h, i) => [...h, i + 2] as const))('%s: no header or part added, text intact', (_name, _hostile, expected, i) => {
    const py = ok(i);
    expect(py.headers.map(([k]) => k)).toEqual(HEADER_NAMES);
    expect(Object.fromEntries(py.headers)['Subject']).toBe(expected);
    expect(py.parts.map((p) => p.type)).toEqual(['text/plain', 'application/zip']);
    expect(py.parts[0]!.text!.split(/\r?\n/)).toContain(`  ${expected}`);
    expect(py.parts[1]!.sha256).toBe(BUNDLE_SHA);
  });
});
