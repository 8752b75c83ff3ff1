/**
 * The email route of 44 U.S.C. 2911: an .eml draft addressed to the official account, with the
 * signed bundle attached, that Outlook and Thunderbird open as a ready-to-send message
 * (`X-Unsent: 1`). Platform-neutral (MV3 service worker and Node 20): no node: imports.
 * What the draft holds and how clients treat it: docs/forwarding-email.md.
 *
 * Everything the user did not type into Settings is untrusted (thread titles, names), so:
 * - untrusted header text goes only into Subject, after every control character (CR and LF
 *   included) has become a space, and as RFC 2047 encoded-words whenever it is not plain,
 *   foldable ASCII; no input can end the header line, add a header or start the body;
 * - the body parts are quoted-printable and base64, whose output never contains "=_", and the
 *   boundary starts with "=_" (the RFC 2045 section 6.7 trick), so no input can close a part;
 * - every other header value is checked syntax (addresses, hex, base64url, domain, media type)
 *   or built here, and the call throws rather than write something else.
 *
 * Reproducible: the same input gives the same bytes. The boundary and the Message-ID come from
 * the bundle's SHA-256 (checked against the attachment) and `date`, not from randomness.
 */
import { sha256HexSync } from '../shared/sha256-sync';

export interface EmlDraftInput {
  /** The official account: a plain addr-spec (see isOfficialAddress), e.g. records@agency.gov. */
  to: string;
  /** Optional sender, a plain addr-spec. Absent: no From header; the client fills in the account. */
  from?: string;
  /** Untrusted (holds thread titles). */
  subject: string;
  /** Plain-text body lines, untrusted (thread titles, names). Each stays one line. */
  summaryLines: string[];
  attachment: { fileName: string; mediaType: string; bytes: Uint8Array };
  /** Date header, written with this machine's UTC offset for that instant. */
  date: Date;
  /** Right-hand side of the Message-ID, e.g. 'threadkeeper.invalid'. */
  messageIdDomain: string;
  /** Lowercase hex SHA-256 of attachment.bytes (checked). Header X-Threadkeeper-Bundle-SHA256 and body. */
  bundleSha256: string;
  /** RFC 7638 thumbprint of the signing key (43 base64url characters). Header X-Threadkeeper-Key and body. */
  keyThumbprint: string;
}

const CRLF = '\r\n';
/** RFC 5322 section 2.1.1: lines SHOULD be at most 78 characters (998 is the hard limit). */
const MAX_LINE = 78;
/** RFC 2047 section 2: a header line holding an encoded-word is at most 76 characters. */
const MAX_ENCODED_WORD_LINE = 76;
/** RFC 2045 section 6.8: base64 lines are at most 76 characters. */
const BASE64_LINE = 76;
/** RFC 2045 section 6.7: quoted-printable lines are at most 76 characters, "=" included. */
const QP_LINE = 76;

const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Addresses

// RFC 5322 section 3.2.3 atext; a dot-atom local part. Quoted local parts, comments, display
// names, angle brackets, lists and address literals are refused: the settings page wants one
// bare mailbox, and the header writer never has to quote anything.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
// RFC 1035 labels; internationalized domains must be entered in their xn-- form.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

function isHostName(name: string, minLabels: number): boolean {
  if (name.length > 253) return false;
  const labels = name.split('.');
  return labels.length >= minLabels && labels.every((l) => LABEL.test(l));
}

/**
 * True when `s` is exactly one plain email address (addr-spec): `local@domain.tld`, ASCII, no
 * spaces, no display name, no `<…>`, no list, a domain of at least two labels with an
 * alphabetic (or xn--) top level. The settings page trims before asking.
 */
export function isOfficialAddress(s: string): boolean {
  if (typeof s !== 'string' || s.length > 254) return false;
  const at = s.lastIndexOf('@');
  if (at <= 0) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  return isHostName(domain, 2) && TOP_LEVEL.test(domain.slice(domain.lastIndexOf('.') + 1));
}

// ---------------------------------------------------------------------------------------------
// Untrusted text

/**
 * Text that cannot break a line: CRLF becomes one space, and every other control character
 * (C0 including TAB, CR and LF; DEL; C1 including NEL) and U+2028/U+2029 a space. Everything
 * else (emoji, right-to-left text, bidi controls, "--", "=?") is kept as it is.
 */
