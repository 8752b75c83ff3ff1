// @vitest-environment happy-dom
/**
 * Element adapter against committed fixture pages (test/fixtures/element/README.md says what
 * each imitates), plus focused tests for dates and times, senders, ids and errors. Times
 * resolve in America/New_York (test/setup-timezone.ts); pages with relative date separators
 * ("today", "Monday") are read with the clock pinned to Thu 24 Sep 2026, 15:00.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { elementAdapter, parseRoomRoute } from '../../src/adapters/element';
import { parsePermalink } from '../../src/adapters/element-tiles';
import {
  parseAbsoluteDate, parseClock, parseFullDate, parseSeparator, resolveSeparator,
} from '../../src/adapters/element-time';
import type { PageRead } from '../../src/adapters/types';
import { EDITED_TEXT, documentAt, expectOnlyTheEditRead, fixtureSet, itFailsLoudlyOnChangedLayout, itReadsAsExpected, readErrorOf, windowPages } from './fixture-harness';

const FIXTURES = fixtureSet('element');
const { fixture } = FIXTURES;

const ROOM_URL = 'https://app.element.io/#/room/!kXnQrPzLmWvTyBsA:example.org';
/** The address each fixture page is served at (the adapter reads the room id from it). */
const URLS: Record<string, string> = {
  'room-group-2023-en-us': ROOM_URL,
  'dm-bubble-2026-en-gb': 'https://app.element.io/#/room/!QwErTyUiOpAsDfGh:matrix.example.org',
  demo: 'https://app.element.io/#/room/!pRkRec2026aBcDeF:example.org',
  'changed-layout': ROOM_URL,
};
/** The reader's clock for pages with relative separators. */
const NOW = new Date('2026-09-24T15:00:00-04:00');

/** happy-dom documents take the window's address, so set it before parsing. */
const parseAt = documentAt;
const load = (name: string): Document => parseAt(URLS[name] ?? '', fixture(`${name}.html`));
const readError = (doc: Document) => readErrorOf(() => elementAdapter.read(doc));

function atClock<T>(now: Date, fn: () => T): T {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now);
  try {
    return fn();
  } finally {
    vi.useRealTimers();
  }
}

afterEach(() => vi.useRealTimers());

describe('fixture pages read as their expected JSON', () => {
  itReadsAsExpected(FIXTURES, ['room-group-2023-en-us', 'dm-bubble-2026-en-gb', 'demo'], { adapter: elementAdapter, load, read: (doc) => atClock(NOW, () => elementAdapter.read(doc)) });
  itFailsLoudlyOnChangedLayout('changed-layout fails loudly, naming the row selectors', FIXTURES, { adapter: elementAdapter, load, readError });

  it('pages with absolute dates and full-date timestamps do not depend on the clock', () => {
    const doc = load('room-group-2023-en-us');
    const later = atClock(new Date('2031-01-01T00:00:00Z'), () => elementAdapter.read(doc));
    expect(later).toEqual(JSON.parse(fixture('room-group-2023-en-us.expected.json')));
  });

  it('relative separators are counted from the clock: a day later, "today" is a day later', () => {
    const doc = load('dm-bubble-2026-en-gb');
    const next = atClock(new Date('2026-09-25T15:00:00-04:00'), () => elementAdapter.read(doc));
    expect(next.messages.map((m) => m.sentAt)).toEqual([
      '2026-09-09T09:12:00-04:00', // "Wed 9 Sept 2026" is absolute
      '2026-09-09T09:13:00-04:00',
      '2026-09-21T10:03:00-04:00', // "Monday" is still the 21st (the nearest Monday 2+ days back)
      '2026-09-21T10:20:00-04:00',
      '2026-09-24T16:45:00-04:00', // "yesterday"
      '2026-09-24T16:50:00-04:00',
      '2026-09-25T08:01:00-04:00', // "today"
      '2026-09-25T09:30:00-04:00',
    ]);
  });
});

