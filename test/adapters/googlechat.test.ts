// @vitest-environment happy-dom
/**
 * Google Chat adapter against committed fixture pages (test/fixtures/googlechat/README.md says
 * what each imitates), plus focused tests for the URL rule, ids, times, senders, topics and
 * errors. Times resolve in America/New_York (test/setup-timezone.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { googlechatAdapter, conversationFromUrl, isChatFrame } from '../../src/adapters/googlechat';
import { parseAbsoluteTimestamp } from '../../src/adapters/googlechat-message';
import type { PageRead } from '../../src/adapters/types';
import { EDITED_TEXT, documentInWindow, expectOnlyTheEditRead, fixtureSet, itFailsLoudlyOnChangedLayout, itHasAnAddressForEveryPage, itReadsAsExpected, readErrorOf, windowPages } from './fixture-harness';

const FIXTURES = fixtureSet('googlechat');
const { fixture } = FIXTURES;

/** The address each fixture page is read at (the adapter reads the conversation id from it). */
const FIXTURE_URLS: Record<string, string> = {
  'space-topics-2025-en-us': 'https://chat.google.com/u/0/app/chat/AAAAq3Hk7Zs',
  'dm-2026-pt-br': 'https://chat.google.com/app/chat/k1Yb0EAAAAE',
  demo: 'https://chat.google.com/app/chat/AAAAbR7dKq0',
  'changed-layout': 'https://chat.google.com/app/chat/AAAAq3Hk7Zs',
};

/** A document parsed as if loaded from `url` (happy-dom gives parsed documents their window's URL). */
const parseAt = (html: string, url: string): Document => documentInWindow(url, html);
const load = (name: string): Document => parseAt(fixture(`${name}.html`), FIXTURE_URLS[name]!);
const readFixture = (name: string): PageRead => googlechatAdapter.read(load(name));
const readError = (doc: Document) => readErrorOf(() => googlechatAdapter.read(doc));

describe('fixture pages read as their expected JSON', () => {
  itReadsAsExpected(FIXTURES, ['space-topics-2025-en-us', 'dm-2026-pt-br', 'demo'], { adapter: googlechatAdapter, load });
  itFailsLoudlyOnChangedLayout('changed-layout fails loudly, naming the message selectors', FIXTURES, { adapter: googlechatAdapter, load, readError });
  itHasAnAddressForEveryPage(FIXTURES, FIXTURE_URLS);
});