function inertText(s: string): string {
  return s.replace(/\r\n/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}

function utf8Length(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4; // a lone surrogate is encoded as U+FFFD: 3 bytes
}

// ---------------------------------------------------------------------------------------------
// Headers

/** Printable ASCII words separated by single spaces: written as is, folded at the spaces. */
const PLAIN_WORDS = /^[\x21-\x7e]+(?: [\x21-\x7e]+)*$/;

/**
 * An unstructured header field (RFC 5322 section 3.2.5) from untrusted text. Plain ASCII that
 * folds into 78-character lines is written as is; anything else (non-ASCII, runs of spaces,
 * leading or trailing spaces, a word too long to fold, or a literal "=?" that a client would
 * try to decode) becomes RFC 2047 "B" encoded-words, so it decodes to exactly the inert text.
 */
function unstructuredField(name: string, untrusted: string): string {
  const value = inertText(untrusted);
  const prefix = `${name}: `;
  if (value === '') return `${name}:`;
  const words = value.split(' ');
  const plain = PLAIN_WORDS.test(value) && !value.includes('=?') && words.every((w) => prefix.length + w.length <= MAX_LINE);
  return plain ? foldAtSpaces(prefix + words[0], words.slice(1)) : prefix + encodedWords(value, MAX_ENCODED_WORD_LINE - prefix.length);
}

function foldAtSpaces(first: string, rest: string[]): string {
  const lines: string[] = [];
  let line = first;
  for (const word of rest) {
    if (line.length + 1 + word.length > MAX_LINE) {
      lines.push(line);
      line = ` ${word}`;
    } else {
      line += ` ${word}`;
    }
  }
  lines.push(line);
  return lines.join(CRLF);
}

/**
 * `=?utf-8?B?…?=` words joined by folding whitespace (which decoders drop between adjacent
 * encoded-words). Each word holds whole code points (RFC 2047 section 5) and each line stays
 * within 76 characters: the first within `firstBudget`, the others after one leading space.
 */
function encodedWords(value: string, firstBudget: number): string {
  const payloadBytes = (budget: number) => Math.floor((budget - '=?utf-8?B??='.length) / 4) * 3;
  const words: string[] = [];
  let limit = payloadBytes(firstBudget);
  let chunk = '';
  let chunkBytes = 0;
  for (const ch of value) {
    const n = utf8Length(ch.codePointAt(0)!);
    if (chunkBytes + n > limit) {
      words.push(`=?utf-8?B?${base64String(encoder.encode(chunk))}?=`);
      chunk = '';
      chunkBytes = 0;
      limit = payloadBytes(MAX_ENCODED_WORD_LINE - 1);
    }
    chunk += ch;
    chunkBytes += n;
  }
  words.push(`=?utf-8?B?${base64String(encoder.encode(chunk))}?=`);
  return words.join(`${CRLF} `);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 section 3.3 date-time in this machine's offset, e.g. `Mon, 28 Sep 2026 10:30:00 -0400`. */
function rfc5322Date(d: Date): string {
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  return (
    `${DAYS[d.getDay()]}, ${pad2(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ` +
    `${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`
  );
}

/** `YYYYMMDDTHHMMSSZ` (UTC): the timestamp part of the Message-ID. */
function utcStamp(d: Date): string {
  return (
    `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}` +
    `T${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}Z`
  );
}

/**
 * The attachment's file name, guarded although the caller generates safe ASCII names: control
 * characters and path separators become "_". Plain printable ASCII (no quote or backslash) is
 * a quoted-string. Otherwise the exact name goes only in RFC 2231 `filename*0*=utf-8''…`
 * sections (lines within 78 characters): with a plain `filename` beside it, some parsers
 * (Python's email package) take the plain one. Content-Type `name` (legacy readers) then
 * gets an ASCII stand-in, non-ASCII, quote and backslash as "_".
 */
function fileNameParams(raw: string): { name: string; display: string; dispositionParams: string[] } {
  const display = raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029/\\]/g, '_');
  if (display.trim() === '' || /^\.+$/.test(display)) throw new Error(`emlDraft: attachment file name ${JSON.stringify(raw)} is empty or only dots`);
  if (display.length > 200) throw new Error('emlDraft: attachment file name is longer than 200 characters');
  const ascii = display.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (ascii === display) return { name: ascii, display, dispositionParams: [`filename="${ascii}"`] };
  // RFC 2231 attribute-char: CHAR except SPACE, CTLs, "*", "'", "%" and tspecials.
  const encoded = Array.from(encoder.encode(display), (b) =>
    /[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
  const sections: string[] = [];
  let rest = `utf-8''${encoded}`;
  while (rest !== '') {
    let take = Math.min(rest.length, 60);
    if (rest[take - 1] === '%') take -= 1; // never split a %XX escape
    else if (rest[take - 2] === '%') take -= 2;
    sections.push(`filename*${sections.length}*=${rest.slice(0, take)}`);
    rest = rest.slice(take);
  }
  return { name: ascii, display, dispositionParams: sections };
}

/** `param; param; …` each on its own folded line after `head;`. */
function withParams(head: string, params: string[]): string {
  return [head, ...params].map((p, i, all) => (i === 0 ? p : ` ${p}`) + (i < all.length - 1 ? ';' : '')).join(CRLF);
}

// ---------------------------------------------------------------------------------------------
// Bodies

const BASE64_ALPHABET = encoder.encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');

/** Base64 as ASCII bytes, CRLF after every 76 characters, no CRLF after the last line. */
function base64Body(bytes: Uint8Array): Uint8Array {
  const chars = Math.ceil(bytes.length / 3) * 4;
  const out = new Uint8Array(chars + Math.max(0, Math.ceil(chars / BASE64_LINE) - 1) * 2);
  let o = 0;
  let column = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    if (column === BASE64_LINE) {
      out[o++] = 13;
      out[o++] = 10;
      column = 0;
    }
    const b0 = bytes[i]!;
    const b1 = i + 1 < bytes.length ? bytes[i + 1]! : -1;
    const b2 = i + 2 < bytes.length ? bytes[i + 2]! : -1;
    out[o++] = BASE64_ALPHABET[b0 >> 2]!;
    out[o++] = BASE64_ALPHABET[((b0 & 3) << 4) | (b1 < 0 ? 0 : b1 >> 4)]!;
    out[o++] = b1 < 0 ? 0x3d : BASE64_ALPHABET[((b1 & 15) << 2) | (b2 < 0 ? 0 : b2 >> 6)]!;
    out[o++] = b2 < 0 ? 0x3d : BASE64_ALPHABET[b2 & 63]!;
    column += 4;
  }
  return out;
}

function base64String(bytes: Uint8Array): string {
  let s = '';
  for (const b of base64Body(bytes)) s += String.fromCharCode(b);
  return s;
}

/**
 * One text line (no CR or LF in it) as quoted-printable lines of at most 76 characters, soft
 * breaks ("=" at the end) between whole characters. Literal: printable ASCII except "=", and
 * a space that is not last. At the start of an output line "-", "." and "F" are escaped too,
 * so no line can look like a boundary, an SMTP end-of-data or an mbox "From " line.
 */
function quotedPrintableLine(line: string): string[] {
  const out: string[] = [];
  const chars = Array.from(line);
  let current = '';
  const token = (ch: string, last: boolean, atStart: boolean): string => {
    const c = ch.codePointAt(0)!;
    if (c > 0x20 && c < 0x7f && c !== 0x3d && !(atStart && (ch === '-' || ch === '.' || ch === 'F'))) return ch;
    if (c === 0x20 && !last) return ch;
    return Array.from(encoder.encode(ch), (b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  };
  chars.forEach((ch, i) => {
    const last = i === chars.length - 1;
    let t = token(ch, last, current === '');
    if (current.length + t.length > QP_LINE - 1) {
      out.push(`${current}=`);
      current = '';
      t = token(ch, last, true);
    }
    current += t;
  });
  out.push(current);
  return out;
}

function summaryBody(input: EmlDraftInput, fileName: string): string[] {
  // Indented, so an untrusted line cannot pass for one of the lines above it.
  const summary = input.summaryLines.map((l) => (l === '' ? '' : `  ${inertText(l)}`));
  return [
    'Threadkeeper: preserved messages, forwarded to an official electronic',
    'messaging account (44 U.S.C. 2911). The attached bundle is the complete',
    'copy; this text only summarizes it.',
    '',
    `Attached bundle: ${fileName} (${input.attachment.bytes.length} bytes)`,
    `Bundle SHA-256: ${input.bundleSha256}`,
    `Signing key thumbprint: ${input.keyThumbprint}`,
    ...(summary.length > 0 ? ['', 'Summary:', ...summary] : []),
    '',
    'To check the bundle offline (signature, every hash, this key):',
    `  threadkeeper-verify ${fileName} --key ${input.keyThumbprint}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// The draft

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`emlDraft: ${message}`);
}

/**
 * The bytes of an .eml file (CRLF line endings): a multipart/mixed draft with a
 * quoted-printable UTF-8 text part and the bundle as a base64 attachment. Throws on any input
 * that is not what it claims to be (see the checks below); never writes a partial draft.
 */
export function emlDraft(input: EmlDraftInput): Uint8Array {
  const { to, from, subject, summaryLines, attachment, date, messageIdDomain, bundleSha256, keyThumbprint } = input;
  check(isOfficialAddress(to), `"to" is not one plain email address: ${JSON.stringify(to)}`);
  check(from === undefined || isOfficialAddress(from), `"from" is not one plain email address: ${JSON.stringify(from)}`);
  check(typeof subject === 'string', 'subject must be a string');
  check(Array.isArray(summaryLines) && summaryLines.every((l) => typeof l === 'string'), 'summaryLines must be strings');
  check(date instanceof Date && !Number.isNaN(date.getTime()), 'date is not a valid Date');
  check(date.getFullYear() >= 1900 && date.getFullYear() <= 9999, 'date must be in the years 1900-9999');
  check(typeof messageIdDomain === 'string' && isHostName(messageIdDomain, 1), `messageIdDomain is not a host name: ${JSON.stringify(messageIdDomain)}`);
  check(/^[0-9a-f]{64}$/.test(bundleSha256), 'bundleSha256 must be 64 lowercase hex digits');
  check(/^[A-Za-z0-9_-]{43}$/.test(keyThumbprint), 'keyThumbprint must be an RFC 7638 SHA-256 thumbprint (43 base64url characters)');
  check(attachment?.bytes instanceof Uint8Array && attachment.bytes.length > 0, 'attachment bytes are missing or empty');
  check(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/.test(attachment.mediaType), `attachment media type ${JSON.stringify(attachment.mediaType)} is not type/subtype`);
  check(typeof attachment.fileName === 'string', 'attachment file name must be a string');
  // The header and body promise this hash to the records officer: it must be the attachment's.
  check(sha256HexSync(attachment.bytes) === bundleSha256, 'bundleSha256 is not the SHA-256 of the attachment bytes');

  const file = fileNameParams(attachment.fileName);
  // "=_" cannot occur in quoted-printable or base64 output (RFC 2045 section 6.7 note 8), so
  // this boundary cannot occur inside either part, whatever the input. The hash makes it
  // look random and keeps the output reproducible.
  const boundary = `=_tk_${bundleSha256.slice(0, 40)}`;

  const headers = [
    `Date: ${rfc5322Date(date)}`,
    ...(from === undefined ? [] : [`From: ${from}`]),
    `To: ${to}`,
    unstructuredField('Subject', subject),
    `Message-ID: <${bundleSha256.slice(0, 16)}.${utcStamp(date)}@${messageIdDomain}>`,
    'MIME-Version: 1.0',
    'X-Unsent: 1',
    // 94 characters: a token cannot be folded, and one line keeps grep and naive readers working.
    `X-Threadkeeper-Bundle-SHA256: ${bundleSha256}`,
    `X-Threadkeeper-Key: ${keyThumbprint}`,
    withParams('Content-Type: multipart/mixed', [`boundary="${boundary}"`]),
  ];
  const text = summaryBody(input, file.display).flatMap(quotedPrintableLine).join(CRLF);
  const head = [
    ...headers,
    '',
    'This is a multi-part message in MIME format.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    text,
    `--${boundary}`,
    withParams(`Content-Type: ${attachment.mediaType}`, [`name="${file.name}"`]),
    'Content-Transfer-Encoding: base64',
    withParams('Content-Disposition: attachment', file.dispositionParams),
    '',
    '',
  ].join(CRLF);
  const tail = `${CRLF}--${boundary}--${CRLF}`;

  const parts = [encoder.encode(head), base64Body(attachment.bytes), encoder.encode(tail)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