describe('demo (the end-to-end page)', () => {
  // In happy-dom the page script does not run, so the picture has no src (the expected JSON
  // says "not downloaded in the page"). In Chromium the script gives it a blob: URL; set one
  // here the same way and check the adapter hands it to the runner.
  it('reads the picture from the blob: URL the page script creates', () => {
    const doc = load('demo');
    const url = 'blob:https://app.element.io/3b8d2f61-7c0e-4a9b-8f1d-5e6a7b8c9d0e';
    const image = doc.querySelector('.mx_RoomView_MessageList .mx_MImageBody');
    image?.querySelector('a')?.setAttribute('href', url);
    image?.querySelector('img')?.setAttribute('src', url);
    const { messages } = elementAdapter.read(doc);
    expect(messages.filter((m) => m.type === 'message')).toHaveLength(5);
    expect(messages.flatMap((m) => m.attachments)).toEqual([
      { kind: 'image', originalName: 'playground-notice.png', mediaType: null, thumbnail: false, missingReason: null, sourceUrl: url },
    ]);
  });

  it('embeds the script that makes the blob: picture and loads nothing from elsewhere', () => {
    const html = fixture('demo.html');
    expect(html).toMatch(/URL\.createObjectURL\(new Blob\(/);
    expect(html).not.toMatch(/\b(src|href)="https?:\/\/(?!(example\.(org|gov)|matrix\.to)\/)/);
  });

  it('history: the room intro marks the beginning; the scroller is the timeline pane', () => {
    const demo = load('demo');
    expect(elementAdapter.history?.atBeginning(demo)).toBe(true);
    expect(elementAdapter.history?.scroller(demo)?.classList.contains('mx_RoomView_messagePanel')).toBe(true);
    expect(elementAdapter.history?.olderHistoryControl(demo)).toBeNull();
    expect(elementAdapter.history?.atBeginning(load('room-group-2023-en-us'))).toBe(false);
  });
});

describe('dates and times', () => {
  it.each([
    ['Thu, Sep 24, 2026', { year: 2026, month: 9, day: 24 }],
    ['Thu, Sep 21 2023', { year: 2023, month: 9, day: 21 }],
    ['Thu 24 Sept 2026', { year: 2026, month: 9, day: 24 }],
    ['Do., 24. Sept. 2026', { year: 2026, month: 9, day: 24 }],
    ['mar. 24 mars 2026', { year: 2026, month: 3, day: 24 }],
    ['jue, 24 de sept de 2026', { year: 2026, month: 9, day: 24 }],
    ['Mar 3, 2026', { year: 2026, month: 3, day: 3 }],
  ])('absolute date %s', (text, date) => {
    expect(parseAbsoluteDate(text)).toEqual(date);
  });

  it.each(['Sep 31, 2026', 'Thu, Sep 24', 'Jump to date', '', 'Thu, Sep 24, 2026 (originally sent Fri)'])('%s is not a date', (text) => {
    expect(parseAbsoluteDate(text)).toBeNull();
  });

  it.each([
    ['Today', { kind: 'today' }],
    ['today', { kind: 'today' }],
    ['Heute', { kind: 'today' }],
    ['yesterday', { kind: 'yesterday' }],
    ['Monday', { kind: 'weekday', weekday: 1 }],
    ['Samstag', { kind: 'weekday', weekday: 6 }],
    ['Wed 9 Sept 2026', { kind: 'date', date: { year: 2026, month: 9, day: 9 } }],
  ])('separator %s', (label, value) => {
    expect(parseSeparator(label)).toEqual(value);
  });

  it('a weekday separator is the nearest such day at least two days back', () => {
    const thu = { year: 2026, month: 9, day: 24 };
    expect(resolveSeparator({ kind: 'weekday', weekday: 1 }, thu)).toEqual({ year: 2026, month: 9, day: 21 });
    expect(resolveSeparator({ kind: 'weekday', weekday: 2 }, thu)).toEqual({ year: 2026, month: 9, day: 22 });
    // Friday: the 18th (six days back), never tomorrow.
    expect(resolveSeparator({ kind: 'weekday', weekday: 5 }, thu)).toEqual({ year: 2026, month: 9, day: 18 });
    // Wednesday would be "yesterday", so a Wednesday label means the week before.
    expect(resolveSeparator({ kind: 'weekday', weekday: 3 }, thu)).toEqual({ year: 2026, month: 9, day: 16 });
    expect(resolveSeparator({ kind: 'yesterday' }, { year: 2026, month: 3, day: 1 })).toEqual({ year: 2026, month: 2, day: 28 });
  });

  it.each([
    ['10:30', { hour: 10, minute: 30, second: null }],
    ['10:30AM', { hour: 10, minute: 30, second: null }],
    ['12:05AM', { hour: 0, minute: 5, second: null }],
    ['2:05\u202fPM', { hour: 14, minute: 5, second: null }],
    ['9:05:00 p.m.', { hour: 21, minute: 5, second: 0 }],
    ['23:59:59', { hour: 23, minute: 59, second: 59 }],
  ])('clock %s', (text, time) => {
    expect(parseClock(text)).toEqual(time);
  });

  it.each(['24:00', '13:00PM', '10:60', 'Today', ''])('%s is not a clock', (text) => {
    expect(parseClock(text)).toBeNull();
  });

  it('the full-date title of older builds, in both the template and the Intl forms', () => {
    expect(parseFullDate('Thu, Sep 21 2023 10:30:15AM')).toEqual({ date: { year: 2023, month: 9, day: 21 }, time: { hour: 10, minute: 30, second: 15 } });
    expect(parseFullDate('Thu, 21 Sept 2023, 22:30:15')).toEqual({ date: { year: 2023, month: 9, day: 21 }, time: { hour: 22, minute: 30, second: 15 } });
    expect(parseFullDate('10:30')).toBeNull();
  });
});

// ---- Minimal pages for focused tests ------------------------------------------------------

interface Tile {
  id: string;
  self?: boolean;
  name?: string;
  continuation?: boolean;
  layout?: string;
  time?: string;
  title?: string;
  inner?: string;
}

function tile(t: Tile): string {
  const cls = `mx_EventTile${t.continuation ? ' mx_EventTile_continuation' : ''}`;
  return (
    `<li class="${cls}" data-event-id="${t.id}" data-scroll-tokens="${t.id}" data-layout="${t.layout ?? 'group'}" data-self="${t.self ? 'true' : 'false'}">` +
    (t.name ? `<div class="mx_DisambiguatedProfile"><span class="mx_DisambiguatedProfile_displayName" dir="auto">${t.name}</span></div>` : '') +
    `<div class="mx_EventTile_line">` +
    (t.time !== undefined ? `<a href="#"><span class="mx_MessageTimestamp"${t.title ? ` title="${t.title}"` : ''}>${t.time}</span></a>` : '') +
    (t.inner ?? `<div class="mx_EventTile_body" dir="auto">text of ${t.id}</div>`) +
    `</div></li>`
  );
}
const sep = (label: string): string => `<li><div class="mx_TimelineSeparator" role="separator" aria-label="${label}"><h2 class="mx_DateSeparator_dateHeading" aria-hidden="true">${label}</h2></div></li>`;

function page(rows: string, opts: { url?: string; extra?: string; title?: string } = {}): Document {
  return parseAt(
    opts.url ?? ROOM_URL,
    `<!DOCTYPE html><html><body><main class="mx_RoomView"><header><div class="mx_RoomHeader_heading">${opts.title ?? 'Test room'}</div></header>` +
      `<div class="mx_RoomView_body"><div class="mx_ScrollPanel mx_RoomView_messagePanel"><ol class="mx_RoomView_MessageList">${rows}</ol></div></div></main>${opts.extra ?? ''}</body></html>`,
  );
}
const read = (doc: Document): PageRead => atClock(NOW, () => elementAdapter.read(doc));

describe('senders', () => {
  it('a continuation carries the sender of the tile above; an event ends the run', () => {
    const doc = page(
      tile({ id: '$a', name: 'Ana Lima' }) +
        tile({ id: '$b', continuation: true }) +
        `<li class="mx_EventTile mx_EventTile_info" data-event-id="$c"><div class="mx_EventTile_line"><div class="mx_TextualEvent">Ben joined the room</div></div></li>` +
        tile({ id: '$d', continuation: true }),
    );
    expect(read(doc).messages.map((m) => [m.messageId, m.type, m.sender])).toEqual([
      ['$a', 'message', 'Ana Lima'],
      ['$b', 'message', 'Ana Lima'],
      ['$c', 'event', null],
      ['$d', 'message', null],
    ]);
  });

  it('a continuation never takes the name of the other side (data-self differs)', () => {
    const doc = page(tile({ id: '$a', name: 'Ana Lima' }) + tile({ id: '$b', self: true, continuation: true }));
    expect(read(doc).messages.map((m) => [m.sender, m.fromSelf])).toEqual([['Ana Lima', false], [null, true]]);
  });

  it('the owner\'s name comes from an own tile that shows it, else from a quote of an own message', () => {
    const quote = (of: string, author: string): string =>
      `<div class="mx_ReplyChain_wrapper"><blockquote class="mx_ReplyChain"><div class="mx_ReplyTile"><a href="https://matrix.to/#/!kXnQrPzLmWvTyBsA:example.org/${of}"><div class="mx_DisambiguatedProfile"><span class="mx_DisambiguatedProfile_displayName">${author}</span></div><div class="mx_EventTile_body">quoted</div></a></div></blockquote></div><div class="mx_EventTile_body">reply</div>`;
    const bubble = page(
      tile({ id: '$own', self: true, layout: 'bubble' }) + tile({ id: '$r', layout: 'bubble', name: 'Ana Lima', inner: quote('$own', 'Sam Okafor') }),
    );
    expect(read(bubble).messages.map((m) => m.sender)).toEqual(['Sam Okafor', 'Ana Lima']);
    // A quote of someone else's message says nothing about the owner.
    const other = page(tile({ id: '$own', self: true, layout: 'bubble' }) + tile({ id: '$r', layout: 'bubble', name: 'Ana Lima', inner: quote('$x', 'Sam Okafor') }));
    expect(read(other).messages.map((m) => m.sender)).toEqual([null, 'Ana Lima']);
  });

  it('a disambiguated name is the display name, not the user id shown beside it', () => {
    const doc = page('<li class="mx_EventTile" data-event-id="$a" data-self="false"><div class="mx_DisambiguatedProfile"><span class="mx_Username_color2">Ana Lima</span><span class="mx_DisambiguatedProfile_mxid">@ana.lima:example.org</span></div><div class="mx_EventTile_body">hi</div></li>');
    expect(read(doc).messages[0]?.sender).toBe('Ana Lima');
  });

  it('a quote of a quote: the message replies to the last (innermost shown) tile of the chain', () => {
    const rt = (ev: string, who: string, text: string): string =>
      `<blockquote class="mx_ReplyChain"><div class="mx_ReplyTile"><a href="https://matrix.to/#/!kXnQrPzLmWvTyBsA:example.org/${ev}"><div class="mx_DisambiguatedProfile"><span class="mx_DisambiguatedProfile_displayName">${who}</span></div><div class="mx_EventTile_body">${text}</div></a></div></blockquote>`;
    const doc = page(tile({ id: '$c', name: 'Cy', inner: `<div class="mx_ReplyChain_wrapper"><div><blockquote class="mx_ReplyChain mx_ReplyChain_error">In reply to</blockquote></div><div>${rt('$a', 'Ana', 'first')}${rt('$b', 'Ben', 'second')}</div></div><div class="mx_EventTile_body">third</div>` }));
    expect(read(doc).messages[0]?.quote).toEqual({ author: 'Ben', text: 'second', messageId: '$b' });
  });

  it('bubble layout with no names at all is a one-to-one room: the other side is the room', () => {
    const doc = page(tile({ id: '$a', layout: 'bubble' }) + tile({ id: '$b', layout: 'bubble', self: true }), { title: 'Priya Raman' });
    const r = read(doc);
    expect(r.thread.kind).toBe('direct');
    expect(r.messages.map((m) => m.sender)).toEqual(['Priya Raman', null]);
    // Group layout without a name (an emote-less tile that lost its profile) is not guessed.
    expect(read(page(tile({ id: '$a' }))).messages[0]?.sender).toBeNull();
  });

  it('the member list, when open, gives the participants [U]', () => {
    const doc = page(tile({ id: '$a', name: 'Ana Lima' }) + tile({ id: '$b', self: true, name: 'Morgan Lee' }), {
      extra: '<aside class="mx_RightPanel"><div class="mx_MemberList"><div class="mx_EntityTile"><div class="mx_EntityTile_name">Ana Lima</div></div><div class="mx_EntityTile"><div class="mx_EntityTile_name">Morgan Lee</div></div></div></aside>',
    });
    expect(read(doc).thread.participants).toEqual([{ name: 'Ana Lima', self: false }, { name: 'Morgan Lee', self: true }]);
  });
});

describe('times', () => {
  it('the full-date title wins over the separator; without either the time is not guessed', () => {
    const doc = page(
      sep('Fri, Sep 22 2023') +
        tile({ id: '$a', time: '9:05AM', title: 'Thu, Sep 21 2023 9:05:30AM' }) +
        tile({ id: '$b', time: '9:06AM' }) +
        tile({ id: '$c' }),
    );
    expect(read(doc).messages.map((m) => [m.sentAt, m.sentAtText])).toEqual([
      ['2023-09-21T09:05:30-04:00', '9:05AM'],
      ['2023-09-22T09:06:00-04:00', '9:06AM'],
      [null, null],
    ]);
  });

  it('a relative separator takes its date from a full-date timestamp in its section before the clock', () => {
    const doc = page(sep('Today') + tile({ id: '$a', time: '9:05AM', title: 'Thu, Sep 21 2023 9:05:30AM' }) + tile({ id: '$b', time: '9:06AM' }));
    expect(read(doc).messages.map((m) => m.sentAt)).toEqual(['2023-09-21T09:05:30-04:00', '2023-09-21T09:06:00-04:00']);
  });

  it('tiles above the first separator have no date unless a timestamp says it', () => {
    const doc = page(tile({ id: '$a', time: '9:05' }) + sep('Thu, Sep 24, 2026') + tile({ id: '$b', time: '9:06' }));
    expect(read(doc).messages.map((m) => m.sentAt)).toEqual([null, '2026-09-24T09:06:00-04:00']);
  });

  it('hover-only timestamps (the default): only tiles that show a time get one', () => {
    const doc = page(sep('today') + tile({ id: '$a' }) + tile({ id: '$b', time: '' }) + tile({ id: '$c', time: '14:30' }));
    expect(read(doc).messages.map((m) => [m.sentAt, m.sentAtText])).toEqual([[null, null], [null, null], ['2026-09-24T14:30:00-04:00', '14:30']]);
  });
});

describe('rows', () => {
  it('an expanded membership summary is read as its events, a collapsed one as one event', () => {
    const expanded = `<li class="mx_GenericEventListSummary" data-scroll-tokens="$j1,$j2" data-expanded="true"><ol class="mx_GenericEventListSummary_unstyledList">` +
      `<li class="mx_EventTile mx_EventTile_info" data-event-id="$j1"><div class="mx_TextualEvent">Ana joined the room</div></li>` +
      `<li class="mx_EventTile mx_EventTile_info" data-event-id="$j2"><div class="mx_TextualEvent">Ben joined the room</div></li></ol></li>`;
    const collapsed = `<li class="mx_GenericEventListSummary" data-scroll-tokens="$k1,$k2" data-expanded="false"><div class="mx_EventTile_info"><span class="mx_TextualEvent mx_GenericEventListSummary_summary">Cy and Di left</span></div></li>`;
    expect(read(page(expanded + collapsed)).messages.map((m) => [m.messageId, m.type, m.text])).toEqual([
      ['$j1', 'event', 'Ana joined the room'],
      ['$j2', 'event', 'Ben joined the room'],
      ['$k1,$k2', 'event', 'Cy and Di left'],
    ]);
  });

  it('a very long summary id becomes a digest', () => {
    const tokens = Array.from({ length: 20 }, (_, i) => `$${'x'.repeat(40)}${i}`).join(',');
    const doc = page(`<li class="mx_GenericEventListSummary" data-scroll-tokens="${tokens}"><span class="mx_GenericEventListSummary_summary">20 people joined</span></li>`);
    expect(read(doc).messages[0]?.messageId).toMatch(/^summary-[0-9a-f]{16}$/);
  });

  it('older tiles without data-event-id use data-scroll-tokens', () => {
    const doc = page('<li class="mx_EventTile" data-scroll-tokens="$old" data-self="false"><div class="mx_SenderProfile"><span class="mx_SenderProfile_name">Ana</span></div><div class="mx_EventTile_body">hi</div></li>');
    expect(read(doc).messages.map((m) => [m.messageId, m.sender, m.text])).toEqual([['$old', 'Ana', 'hi']]);
  });

  it('the thread panel\'s timeline is not the room\'s; only local echoes on the page fail the read', () => {
    const doc = page(tile({ id: '$a', name: 'Ana' }), {
      extra: `<aside class="mx_RightPanel"><div class="mx_ThreadView"><ol class="mx_RoomView_MessageList">${tile({ id: '$t', name: 'Ben' })}</ol></div></aside>`,
    });
    expect(read(doc).messages.map((m) => m.messageId)).toEqual(['$a']);
    const echoes = page('<li class="mx_EventTile mx_EventTile_sending" data-event-id="~!r:example.org:m1.1"><div class="mx_EventTile_body">x</div></li>');
    expect(readError(echoes).selector).toContain('li.mx_EventTile[data-event-id]');
  });

  it('inside a body, the edited mark and code-block buttons are not text', () => {
    const doc = page(tile({ id: '$a', name: 'Ana', inner: '<div class="mx_EventTile_body" dir="auto">Run:<div class="mx_EventTile_pre_container"><pre><code>make records</code></pre><span class="mx_EventTile_button mx_EventTile_copyButton">Copy</span></div><span class="mx_EventTile_edited"><button>(edited)</button></span></div>' }));
    expect(read(doc).messages.map((m) => [m.text, m.edited])).toEqual([['Run:\nmake records', true]]);
  });

  it('undecryptable messages keep the notice the page shows', () => {
    const doc = page(tile({ id: '$a', name: 'Ana', inner: '<div class="mx_DecryptionFailureBody mx_EventTile_content">Unable to decrypt message</div>' }));
    expect(read(doc).messages.map((m) => [m.type, m.text, m.deleted])).toEqual([['message', 'Unable to decrypt message', false]]);
  });

  it('media whose full file is not readable: a decrypted thumbnail is kept as a thumbnail, a homeserver URL is not downloaded', () => {
    const doc = page(
      tile({ id: '$a', name: 'Ana', inner: '<div class="mx_MImageBody"><a href="https://matrix-client.example.org/_matrix/client/v1/media/download/example.org/abc"><img src="blob:https://app.element.io/t1" alt="scan.png"></a></div>' }) +
        tile({ id: '$b', name: 'Ana', inner: '<div class="mx_MImageBody"><a href="https://matrix-client.example.org/_matrix/client/v1/media/download/example.org/def"><img src="https://matrix-client.example.org/_matrix/client/v1/media/thumbnail/example.org/def?width=800" alt="map.png"></a></div>' }) +
        tile({ id: '$c', name: 'Ana', inner: '<span class="mx_MAudioBody"><audio src="blob:https://app.element.io/a1"></audio><span class="mx_MFileBody"><a href="blob:https://app.element.io/a1" download="memo.ogg">Download</a></span></span>' }) +
        tile({ id: '$d', name: 'Ana', inner: '<div class="mx_MStickerBody"><img src="blob:https://app.element.io/s1" alt="thumbs up"></div>' }) +
        tile({ id: '$e', name: 'Ana', inner: '<div class="mx_ReplyChain_wrapper"><blockquote class="mx_ReplyChain"><div class="mx_ReplyTile"><a href="#"><div class="mx_MImageBody"><img src="blob:https://app.element.io/q1" alt="quoted.png"></div></a></div></blockquote></div><div class="mx_EventTile_body">about that picture</div>' }),
    );
    expect(read(doc).messages.map((m) => m.attachments)).toEqual([
      [{ kind: 'image', originalName: 'scan.png', mediaType: null, sourceUrl: 'blob:https://app.element.io/t1', thumbnail: true, missingReason: null }],
      [{ kind: 'image', originalName: 'map.png', mediaType: null, sourceUrl: null, thumbnail: false, missingReason: 'not downloaded in the page' }],
      [{ kind: 'audio', originalName: 'memo.ogg', mediaType: null, sourceUrl: 'blob:https://app.element.io/a1', thumbnail: false, missingReason: null }],
      [{ kind: 'sticker', originalName: 'thumbs up', mediaType: null, sourceUrl: 'blob:https://app.element.io/s1', thumbnail: false, missingReason: null }],
      [],
    ]);
  });
});

describe('room identity and errors', () => {
  it.each([
    ['https://app.element.io/#/room/!kXnQrPzLmWvTyBsA:example.org', { roomId: '!kXnQrPzLmWvTyBsA:example.org', alias: null }],
    ['https://app.element.io/#/room/!kXnQrPzLmWvTyBsA:example.org/$U3CCcnfXDbI', { roomId: '!kXnQrPzLmWvTyBsA:example.org', alias: null }],
    ['https://app.element.io/#/room/%21kXnQrPzLmWvTyBsA%3Aexample.org', { roomId: '!kXnQrPzLmWvTyBsA:example.org', alias: null }],
    ['https://app.element.io/#/room/#records:example.org', { roomId: null, alias: '#records:example.org' }],
    ['https://app.element.io/#/home', null],
    ['https://app.element.io/', null],
  ])('route %s', (url, expected) => {
    expect(parseRoomRoute(url)).toEqual(expected);
  });

  it('a room opened by alias is keyed by the room id a permalink on the page names, else by the alias', () => {
    const alias = 'https://app.element.io/#/room/#records:example.org';
    const withLink = page(tile({ id: '$a', name: 'Ana', time: '9:00' }).replace('href="#"', 'href="https://matrix.to/#/!kXnQrPzLmWvTyBsA:example.org/$a?via=example.org"'), { url: alias });
    expect(read(withLink).thread.threadKey).toBe('!kXnQrPzLmWvTyBsA:example.org');
    expect(read(page(tile({ id: '$a', name: 'Ana' }), { url: alias })).thread.threadKey).toBe('#records:example.org');
  });

  it('permalinks: matrix.to and Element forms', () => {
    expect(parsePermalink('https://matrix.to/#/!r:example.org/$e1?via=example.org')).toEqual({ roomId: '!r:example.org', eventId: '$e1' });
    expect(parsePermalink('https://app.element.io/#/room/!r:example.org/$e2')).toEqual({ roomId: '!r:example.org', eventId: '$e2' });
    expect(parsePermalink('https://matrix.to/#/#alias:example.org/$e3')).toEqual({ roomId: null, eventId: '$e3' });
    expect(parsePermalink('https://example.org/')).toEqual({ roomId: null, eventId: null });
  });

  it('matchesUrl is strict: https and app.element.io exactly', () => {
    const m = (u: string): boolean => elementAdapter.matchesUrl(new URL(u));
    expect(m('https://app.element.io/#/room/!r:example.org')).toBe(true);
    expect(m('http://app.element.io/#/room/!r:example.org')).toBe(false);
    expect(m('https://develop.element.io/#/room/!r:example.org')).toBe(false);
    expect(m('https://app.element.io.example.org/')).toBe(false);
  });

  it('the home page is not an open room', () => {
    const doc = parseAt('https://app.element.io/#/home', '<html><body><div class="mx_HomePage"></div></body></html>');
    expect(elementAdapter.conversationOpen(doc)).toBe(false);
    expect(readError(doc).message).toMatch(/^could not read the messages on this page: no open room/);
  });

  it('a room without a readable name fails naming the header selectors', () => {
    const doc = parseAt(ROOM_URL, `<html><body><main class="mx_RoomView"><ol class="mx_RoomView_MessageList">${tile({ id: '$a', name: 'Ana' })}</ol></main></body></html>`);
    const e = readError(doc);
    expect(e.selector).toContain('.mx_RoomHeader_heading');
    expect(e.message).toMatch(/has no name/);
  });
});

describe('remembered rows (auto-capture reads the timeline after every burst of changes)', () => {
  // A page in a window of its own, so the adapter can watch it (a parsed document has no window).
  const page = windowPages();

  it('says so, so that auto-capture reads it in small batches', () => {
    expect(elementAdapter.remembersRows).toBe(true);
  });

  it('reads an edit made just before the read, in the same task; unchanged tiles are not read again', () => {
    const doc = page(fixture('room-group-2023-en-us.html'), ROOM_URL);
    const before = elementAdapter.read(doc);
    const target = before.messages.find((m) => m.type === 'message' && m.text !== '')!;
    const body = doc.querySelector(`[data-event-id="${target.messageId}"] .mx_EventTile_body`)!;
    body.textContent = EDITED_TEXT;
    expectOnlyTheEditRead(before, elementAdapter.read(doc), (m) => m.messageId === target.messageId);
  });

  it('reads a tile again when its own attributes change (a continuation, an own message)', () => {
    const doc = page(fixture('room-group-2023-en-us.html'), ROOM_URL);
    const before = elementAdapter.read(doc);
    const tile = doc.querySelector('li.mx_EventTile[data-event-id]:not([data-self="true"])')!;
    const id = tile.getAttribute('data-event-id')!;
    expect(before.messages.find((m) => m.messageId === id)!.fromSelf).toBe(false);
    tile.setAttribute('data-self', 'true');
    expect(elementAdapter.read(doc).messages.find((m) => m.messageId === id)!.fromSelf).toBe(true);
  });
});
