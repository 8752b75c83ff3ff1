// @vitest-environment happy-dom
/**
 * Messenger adapter against committed fixture pages (test/fixtures/messenger/README.md says
 * what each imitates), plus focused tests for the derived ids (the page has none: a second
 * capture must reproduce them), times, senders, the URL rule and errors. Times resolve in
 * America/New_York (test/setup-timezone.ts); relative times against a pinned capture clock.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { shortHash } from '../../src/adapters/dom';
import { messengerAdapter, readMessengerPage, threadFromUrl } from '../../src/adapters/messenger';
import { parseA11yLabel, parseSenderLabel, readReactionSummary } from '../../src/adapters/messenger-rows';
import { parseMessengerTime } from '../../src/adapters/messenger-time';
import type { PageRead } from '../../src/adapters/types';
import { EDITED_TEXT, documentInWindow, expectDatesMovedRowsRemembered, expectOnlyTheEditRead, fixtureSet, itFailsLoudlyOnChangedLayout, itHasAnAddressForEveryPage, itReadsAsExpected, readErrorOf, windowPages } from './fixture-harness';

const FIXTURES = fixtureSet('messenger');
const { fixture } = FIXTURES;

/** The address each fixture page is read at (the adapter takes the thread key from it). */
const FIXTURE_URLS: Record<string, string> = {
  'group-messenger-com-2024-en-us': 'https://www.messenger.com/t/7712345678901234',
  'direct-e2ee-facebook-2025-en-gb': 'https://www.facebook.com/messages/e2ee/t/8823456789012345',
  demo: 'https://www.messenger.com/e2ee/t/6612345678901234',
  'changed-layout': 'https://www.messenger.com/t/7712345678901234',
};
/** The capture clock the fixtures were written for (their README): 16 Oct 2025, 12:00 local. */
const CAPTURED_AT = new Date(2025, 9, 16, 12, 0);

const parseAt = (html: string, url: string): Document => documentInWindow(url, html);
const load = (name: string): Document => parseAt(fixture(`${name}.html`), FIXTURE_URLS[name]!);
const readAt = (doc: Document, now = CAPTURED_AT): PageRead => readMessengerPage(doc, now);

const readError = (doc: Document) => readErrorOf(() => readAt(doc));

describe('fixture pages read as their expected JSON', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(CAPTURED_AT);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  // Through the adapter itself, whose clock is the (pinned) system clock.
  itReadsAsExpected(FIXTURES, ['group-messenger-com-2024-en-us', 'direct-e2ee-facebook-2025-en-gb', 'demo'], { adapter: messengerAdapter, load });
  itFailsLoudlyOnChangedLayout('changed-layout fails loudly, naming the row selectors', FIXTURES, { adapter: messengerAdapter, load, readError });
  itHasAnAddressForEveryPage(FIXTURES, FIXTURE_URLS);
});

// ---- Derived ids: the same page read again, or with newer messages, keeps its ids ----------

/** A copy of the last message row of `doc` saying `text`, with no sender label (a continuation). */
function appendContinuation(doc: Document, text: string): void {
  const rows = Array.from(doc.querySelectorAll('[role="row"]')).filter((r) => r.querySelector('[data-scope="messages_table"]'));
  const last = rows[rows.length - 1]!;
  const copy = last.cloneNode(true) as Element;
  for (const el of Array.from(copy.querySelectorAll('h5, [aria-label^="Enter, Message sent"], [aria-label="Edited"], [data-testid], a[download], [aria-label*="reaction"], [aria-label="Open photo"]'))) el.remove();
  const blocks = Array.from(copy.querySelectorAll('[dir="auto"]'));
  for (const b of blocks.slice(1)) b.remove();
  if (blocks[0]) blocks[0].textContent = text;
  last.after(copy);
}

function appendSeparatorAndMessage(doc: Document, when: string, sender: string, text: string): void {
  const rows = doc.querySelectorAll('[role="row"]');
  const last = rows[rows.length - 1]!;
  const sep = doc.createElement('div');
  sep.setAttribute('role', 'row');
  sep.append(Object.assign(doc.createElement('span'), { textContent: when }));
  const row = doc.createElement('div');
  row.setAttribute('role', 'row');
  const cell = doc.createElement('div');
  cell.setAttribute('role', 'gridcell');
  cell.setAttribute('data-scope', 'messages_table');
  const h5 = Object.assign(doc.createElement('h5'), { textContent: sender });
  const body = Object.assign(doc.createElement('div'), { textContent: text });
  body.setAttribute('dir', 'auto');
  cell.append(h5, body);
  row.append(cell);
  last.after(sep, row);
}