describe('demo (the end-to-end page)', () => {
  it('reads the picture from the blob: URL the page script creates', () => {
    const doc = parseAt(fixture('demo.html'), FIXTURE_URLS.demo!);
    const img = doc.querySelector('[data-attachment-id] img');
    expect(img?.getAttribute('src')).toBeNull();
    img?.setAttribute('src', 'blob:https://chat.google.com/5b0f8a52-33c1-4d0e-9a37-0e6f1c2d7a10');
    const { messages } = googlechatAdapter.read(doc);
    expect(messages.filter((m) => m.type === 'message')).toHaveLength(5);
    expect(messages.flatMap((m) => m.attachments)).toEqual([
      { kind: 'image', originalName: null, mediaType: null, thumbnail: false, missingReason: null, sourceUrl: 'blob:https://chat.google.com/5b0f8a52-33c1-4d0e-9a37-0e6f1c2d7a10' },
    ]);
  });

  it('keeps markup typed as text inert text, and embeds everything it needs', () => {
    const html = fixture('demo.html');
    expect(readFixture('demo').messages.some((m) => m.text.includes('<img src=x onerror=alert(1)>'))).toBe(true);
    expect(html).toMatch(/URL\.createObjectURL\(new Blob\(/);
    expect(html).toContain(`require-trusted-types-for 'script'`);
    expect(html).not.toMatch(/\b(src|href)="https?:\/\/(?!example\.(org|gov))/);
    expect(html).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML/);
  });
});

// ---- Minimal pages for focused tests ------------------------------------------------------

interface Msg {
  id: string;
  user?: string;
  name?: string;
  self?: boolean;
  ms?: number;
  text?: string;
  inner?: string;
}

function msg(m: Msg): string {
  const heading = m.name || m.self
    ? `<span role="heading" aria-level="3" data-member-id="user/human/${m.user ?? ''}">${m.self ? 'You' : `<span data-name="${m.name}">${m.name}</span>`}</span>`
    : '';
  const time = m.ms !== undefined ? `<span data-absolute-timestamp="${m.ms}">t</span>` : '';
  return (
    `<div role="group" data-id="${m.id}"${m.user ? ` data-user-id="${m.user}"` : ''}>` +
    `<div>${heading}${time}</div>` +
    (m.text !== undefined ? `<div jsname="bgckF" dir="auto">${m.text}</div>` : '') +
    (m.inner ?? '') +
    `</div>`
  );
}
const topic = (id: string, body: string): string => `<c-wiz data-topic-id="${id}">${body}</c-wiz>`;

function page(body: string, opts: { group?: string; url?: string; sidebar?: string } = {}): Document {
  const group = opts.group ?? 'space/AAAAtest001';
  return parseAt(
    `<!DOCTYPE html><html lang="en"><body>${opts.sidebar ?? ''}<div role="main">` +
      (group ? `<c-wiz data-group-id="${group}"><div>${body}</div></c-wiz>` : `<div>${body}</div>`) +
      `</div></body></html>`,
    opts.url ?? 'https://chat.google.com/app/chat/AAAAtest001',
  );
}

describe('the address and the pane name the conversation', () => {
  it.each([
    ['https://chat.google.com/app/chat/AAAAq3Hk7Zs', { id: 'AAAAq3Hk7Zs', kind: null }],
    ['https://chat.google.com/u/1/app/chat/AAAAq3Hk7Zs/tAq7Lm2Xp9c', { id: 'AAAAq3Hk7Zs', kind: null }],
    ['https://chat.google.com/room/AAAAq3Hk7Zs/tAq7Lm2Xp9c/tAq7Lm2Xp9c?cls=10', { id: 'AAAAq3Hk7Zs', kind: 'space' }],
    ['https://chat.google.com/u/0/dm/k1Yb0EAAAAE', { id: 'k1Yb0EAAAAE', kind: 'dm' }],
    ['https://chat.google.com/app/home', null],
    ['https://chat.google.com/', null],
    ['http://chat.google.com/app/chat/AAAAq3Hk7Zs', null],
    ['https://mail.google.com/chat/u/0/#chat/space/AAAAq3Hk7Zs', null],
    ['https://chat.google.com.example.org/app/chat/AAAAq3Hk7Zs', null],
  ])('%s', (url, expected) => {
    expect(conversationFromUrl(url)).toEqual(expected);
  });

  it('matchesUrl is strict: https and exactly chat.google.com', () => {
    const ok = (u: string) => googlechatAdapter.matchesUrl(new URL(u));
    expect(ok('https://chat.google.com/app/chat/AAAAq3Hk7Zs')).toBe(true);
    expect(ok('https://chat.google.com/')).toBe(true);
    expect(ok('http://chat.google.com/app/chat/AAAAq3Hk7Zs')).toBe(false);
    expect(ok('https://mail.google.com/chat/u/0/')).toBe(false);
    expect(ok('https://chat.google.com.example.org/')).toBe(false);
    expect(ok('https://example.org/chat.google.com/')).toBe(false);
    expect(googlechatAdapter.matches).toEqual(['https://chat.google.com/*']);
  });

  it('threadKey is the id in the address; the pane only says what kind it is', () => {
    const doc = page(topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: 1757599320000, text: 'x' })), { group: 'dm/AAAAtest001' });
    expect(googlechatAdapter.read(doc).thread).toMatchObject({ threadKey: 'AAAAtest001', kind: 'direct' });
  });

  it('without a conversation in the address, the pane gives the id; without either, the title', () => {
    const body = topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: 1757599320000, text: 'x' }));
    const noUrl = page(body, { url: 'https://chat.google.com/app/home' });
    expect(googlechatAdapter.read(noUrl).thread.threadKey).toBe('AAAAtest001');
    const neither = page(body, { url: 'https://chat.google.com/app/home', group: '', sidebar: '' });
    expect(googlechatAdapter.conversationOpen(neither)).toBe(false);
  });

  it('a pane for another conversation than the address fails rather than misfile messages', () => {
    const doc = page(topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: 1, text: 'x' })), { url: 'https://chat.google.com/app/chat/AAAAother99' });
    const e = readError(doc);
    expect(e.selector).toBe('c-wiz[data-group-id^="space/"], c-wiz[data-group-id^="dm/"]');
    expect(e.message).toMatch(/names conversation AAAAother99 but the open pane shows space\/AAAAtest001/);
  });

  it('a landing page with no conversation is not "open"; a read there fails loudly', () => {
    const doc = parseAt('<html><body><div role="main"><h1>Home</h1></div></body></html>', 'https://chat.google.com/app/home');
    expect(googlechatAdapter.conversationOpen(doc)).toBe(false);
    expect(readError(doc).adapter).toBe('googlechat');
  });

  it('the title comes from the sidebar entry, else the header, else the document title', () => {
    const body = topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: 1, text: 'x' }));
    const sidebar = '<span role="listitem" data-group-id="space/AAAAtest001"><span title="Ops Room">Ops Room</span></span>';
    expect(googlechatAdapter.read(page(body, { sidebar })).thread.title).toBe('Ops Room');
    const header = parseAt(`<html><head><title>Ignored - Google Chat</title></head><body><div role="main"><div role="heading" aria-level="1">Header Room</div><c-wiz data-group-id="space/AAAAtest001">${body}</c-wiz></div></body></html>`, 'https://chat.google.com/app/chat/AAAAtest001');
    expect(googlechatAdapter.read(header).thread.title).toBe('Header Room');
    const docTitle = parseAt(`<html><head><title>Doc Room - Google Chat</title></head><body><div role="main"><c-wiz data-group-id="space/AAAAtest001">${body}</c-wiz></div></body></html>`, 'https://chat.google.com/app/chat/AAAAtest001');
    expect(googlechatAdapter.read(docTitle).thread.title).toBe('Doc Room');
  });
});