describe('derived ids are reproduced by a second capture', () => {
  for (const name of ['group-messenger-com-2024-en-us', 'direct-e2ee-facebook-2025-en-gb', 'demo']) {
    it(`${name}: read twice, the ids are the same and unique`, () => {
      const first = readAt(load(name)).messages.map((m) => m.messageId);
      const second = readAt(load(name)).messages.map((m) => m.messageId);
      expect(second).toEqual(first);
      expect(new Set(first).size).toBe(first.length);
    });

    it(`${name}: with a newer message appended to the last section, the shared messages keep their ids`, () => {
      const before = readAt(load(name));
      const doc = load(name);
      appendContinuation(doc, 'One more thing before I forget.');
      const after = readAt(doc);
      expect(after.messages).toHaveLength(before.messages.length + 1);
      expect(after.messages.slice(0, -1).map((m) => m.messageId)).toEqual(before.messages.map((m) => m.messageId));
      expect(before.messages.map((m) => m.messageId)).not.toContain(after.messages.at(-1)!.messageId);
    });

    it(`${name}: with a new time separator and message appended, the shared messages keep their ids`, () => {
      const before = readAt(load(name));
      const doc = load(name);
      appendSeparatorAndMessage(doc, 'Oct 16, 2025, 11:58 AM', 'Ana Lima', 'New day, new question.');
      const after = readAt(doc);
      expect(after.messages.slice(0, -1).map((m) => m.messageId)).toEqual(before.messages.map((m) => m.messageId));
      expect(after.messages.at(-1)).toMatchObject({ sender: 'Ana Lima', sentAt: '2025-10-16T11:58:00-04:00' });
    });
  }

  it('an identical message appended to the same section gets the next ordinal, not a repeat id', () => {
    const doc = load('group-messenger-com-2024-en-us');
    appendContinuation(doc, 'Agenda is here: https://example.org/permits/agenda');
    const ids = readAt(doc).messages.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const parts = ['msg', 't/7712345678901234', 'at:2025-07-14T13:02:00.000Z', 'You', 'Agenda is here: https://example.org/permits/agenda'].join('\u0000');
    expect(ids.slice(-2)).toEqual([`msg-${shortHash(`${parts}\u00000`)}`, `msg-${shortHash(`${parts}\u00001`)}`]);
  });

  it('the id is FNV-1a 64 of thread, section time, sender, text and ordinal, as documented', () => {
    const { messages } = readAt(load('group-messenger-com-2024-en-us'));
    const key = (sender: string, text: string, ordinal: number) =>
      `msg-${shortHash(['msg', 't/7712345678901234', 'at:2025-07-14T13:02:00.000Z', sender, text, String(ordinal)].join('\u0000'))}`;
    const oks = messages.filter((m) => m.text === 'ok').map((m) => [m.sender, m.messageId]);
    expect(oks).toEqual([
      ['Ben Ortiz', key('Ben Ortiz', 'ok', 0)],
      ['Ana Lima', key('Ana Lima', 'ok', 0)],
      ['Ben Ortiz', key('Ben Ortiz', 'ok', 1)],
    ]);
  });

  it('older history loading above keeps the ids of complete sections and of the partial one on top', () => {
    const rows = (n: number) =>
      Array.from({ length: n }, (_, i) => `<div role="row"><div role="gridcell" data-scope="messages_table">${i === 0 ? '<h5>Ana Lima</h5>' : ''}<div dir="auto">same words</div></div></div>`).join('');
    const sep = (t: string) => `<div role="row"><span>${t}</span></div>`;
    const pageOf = (body: string) => parseAt(`<html><body><div role="main"><div role="log" aria-label="Messages in conversation titled Crew">${body}</div></div></body></html>`, 'https://www.messenger.com/t/100');
    // Loaded window: 2 rows whose separator is not loaded yet, then a full section.
    const window1 = readAt(pageOf(rows(2) + sep('Jul 2, 2025, 9:00 AM') + rows(2)));
    // Scrolled up: one more row of that top section appeared above them (still no separator).
    const window2 = readAt(pageOf(rows(3) + sep('Jul 2, 2025, 9:00 AM') + rows(2)));
    const ids1 = window1.messages.map((m) => m.messageId);
    const ids2 = window2.messages.map((m) => m.messageId);
    expect(ids2.slice(1)).toEqual(ids1);
    expect(new Set(ids2).size).toBe(5);
  });

  it('a relative time shown differently on later days resolves to the same instant and id', () => {
    const pageWith = (when: string) =>
      parseAt(`<html><body><div role="main"><div role="grid" aria-label="Messages in conversation titled Crew"><div role="row"><span>${when}</span></div><div role="row"><div role="gridcell" data-scope="messages_table"><h5>Ana Lima</h5><div dir="auto">Running late</div></div></div></div></div></body></html>`, 'https://www.messenger.com/t/100');
    // Wednesday 15 Oct 2025, 5:35 PM, as the page shows it that day, the next day, within the week, and later.
    const reads = [
      readAt(pageWith('5:35 PM'), new Date(2025, 9, 15, 18, 0)),
      readAt(pageWith('Yesterday at 5:35 PM'), new Date(2025, 9, 16, 9, 0)),
      readAt(pageWith('Wed 5:35 PM'), new Date(2025, 9, 19, 9, 0)),
      readAt(pageWith('Oct 15, 5:35 PM'), new Date(2025, 10, 30, 9, 0)),
      readAt(pageWith('Oct 15, 2025, 5:35 PM'), new Date(2026, 4, 1, 9, 0)),
    ].map((r) => r.messages[0]!);
    expect(new Set(reads.map((m) => m.messageId)).size).toBe(1);
    expect(new Set(reads.map((m) => m.sentAt))).toEqual(new Set(['2025-10-15T17:35:00-04:00']));
  });

  it('a platform id, where a build shows one, is used as it is [U]', () => {
    const doc = parseAt('<html><body><div role="main"><div role="log" aria-label="Messages in conversation with Crew"><div role="row" data-message-id="mid.$gABCDEF123"><div aria-roledescription="message" aria-label="At June 11, 2026, 8:59 AM, You: phone booth"><div dir="auto">phone booth</div></div></div></div></div></body></html>', 'https://www.messenger.com/t/100');
    expect(readAt(doc, new Date(2026, 5, 12)).messages.map((m) => [m.messageId, m.sender, m.fromSelf, m.sentAt, m.sentAtText])).toEqual([
      ['mid.$gABCDEF123', 'You', true, '2026-06-11T08:59:00-04:00', 'June 11, 2026, 8:59 AM'],
    ]);
  });
});

// ---- Focused tests ------------------------------------------------------------------------

describe('addresses', () => {
  it.each([
    ['https://www.messenger.com/t/7712345678901234', 't/7712345678901234'],
    ['https://www.messenger.com/t/7712345678901234/', 't/7712345678901234'],
    ['https://www.messenger.com/e2ee/t/8823456789012345', 'e2ee/t/8823456789012345'],
    ['https://www.facebook.com/messages/t/7712345678901234', 't/7712345678901234'],
    ['https://www.facebook.com/messages/e2ee/t/8823456789012345/', 'e2ee/t/8823456789012345'],
    ['https://www.messenger.com/t/jordan.blake.5', 't/jordan.blake.5'],
    ['https://www.messenger.com/', null],
    ['https://www.facebook.com/t/7712345678901234', null],
    ['https://www.facebook.com/messages/', null],
    ['http://www.messenger.com/t/7712345678901234', null],
    ['https://messenger.com/t/7712345678901234', null],
    ['https://www.messenger.com.example.org/t/1', null],
  ])('%s → %s', (url, key) => {
    expect(threadFromUrl(url)).toBe(key);
  });

  it('matchesUrl is strict: https, exact hosts, and /messages on facebook.com', () => {
    const ok = (u: string) => messengerAdapter.matchesUrl(new URL(u));
    expect(ok('https://www.messenger.com/t/1')).toBe(true);
    expect(ok('https://www.facebook.com/messages/t/1')).toBe(true);
    expect(ok('https://www.facebook.com/messages')).toBe(true);
    expect(ok('https://www.facebook.com/')).toBe(false);
    expect(ok('https://www.facebook.com/messagesx/t/1')).toBe(false);
    expect(ok('https://www.facebook.com/marketplace/inbox/')).toBe(false);
    expect(ok('http://www.messenger.com/t/1')).toBe(false);
    expect(ok('https://messenger.com/t/1')).toBe(false);
    expect(ok('https://m.facebook.com/messages/t/1')).toBe(false);
    expect(messengerAdapter.matches).toEqual(['https://www.messenger.com/*', 'https://www.facebook.com/messages/*']);
  });

  it('without a thread in the address the key falls back to the title; the inbox is not an open conversation', () => {
    const body = '<div role="main"><div role="grid" aria-label="Messages in conversation titled Crew"><div role="row"><div role="gridcell" data-scope="messages_table"><h5>Ana Lima</h5><div dir="auto">hi</div></div></div></div></div>';
    expect(readAt(parseAt(`<html><body>${body}</body></html>`, 'https://www.messenger.com/')).thread.threadKey).toBe('title:Crew');
    const inbox = parseAt('<html><body><div role="main"><h1>Chats</h1></div></body></html>', 'https://www.messenger.com/');
    expect(messengerAdapter.conversationOpen(inbox)).toBe(false);
    expect(readError(inbox).adapter).toBe('messenger');
  });
});