describe('ids, times and senders', () => {
  it.each([
    ['1757599320000', 1757599320000],
    ['1757599320000.123', 1757599320000],
    ['1757599320', 1757599320000],
    ['', null],
    ['Sep 11', null],
    [null, null],
  ])('data-absolute-timestamp %s', (value, ms) => {
    expect(parseAbsoluteTimestamp(value)).toBe(ms);
  });

  it('sentAt is the absolute time in the local offset, across daylight saving', () => {
    const doc = page(topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: Date.UTC(2026, 2, 8, 6, 59), text: 'before' }) + msg({ id: 'A2', user: '1', name: 'Ana', ms: Date.UTC(2026, 2, 8, 7, 1), text: 'after' })));
    expect(googlechatAdapter.read(doc).messages.map((m) => m.sentAt)).toEqual(['2026-03-08T01:59:00-05:00', '2026-03-08T03:01:00-04:00']);
  });

  it('hover buttons carry a data-id too but are not messages; a message id is read once', () => {
    const inner = '<div role="button" data-id="A1" aria-label="Add reaction"></div>';
    const doc = page(topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: 1, text: 'hi', inner })));
    expect(googlechatAdapter.read(doc).messages.map((m) => m.messageId)).toEqual(['A1']);
  });

  it('a message shown twice (thread preview and reply) is kept once, at its first place', () => {
    const doc = page(topic('t1', msg({ id: 'A1', user: '1', name: 'Ana', ms: 1, text: 'hi' }) + msg({ id: 'A2', user: '2', name: 'Ben', ms: 2, text: 'reply' })) + topic('t2', msg({ id: 'A2', user: '2', name: 'Ben', ms: 2, text: 'reply' })));
    expect(googlechatAdapter.read(doc).messages.map((m) => m.messageId)).toEqual(['A1', 'A2']);
  });

  it('a continuation takes its sender from its author id, even when the named message is further down', () => {
    const doc = page(
      topic('t1', msg({ id: 'C1', user: '7', text: 'no heading here' })) +
        topic('t2', msg({ id: 'C2', user: '8', self: true, ms: 2, text: 'mine' }) + msg({ id: 'C3', user: '8', text: 'also mine' })) +
        topic('t3', msg({ id: 'C4', user: '7', name: 'Gia Park', ms: 3, text: 'named' })),
    );
    expect(googlechatAdapter.read(doc).messages.map((m) => [m.messageId, m.sender, m.fromSelf])).toEqual([
      ['C1', 'Gia Park', false],
      ['C2', 'You', true],
      ['C3', 'You', true],
      ['C4', 'Gia Park', false],
    ]);
  });

  it('an author id never named on the page leaves the sender unknown rather than guessed', () => {
    const doc = page(topic('t1', msg({ id: 'D1', user: '1', name: 'Ana', ms: 1, text: 'a' }) + msg({ id: 'D2', user: '2', text: 'b' })));
    expect(googlechatAdapter.read(doc).messages.map((m) => m.sender)).toEqual(['Ana', null]);
  });

  it('without author ids (2026), a message whose heading names nobody continues the previous one of its topic', () => {
    const group = (id: string, heading: string, text: string) =>
      `<div role="group"><div role="heading" data-message-id="${id}">${heading}</div><div dir="auto">${text}</div></div>`;
    const doc = page(topic('t1', group('E1', 'Ana', 'a') + group('E2', '', 'b')) + topic('t2', group('E3', '', 'c')));
    expect(googlechatAdapter.read(doc).messages.map((m) => [m.messageId, m.sender, m.text])).toEqual([
      ['E1', 'Ana', 'a'],
      ['E2', 'Ana', 'b'],
      ['E3', null, 'c'], // another topic: not a continuation, sender not guessed
    ]);
  });
});

describe('topics, reactions, attachments', () => {
  it('in a space, later messages of a topic are linked to its first; a DM (one topic) has no such links', () => {
    const body = (ids: string[]) => ids.map((id, i) => msg({ id, user: String(i), name: `P${i}`, ms: i, text: `t${i}` })).join('');
    const space = page(topic('t1', body(['S1', 'S2'])) + topic('t2', body(['S3'])));
    expect(googlechatAdapter.read(space).messages.map((m) => m.quote?.messageId ?? null)).toEqual([null, 'S1', null]);
    const dm = page(topic('t1', body(['D1', 'D2', 'D3'])), { group: 'dm/AAAAtest001' });
    expect(googlechatAdapter.read(dm).messages.map((m) => m.quote)).toEqual([null, null, null]);
  });

  it('reaction chips only: not the picker, not an emoji inside the text', () => {
    const inner = '<div><div role="button" data-emoji="🔥"><img data-emoji="🔥" alt="🔥"> <span>3</span></div><div role="menuitem" data-emoji="❤️"></div></div>';
    const doc = page(topic('t1', msg({ id: 'R1', user: '1', name: 'Ana', ms: 1, text: 'hot <img data-emoji="🌶️" alt="🌶️">', inner })));
    const [m] = googlechatAdapter.read(doc).messages;
    expect([m?.text, m?.reactions]).toEqual(['hot 🌶️', [{ emoji: '🔥', count: 3 }]]);
  });

  it('files: a blob: picture is read, a data: preview is a thumbnail, a hosted file is recorded as not downloaded', () => {
    const inner =
      '<div data-attachment-id="a1"><img src="blob:https://chat.google.com/1"></div>' +
      '<div data-attachment-id="a2" title="plan.png"><img src="data:image/png;base64,iVBORw0K"></div>' +
      '<div data-attachment-type="application/vnd.ms-excel" aria-label="budget.xls"><span>budget.xls</span></div>';
    const doc = page(topic('t1', msg({ id: 'F1', user: '1', name: 'Ana', ms: 1, text: 'files', inner })));
    expect(googlechatAdapter.read(doc).messages[0]?.attachments).toEqual([
      { kind: 'image', originalName: null, mediaType: null, sourceUrl: 'blob:https://chat.google.com/1', missingReason: null, thumbnail: false },
      { kind: 'image', originalName: 'plan.png', mediaType: null, sourceUrl: 'data:image/png;base64,iVBORw0K', missingReason: null, thumbnail: true },
      { kind: 'document', originalName: 'budget.xls', mediaType: 'application/vnd.ms-excel', sourceUrl: null, missingReason: 'not downloaded in the page', thumbnail: false },
    ]);
  });

  it('a topic with no message in it is a notice, with the topic id as its id; none at all is an error', () => {
    const doc = page(topic('tN', '<span>Ana added Ben</span>') + topic('t1', msg({ id: 'M1', user: '1', name: 'Ana', ms: 1, text: 'hi' })));
    expect(googlechatAdapter.read(doc).messages.map((m) => [m.type, m.messageId, m.text])).toEqual([
      ['event', 'event-tN', 'Ana added Ben'],
      ['message', 'M1', 'hi'],
    ]);
    // Only notices and no message: a layout we do not know, not an empty conversation.
    expect(readError(page(topic('tN', '<span>Ana added Ben</span>'))).selector).toContain('[data-id][data-user-id]');
  });
});