describe('times', () => {
  const now = new Date(2025, 9, 16, 12, 0); // Thursday
  it.each([
    ['Jul 11, 2025, 5:35 PM', '2025-07-11T17:35'],
    ['Fri, Jul 11, 2025, 5:35 PM', '2025-07-11T17:35'],
    ['July 11, 2025 at 5:35 PM', '2025-07-11T17:35'],
    ['14 Oct 2025, 09:15', '2025-10-14T09:15'],
    ['14 October 2025 at 09:15', '2025-10-14T09:15'],
    ['Sept 3, 2025, 12:05 AM', '2025-09-03T00:05'],
    ['Dec 24, 9:00 AM', '2024-12-24T09:00'],
    ['Oct 16 at 11:00', '2025-10-16T11:00'],
    ['Yesterday at 18:40', '2025-10-15T18:40'],
    ['Today 8:59 AM', '2025-10-16T08:59'],
    ['8:59\u202fAM', '2025-10-16T08:59'],
    ['Wed 5:35 PM', '2025-10-15T17:35'],
    ['Thursday at 17:35', '2025-10-09T17:35'],
  ])('%s', (text, local) => {
    const d = parseMessengerTime(text, now);
    const pad = (n: number) => String(n).padStart(2, '0');
    expect(d && `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`).toBe(local);
  });

  it.each(['Sent', 'Seen by Ana', 'Feb 30, 2025, 1:00 PM', '13:61', '25:00', 'Mayday 5:00 PM', 'Ana Lima named the group', ''])('%s is not a time', (text) => {
    expect(parseMessengerTime(text, now)).toBeNull();
  });

  it('only the first record under a separator takes its time; the others show none', () => {
    const { messages } = readAt(load('group-messenger-com-2024-en-us'));
    expect(messages.filter((m) => m.sentAt).map((m) => [m.pageOrder, m.sentAt])).toEqual([
      [0, '2025-07-11T17:35:00-04:00'],
      [6, '2025-07-14T09:02:00-04:00'],
    ]);
  });

  it('a separator in a language we do not parse is kept as a notice, not lost [U]', () => {
    const doc = parseAt('<html><body><div role="main"><div role="grid" aria-label="Messages in conversation titled Crew"><div role="row"><span>11 de jul. de 2025, 17:35</span></div><div role="row"><div role="gridcell" data-scope="messages_table"><h5>Ana Lima</h5><div dir="auto">oi</div></div></div></div></div></body></html>', 'https://www.messenger.com/t/100');
    const [m] = readAt(doc).messages;
    expect(m).toMatchObject({ type: 'event', text: '11 de jul. de 2025, 17:35', sentAt: null });
  });
});