describe('history navigation', () => {
  it('finds the pane scroller, offers no button, and knows the start of a space', () => {
    const doc = page(topic('t0', '<span>Ana created this space</span>') + topic('t1', msg({ id: 'M1', user: '1', name: 'Ana', ms: 1, text: 'hi' })));
    const nav = googlechatAdapter.history!;
    expect(nav.olderHistoryControl(doc)).toBeNull();
    expect(nav.atBeginning(doc)).toBe(true);
    const first = doc.querySelector('c-wiz[data-group-id] > div') as HTMLElement;
    // Nothing scrolls yet (everything fits): the pane's first child, where older topics appear.
    expect(nav.scroller(doc)).toBe(first);
    // A scrolling ancestor of the topics wins over a first child that does not scroll.
    const main = doc.querySelector('[role="main"]') as HTMLElement;
    main.style.overflowY = 'scroll';
    Object.defineProperty(main, 'scrollHeight', { value: 900 });
    Object.defineProperty(main, 'clientHeight', { value: 300 });
    expect(nav.scroller(doc)).toBe(main);
    first.style.overflowY = 'auto';
    Object.defineProperty(first, 'scrollHeight', { value: 900 });
    Object.defineProperty(first, 'clientHeight', { value: 300 });
    expect(nav.scroller(doc)).toBe(first);
    expect(nav.atBeginning(page(topic('t1', msg({ id: 'M1', user: '1', name: 'Ana', ms: 1, text: 'hi' }))))).toBe(false);
    // The end-to-end page starts with the space's creation, so a capture there stops at the beginning.
    expect(nav.atBeginning(parseAt(fixture('demo.html'), FIXTURE_URLS.demo!))).toBe(true);
    expect(nav.atBeginning(parseAt(fixture('space-topics-2025-en-us.html'), FIXTURE_URLS['space-topics-2025-en-us']!))).toBe(false);
  });
});

describe('adapter code', () => {
  it('never parses markup (Trusted Types) nor asks for layout (innerText)', () => {
    const dir = join(process.cwd(), 'src/adapters');
    for (const file of readdirSync(dir).filter((f) => f.startsWith('googlechat'))) {
      expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\.(innerHTML|outerHTML|innerText)\b|insertAdjacentHTML|DOMParser/);
    }
  });
});

describe('inside Gmail: Chat\'s frame at chat.google.com/u/<n>/frame', () => {
  const FRAME = 'https://chat.google.com/u/0/frame?shell=9&origin=https%3A%2F%2Fmail.google.com#cb=gtn-brain-iframe-id&id=spareFrame4';

  it('knows its own frames and nothing else', () => {
    for (const url of [FRAME, 'https://chat.google.com/frame', 'https://chat.google.com/u/3/frame?id=world']) expect(isChatFrame(new URL(url)), url).toBe(true);
    for (const url of [
      'https://chat.google.com/app/chat/AAAAbR7dKq0',
      'https://chat.google.com/u/0/frames',
      'https://chat.google.com/u/0/frame/../app',
      'http://chat.google.com/u/0/frame',
      'https://chat.google.com.evil.example/u/0/frame',
      'https://mail.google.com/chat/u/0/#chat/space/AAAAbR7dKq0',
    ]) {
      expect(isChatFrame(new URL(url)), url).toBe(false);
    }
  });

  it('reads the same thread, with the same ids, when the address names no conversation', () => {
    const inFrame = googlechatAdapter.read(parseAt(fixture('demo.html'), FRAME));
    const standalone = readFixture('demo');
    expect(conversationFromUrl(FRAME)).toBeNull();
    expect(inFrame.thread).toEqual(standalone.thread);
    expect(inFrame.messages.map((m) => [m.messageId, m.sender, m.sentAt, m.text])).toEqual(standalone.messages.map((m) => [m.messageId, m.sender, m.sentAt, m.text]));
  });
});

describe('remembered rows (auto-capture reads the conversation after every burst of changes)', () => {
  // Pages in windows of their own, so the adapter can watch them (a parsed document has no window).
  const page = windowPages();
  const inWindow = (name: string): Document => page(fixture(`${name}.html`), FIXTURE_URLS[name]!);

  it('says so, so that auto-capture reads it in small batches', () => {
    expect(googlechatAdapter.remembersRows).toBe(true);
  });

  it.each(['space-topics-2025-en-us', 'dm-2026-pt-br'])('%s: reads an edit made just before the read, in the same task; unchanged messages are not read again', (name) => {
    const doc = inWindow(name);
    const before = googlechatAdapter.read(doc);
    // A message with a text body that no later message quotes (a topic's replies quote its first message).
    const quoted = new Set(before.messages.map((m) => m.quote?.messageId));
    const target = before.messages.find((m) => m.type === 'message' && m.text !== '' && !quoted.has(m.messageId))!;
    const holder = doc.querySelector(`[data-id="${target.messageId}"]`) ?? doc.querySelector(`[data-message-id="${target.messageId}"]`)!.closest('[role="group"]')!;
    // The text: the body element (2025), or the 2026 layout's `dir="auto"` line.
    (holder.querySelector('[jsname="bgckF"]') ?? holder.querySelector(':scope > [dir="auto"]'))!.textContent = EDITED_TEXT;
    expectOnlyTheEditRead(before, googlechatAdapter.read(doc), (m) => m.messageId === target.messageId);
  });
});