describe('labels, senders and direction', () => {
  it.each([
    ['You sent', { name: 'You', self: true, repliesTo: null }],
    ['You replied to Ana Lima', { name: 'You', self: true, repliesTo: 'Ana Lima' }],
    ['You replied to yourself', { name: 'You', self: true, repliesTo: 'You' }],
    ['Ben Ortiz replied to you', { name: 'Ben Ortiz', self: false, repliesTo: 'You' }],
    ['Ben Ortiz replied to Ana Lima', { name: 'Ben Ortiz', self: false, repliesTo: 'Ana Lima' }],
    ['Ben Ortiz replied to himself', { name: 'Ben Ortiz', self: false, repliesTo: 'Ben Ortiz' }],
    ['Ana Lima', { name: 'Ana Lima', self: false, repliesTo: null }],
  ])('h5 "%s"', (text, label) => {
    expect(parseSenderLabel(text)).toEqual(label);
  });

  it.each([
    ['Enter, Message sent 5:35 PM by Ana Lima: see you: at 6', { timeText: '5:35 PM', sender: 'Ana Lima', text: 'see you: at 6' }],
    ['Enter, Message sent Yesterday at 18:40 by You: ok', { timeText: 'Yesterday at 18:40', sender: 'You', text: 'ok' }],
    ['At June 11, 2026, 8:59 AM, You: phone booth', { timeText: 'June 11, 2026, 8:59 AM', sender: 'You', text: 'phone booth' }],
    ['Open photo', null],
  ])('label "%s"', (label, parsed) => {
    expect(parseA11yLabel(label)).toEqual(parsed);
  });

  const row = (inner: string) => `<div role="row"><div role="gridcell" data-scope="messages_table">${inner}</div></div>`;
  const pageOf = (body: string, title = 'Crew') =>
    parseAt(`<html><body><div role="main"><div role="grid" aria-label="Messages in conversation titled ${title}">${body}</div></div></body></html>`, 'https://www.messenger.com/t/100');

  it('continuation rows carry the run forward; a delivery status alone is outgoing; a notice ends a run', () => {
    const doc = pageOf(
      row('<h5>You sent</h5><div dir="auto">a</div>') +
        row('<div dir="auto">b</div>') +
        row('<h5>Ana Lima</h5><div dir="auto">c</div>') +
        row('<div dir="auto">d</div>') +
        `<div role="row"><span>Ana Lima left the group.</span></div>` +
        row('<div dir="auto">e</div>') +
        `<div role="row">${'<div role="gridcell" data-scope="messages_table"><div dir="auto">f</div></div>'}<div data-testid="messenger_delivery_status"><span aria-label="Sent"></span></div></div>`,
    );
    expect(readAt(doc).messages.map((m) => [m.text, m.sender, m.fromSelf])).toEqual([
      ['a', 'You', true],
      ['b', 'You', true],
      ['c', 'Ana Lima', false],
      ['d', 'Ana Lima', false],
      ['Ana Lima left the group.', null, false],
      ['e', null, false], // after a notice, a row with no label has no known sender
      ['f', 'You', true],
    ]);
  });

  it('in a one-to-one chat, incoming rows without any label are the other person', () => {
    const doc = pageOf(row('<h5>Tomás Reyes</h5><div dir="auto">a</div>') + `<div role="row"><span>Tomás Reyes changed the theme.</span></div>` + row('<div dir="auto">b</div>'), 'Tomás Reyes');
    const read = readAt(doc);
    expect(read.thread.kind).toBe('direct');
    expect(read.messages.map((m) => m.sender)).toEqual(['Tomás Reyes', null, 'Tomás Reyes']);
  });

  it('nested text blocks are read once; link cards, receipts and captions are not text', () => {
    const doc = pageOf(row('<h5>Ana Lima</h5><div dir="auto"><div dir="auto">twice?</div></div><a href="https://example.org/x"><div dir="auto">Card title</div></a><span aria-label="Edited">Edited</span>'));
    const [m] = readAt(doc).messages;
    expect([m?.text, m?.links, m?.edited]).toEqual(['twice?', [], true]);
  });

  it('a reaction summary of several kinds keeps its total, as shown', () => {
    const el = parseAt('<div role="button" aria-label="3 reactions; see who reacted to this"><img alt="👍"><img alt="❤️"><span>3</span></div>', 'https://www.messenger.com/t/1').body.firstElementChild!;
    expect(readReactionSummary(el)).toEqual({ emoji: '👍❤️', count: 3 });
  });

  it('a quote that matches nothing on the page stays unlinked', () => {
    const doc = pageOf(row('<h5>Ana Lima replied to you</h5><div aria-label="Go to replied message"><div dir="auto">something from last year</div></div><div dir="auto">yes</div>'));
    expect(readAt(doc).messages[0]?.quote).toEqual({ author: 'You', text: 'something from last year', messageId: null });
  });

  it('rows but no message among them is a layout we do not know, not an empty chat', () => {
    const e = readError(pageOf('<div role="row"><span>Jul 2, 2025, 9:00 AM</span></div>'));
    expect(e.selector).toBe('[role="gridcell"][data-scope="messages_table"], h5, [aria-label^="Enter, Message sent "], [aria-label^="At "]');
  });
});

describe('history navigation', () => {
  it('finds the scrolling log, a "See older messages" control, and the start of the chat', () => {
    const doc = load('direct-e2ee-facebook-2025-en-gb');
    const nav = messengerAdapter.history!;
    expect(nav.atBeginning(doc)).toBe(true);
    expect(nav.atBeginning(load('group-messenger-com-2024-en-us'))).toBe(false);
    expect(nav.olderHistoryControl(doc)).toBeNull();
    const log = doc.querySelector('[role="log"]') as HTMLElement;
    const button = doc.createElement('div');
    button.setAttribute('role', 'button');
    button.textContent = 'See older messages';
    log.prepend(button);
    expect(nav.olderHistoryControl(doc)).toBe(button);
    expect(nav.scroller(doc)).toBe(log); // nothing scrolls yet: the log itself
    expect(nav.atBeginning(load('demo'))).toBe(true);
    log.style.overflowY = 'auto';
    Object.defineProperty(log, 'scrollHeight', { value: 2000 });
    Object.defineProperty(log, 'clientHeight', { value: 600 });
    expect(nav.scroller(doc)).toBe(log);
  });
});

describe('demo (the end-to-end page)', () => {
  it('reads the picture from the blob: URL the page script creates; markup typed as text stays text', () => {
    const doc = load('demo');
    const img = doc.querySelector('[aria-label="Open photo"] img');
    expect(img?.getAttribute('src')).toBeNull();
    img?.setAttribute('src', 'blob:https://www.messenger.com/2d5e1c40-7b8a-4f3e-9c1d-6a0b8e7f5d24');
    const { messages } = readAt(doc, new Date(2026, 2, 20));
    expect(messages.filter((m) => m.type === 'message')).toHaveLength(5);
    expect(messages.flatMap((m) => m.attachments)).toEqual([
      { kind: 'image', originalName: null, mediaType: null, thumbnail: false, missingReason: null, sourceUrl: 'blob:https://www.messenger.com/2d5e1c40-7b8a-4f3e-9c1d-6a0b8e7f5d24' },
    ]);
    expect(messages.some((m) => m.text.includes('<img src=x onerror=alert(1)>'))).toBe(true);
    const html = fixture('demo.html');
    expect(html).toMatch(/URL\.createObjectURL\(new Blob\(/);
    expect(html).not.toMatch(/\b(src|href)="https?:\/\/(?!example\.(org|gov))/);
  });
});

describe('adapter code', () => {
  it('never parses markup nor asks for layout (innerText)', () => {
    const dir = join(process.cwd(), 'src/adapters');
    for (const file of readdirSync(dir).filter((f) => f.startsWith('messenger'))) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\.(innerHTML|outerHTML|innerText)\b|insertAdjacentHTML|DOMParser/);
    }
  });
});

describe('remembered rows (auto-capture reads the chat after every burst of changes)', () => {
  // Pages in windows of their own, so the adapter can watch them (a parsed document has no window).
  const page = windowPages();
  const inWindow = (name: string): Document => page(fixture(`${name}.html`), FIXTURE_URLS[name]!);
  const messagesOf = (r: PageRead) => r.messages.filter((m) => m.type === 'message');

  it('says so, so that auto-capture reads it in small batches', () => {
    expect(messengerAdapter.remembersRows).toBe(true);
  });

  it('reads an edit made just before the read, in the same task; unchanged rows are not read again', () => {
    const doc = inWindow('group-messenger-com-2024-en-us');
    const before = readAt(doc);
    const quoted = new Set(before.messages.map((m) => m.quote?.messageId));
    const texts = [...doc.querySelectorAll('[role="gridcell"][data-scope="messages_table"] [dir="auto"]')];
    const el = texts.find((t) => { const m = messagesOf(before).find((x) => x.text === t.textContent); return m && !quoted.has(m.messageId); })!;
    const target = messagesOf(before).find((m) => m.text === el.textContent)!;
    el.textContent = EDITED_TEXT;
    // Messenger gives messages no id: a derived id follows the text, so find the row by position.
    expectOnlyTheEditRead(before, readAt(doc), (m) => m.pageOrder === target.pageOrder);
  });

  it('relative times are read against the clock on every read, though the rows are remembered', () => {
    const doc = inWindow('direct-e2ee-facebook-2025-en-gb');
    const before = messagesOf(readAt(doc));
    const dayLater = new Date(CAPTURED_AT.getTime() + 24 * 3600 * 1000);
    // Derived ids follow the time, so messages are matched by position.
    expectDatesMovedRowsRemembered(before, messagesOf(readAt(doc, dayLater)), 24 * 3600 * 1000, (m) => m.pageOrder);
  });
});
