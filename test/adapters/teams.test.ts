// @vitest-environment happy-dom
/**
 * Microsoft Teams adapter against committed fixture pages (test/fixtures/teams/README.md says
 * what each imitates), plus focused tests for ids, times, senders, quotes, thread keys, errors,
 * and the Trusted Types rule (no markup parsing anywhere in the adapter or the content runner).
 * Times resolve in America/New_York (test/setup-timezone.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shortHash } from '../../src/adapters/dom';
import type { PageRead } from '../../src/adapters/types';
import { conversationIdFromUrl, teamsAdapter } from '../../src/adapters/teams';
import { midToSentAt } from '../../src/adapters/teams-rows';
import { EDITED_TEXT, expectOnlyTheEditRead, fixtureSet, itFailsLoudlyOnChangedLayout, itReadsAsExpected, readErrorOf, windowPages } from './fixture-harness';

const FIXTURES = fixtureSet('teams');
const { fixture } = FIXTURES;

/** Where each fixture page is served. */
const URLS: Record<string, string> = {
  'group-chat-v2-en-us': 'https://teams.cloud.microsoft/',
  'one-on-one-v2-de-de':
    'https://teams.microsoft.com/l/chat/19%3A4b1d7e2a-0c3f-4d5e-9a8b-7c6d5e4f3a2b_6e5d4c3b-2a19-4f8e-8d7c-6b5a4f3e2d1c%40unq.gbl.spaces/0?tenantId=72f988bf-0000-4000-8000-2d7cd011db47',
  demo: 'https://teams.cloud.microsoft/',
  'changed-layout': 'https://teams.cloud.microsoft/',
};

// A happy-dom window per page, so that document.URL is the page's address; scripts do not run.
const page = windowPages();
const fixtureDoc = (name: string, url = URLS[name] ?? ''): Document => page(fixture(`${name}.html`), url);
const readError = (doc: Document) => readErrorOf(() => teamsAdapter.read(doc));

describe('fixture pages read as their expected JSON', () => {
  itReadsAsExpected(FIXTURES, ['group-chat-v2-en-us', 'one-on-one-v2-de-de', 'demo'], { adapter: teamsAdapter, load: fixtureDoc });
  itFailsLoudlyOnChangedLayout('changed-layout fails loudly, naming the row selectors', FIXTURES, { adapter: teamsAdapter, load: fixtureDoc, readError });
});

describe('demo (also the end-to-end page)', () => {
  // In happy-dom the page script does not run, so the picture has no src and reads as "not
  // downloaded" (that is what demo.expected.json says). In Chromium the script gives it a
  // blob: URL; set one here the same way and check the adapter hands it to the runner.
  it('reads the picture from the blob: URL the page script creates', () => {
    const doc = fixtureDoc('demo');
    const img = doc.querySelector('[data-tid="chat-pane-message"] img[itemtype="http://schema.skype.com/AMSImage"]');
    expect(img?.getAttribute('src')).toBeNull();
    img?.setAttribute('src', 'blob:https://teams.cloud.microsoft/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a');
    const { messages } = teamsAdapter.read(doc);
    expect(messages.filter((m) => m.type === 'message')).toHaveLength(5);
    expect(messages.flatMap((m) => m.attachments)).toEqual([
      { kind: 'image', originalName: null, mediaType: null, thumbnail: false, missingReason: null, sourceUrl: 'blob:https://teams.cloud.microsoft/9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' },
    ]);
  });

  it('enforces Trusted Types like Teams, loads nothing from the network, and writes no markup itself', () => {
    const html = fixture('demo.html');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="require-trusted-types-for 'script'">`);
    expect(html).toMatch(/URL\.createObjectURL\(new Blob\(/);
    expect(html).not.toMatch(/\bsrc="https?:/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).not.toMatch(/\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write/);
  });
});

describe('Trusted Types: nothing on the content side parses markup', () => {
  // Teams refuses string-to-markup writes (idx 18686694843). The adapter and the content runner
  // only read attributes and walk nodes; this keeps it that way.
  const SINKS = [/\.(innerHTML|outerHTML|innerText)\b/, /\.insertAdjacentHTML\s*\(/, /\bnew\s+DOMParser\b/, /\.createContextualFragment\s*\(/, /\bdocument\.write(ln)?\s*\(/, /\bsrcdoc\b/];
  const files = [
    ...readdirSync('src/adapters').filter((f) => f === 'dom.ts' || f === 'teams.ts' || f.startsWith('teams-')).map((f) => `src/adapters/${f}`),
    ...readdirSync('src/content').map((f) => `src/content/${f}`),
  ];

  it('covers the Teams adapter files, the shared DOM helpers and the content runner', () => {
    expect(files).toEqual(expect.arrayContaining(['src/adapters/teams.ts', 'src/adapters/teams-rows.ts', 'src/adapters/teams-selectors.ts', 'src/adapters/dom.ts', 'src/content/runner.ts']));
  });

  it.each(files)('%s uses no markup sink', (file) => {
    const source = readFileSync(file, 'utf8');
    for (const sink of SINKS) expect(source, `${file} matches ${sink}`).not.toMatch(sink);
  });
});

// ---- Minimal pages for focused tests ------------------------------------------------------

interface Item {
  mid?: string;
  author?: string;
  own?: boolean;
  datetime?: string | null;
  shown?: string;
  text?: string;
  inner?: string;
  outer?: string;
}

function item(i: Item): string {
  const cls = i.own ? 'fui-ChatMyMessage' : 'fui-ChatMessage';
  return (
    `<div data-tid="chat-pane-item"><div class="${cls}">` +
    (i.author ? `<span data-tid="message-author-name">${i.author}</span>` : '') +
    `<div class="${cls}__body" data-tid="chat-pane-message"${i.mid ? ` data-mid="${i.mid}"` : ''}>` +
    (i.datetime === null ? '' : `<time datetime="${i.datetime ?? '2025-10-07T13:02:14.512Z'}">${i.shown ?? '9:02 AM'}</time>`) +
    `<div id="content-${i.mid ?? 'x'}"><div dir="auto">${i.text ?? ''}${i.inner ?? ''}</div></div>` +
    `</div>${i.outer ?? ''}</div></div>`
  );
}
const notice = (text: string, mid?: string): string => `<div data-tid="chat-pane-item"><div data-tid="control-message-renderer"${mid ? ` data-mid="${mid}"` : ''}>${text}</div></div>`;
const dayDivider = (text: string): string => `<div data-tid="chat-pane-item"><div class="fui-Divider"><div class="fui-Divider__wrapper">${text}</div></div></div>`;

function teamsPage(rows: string, opts: { url?: string; header?: string; title?: string; owner?: string; extra?: string } = {}): Document {
  return page(
    `<html><body>` +
      (opts.owner ? `<span data-tid="me-control-avatar" aria-label="Profile picture of ${opts.owner}."></span>` : '') +
      `<div id="chat-header-${opts.header ?? '19:8f3c2a6d41b04e0f9a7c5b2e1d3f4a6b@thread.v2'}"><h2><span title="${opts.title ?? 'Working Group'}">${opts.title ?? 'Working Group'}</span></h2></div>` +
      `<div data-tid="message-pane-list-viewport"><div data-tid="chat-pane-list">${rows}</div></div>${opts.extra ?? ''}</body></html>`,
    opts.url ?? 'https://teams.cloud.microsoft/',
  );
}
const read = (doc: Document): PageRead => teamsAdapter.read(doc);

describe('ids and times', () => {
  it.each([
    ['1759842134512', '2025-10-07T09:02:14-04:00'],
    ['1762954200215', '2025-11-12T08:30:00-05:00'],
  ])('data-mid %s is epoch ms: %s', (mid, iso) => {
    expect(midToSentAt(mid)).toBe(iso);
  });

  it.each([null, '', 'abc', '1759842134', '19:abc@thread.v2'])('%s is not an epoch-ms mid', (mid) => {
    expect(midToSentAt(mid)).toBeNull();
  });

  it('time: <time datetime> first; without one (or with a broken one) the instant data-mid names, and no time text', () => {
    const doc = teamsPage(
      item({ mid: '1759842134512', author: 'Omar Reyes', datetime: '2025-10-07T13:02:15.000Z', shown: '9:02 AM', text: 'a' }) +
        item({ mid: '1759842160077', datetime: null, text: 'b' }) +
        item({ mid: '1759842605310', datetime: 'yesterday', shown: 'Yesterday', text: 'c' }),
    );
    expect(read(doc).messages.map((m) => [m.messageId, m.sentAt, m.sentAtText])).toEqual([
      ['1759842134512', '2025-10-07T09:02:15-04:00', '9:02 AM'],
      ['1759842160077', '2025-10-07T09:02:40-04:00', null],
      ['1759842605310', '2025-10-07T09:10:05-04:00', 'Yesterday'],
    ]);
  });

  it('rows without data-mid get derived ids: deterministic, and identical rows told apart by their ordinal', () => {
    const html = notice('Meeting ended: 5m') + item({ author: 'Omar Reyes', text: 'same' }) + notice('Meeting ended: 5m', undefined) + item({ author: 'Omar Reyes', text: 'same' });
    const ids = (): string[] => read(teamsPage(html)).messages.map((m) => m.messageId);
    const first = ids();
    expect(first).toEqual(ids());
    expect(new Set(first).size).toBe(4);
    // The first notice has no message above it; the second follows the first "same".
    expect(first[0]).toBe(`event-${shortHash('\u0000Meeting ended: 5m\u00000')}`);
    expect(first[2]).toBe(`event-${shortHash(`${first[1]}\u0000Meeting ended: 5m\u00000`)}`);
    expect(first[1]).toMatch(/^msg-[0-9a-f]{16}$/);
  });

  it('a notice with data-mid keeps it as its id and takes its time from it [U]', () => {
    const [m] = read(teamsPage(notice('Omar Reyes added Mei Chen to the chat.', '1759841883120'))).messages;
    expect([m?.type, m?.messageId, m?.sentAt, m?.sender, m?.text]).toEqual(['event', '1759841883120', '2025-10-07T08:58:03-04:00', null, 'Omar Reyes added Mei Chen to the chat.']);
  });
});

describe('senders', () => {
  it('consecutive messages continue the author above; a divider or a notice ends the run; own messages are the owner', () => {
    const doc = teamsPage(
      item({ mid: '1', author: 'Omar Reyes', text: 'a' }) +
        item({ mid: '2', text: 'b' }) +
        item({ mid: '3', own: true, text: 'mine' }) +
        item({ mid: '4', text: 'c' }) +
        item({ mid: '5', author: 'Mei Chen', text: 'd' }) +
        dayDivider('Today') +
        item({ mid: '6', text: 'e' }) +
        item({ mid: '7', author: 'Leo Brandt', text: 'f' }) +
        notice('Leo Brandt renamed the chat.') +
        item({ mid: '8', text: 'g' }),
      { owner: 'Dana Whitfield' },
    );
    expect(read(doc).messages.filter((m) => m.type === 'message').map((m) => [m.messageId, m.sender, m.fromSelf])).toEqual([
      ['1', 'Omar Reyes', false],
      ['2', 'Omar Reyes', false],
      ['3', 'Dana Whitfield', true],
      ['4', null, false], // after one's own message, with no author shown: unknown in a group chat
      ['5', 'Mei Chen', false],
      ['6', null, false],
      ['7', 'Leo Brandt', false],
      ['8', null, false],
    ]);
  });

  it('own messages without a named owner are "You"; an author marked "(You)" is the owner by that name', () => {
    const doc = teamsPage(item({ mid: '1', own: true, text: 'a' }) + item({ mid: '2', author: 'Dana Whitfield (You)', text: 'b' }));
    expect(read(doc).messages.map((m) => [m.sender, m.fromSelf])).toEqual([['You', true], ['Dana Whitfield', true]]);
  });

  it('in a 1:1 chat an unnamed incoming message is the other person', () => {
    const doc = teamsPage(item({ mid: '1', own: true, text: 'a' }) + item({ mid: '2', text: 'b' }), {
      header: '19:4b1d7e2a-0c3f-4d5e-9a8b-7c6d5e4f3a2b_6e5d4c3b-2a19-4f8e-8d7c-6b5a4f3e2d1c@unq.gbl.spaces', title: 'Jonas Becker',
    });
    expect(read(doc).messages.map((m) => m.sender)).toEqual(['You', 'Jonas Becker']);
  });

  it('the author may be named only through the body\'s aria-labelledby', () => {
    const doc = teamsPage(`<span id="author-1759842134512">Omar Reyes</span>` +
      `<div data-tid="chat-pane-item"><div data-tid="chat-pane-message" data-mid="1759842134512" aria-labelledby="author-1759842134512 content-1759842134512"><div id="content-1759842134512">hi</div></div></div>`);
    expect(read(doc).messages.map((m) => m.sender)).toEqual(['Omar Reyes']);
  });
});

describe('quotes, reactions, attachments, edits', () => {
  const card = (author: string, text: string): string =>
    `<div data-tid="quoted-reply-card"><div><span>${author}</span><span data-tid="quoted-reply-timestamp">10/7/2025 9:10 AM</span></div><div data-tid="quoted-reply-preview-content">${text}</div></div>`;

  it('a quote links to the nearest earlier message by that author starting with the quoted text (a shortened "…" preview too)', () => {
    const doc = teamsPage(
      item({ mid: '1', author: 'Mei Chen', text: 'Inspection notes are in the shared folder, section 4.' }) +
        item({ mid: '2', author: 'Omar Reyes', text: 'Inspection notes are in the shared folder, section 4.' }) +
        item({ mid: '3', own: true, inner: card('Mei Chen', 'Inspection notes are in the shared…'), text: 'Got it' }) +
        item({ mid: '4', author: 'Leo Brandt', inner: card('Dana Whitfield', 'Got it'), text: 'Same here' }) +
        item({ mid: '5', author: 'Leo Brandt', inner: card('Priya Natarajan', 'Something from last year'), text: 'Unmatched' }),
      { owner: 'Dana Whitfield' },
    );
    expect(read(doc).messages.map((m) => m.quote && [m.quote.author, m.quote.messageId])).toEqual([
      null, null, ['Mei Chen', '1'], ['Dana Whitfield', '3'], ['Priya Natarajan', null],
    ]);
    // The quote card is not part of the reply's text.
    expect(read(doc).messages[2]?.text).toBe('Got it');
  });

  it('a quote known only from its "Begin Reference" label', () => {
    const doc = teamsPage(
      item({ mid: '1', author: 'Mei Chen', text: 'Fee is $125' }) +
        item({ mid: '2', own: true, inner: '<div role="group" aria-label="Begin Reference, Fee is $125, Mei Chen, 10/7/2025 9:10 AM, End reference"><span>Fee is $125</span></div>', text: 'Thanks' }),
    );
    expect(read(doc).messages[1]?.quote).toEqual({ author: 'Mei Chen', text: 'Fee is $125', messageId: '1' });
  });

  it('reaction counts from the label, else from the pill; emoji from its image', () => {
    const pills =
      '<button data-tid="diverse-reaction-pill-button" aria-label="12 Like reactions."><span data-tid="emoticon-renderer"><img alt="👍"></span><span>9+</span></button>' +
      '<button data-tid="diverse-reaction-pill-button"><span data-tid="emoticon-renderer"><img alt="😮"></span><span>3</span></button>';
    const [m] = read(teamsPage(item({ mid: '1', author: 'Omar Reyes', text: 'x', outer: pills }))).messages;
    expect(m?.reactions).toEqual([{ emoji: '👍', count: 12 }, { emoji: '😮', count: 3 }]);
    expect(m?.text).toBe('x');
  });

  it('a picture Teams shows from its own server is recorded as not downloaded; a file card named by its aria-label', () => {
    const inner =
      '<span itemtype="http://schema.skype.com/AMSImage"><img src="https://us-prod.asyncgw.teams.microsoft.com/v1/objects/0-eus-d3-x/views/imgo" alt="image"></span>';
    const outer = '<div data-testid="file-attachment" aria-label="budget.xlsx&#10;Excel">budget.xlsx</div>';
    const [m] = read(teamsPage(item({ mid: '1', author: 'Omar Reyes', text: 'See', inner, outer }))).messages;
    expect(m?.attachments).toEqual([
      { kind: 'image', originalName: null, mediaType: null, sourceUrl: null, thumbnail: false, missingReason: 'not downloaded in the page' },
      { kind: 'document', originalName: 'budget.xlsx', mediaType: null, sourceUrl: null, thumbnail: false, missingReason: 'not downloaded in the page' },
    ]);
    expect(m?.text).toBe('See');
  });

  it('an empty edited- placeholder is not an edit', () => {
    const doc = teamsPage(item({ mid: '1', author: 'Omar Reyes', text: 'x', outer: '<span id="edited-1"></span>' }) + item({ mid: '2', author: 'Omar Reyes', text: 'y', outer: '<span id="edited-2">Edited</span>' }));
    expect(read(doc).messages.map((m) => m.edited)).toEqual([false, true]);
  });

  it('the thread side panel is not part of the chat, even when it comes first on the page', () => {
    const rail = `<div data-tid="right-rail-message-pane-body"><div data-tid="message-pane-list-viewport"><div data-tid="chat-pane-list">${item({ mid: '99', author: 'Side Panel', text: 'not this chat' })}</div></div></div>`;
    const header = '<div id="chat-header-19:8f3c2a6d41b04e0f9a7c5b2e1d3f4a6b@thread.v2"><h2>Working Group</h2></div>';
    const main = `<div data-tid="chat-pane-list">${item({ mid: '1', author: 'Omar Reyes', text: 'x' })}</div>`;
    const first = page(`<html><body>${rail}${header}${main}</body></html>`, 'https://teams.cloud.microsoft/');
    expect(read(first).messages.map((m) => m.messageId)).toEqual(['1']);
    expect(teamsAdapter.history?.scroller(first)).toBeNull();
    const withViewport = page(`<html><body>${rail}${header}<div data-tid="message-pane-list-viewport">${main}</div></body></html>`, 'https://teams.cloud.microsoft/');
    expect(teamsAdapter.history?.scroller(withViewport)?.textContent).toContain('Omar Reyes');
    // Only the side panel's list on the page: nothing of the chat to read.
    expect(readError(page(`<html><body>${rail}${header}</body></html>`, 'https://teams.cloud.microsoft/')).selector).toBe(
      '[data-tid="chat-pane-item"], [data-tid="chat-pane-message"], [data-tid="control-message-renderer"]',
    );
    const doc = page(
      `<html><body><div id="chat-header-19:8f3c2a6d41b04e0f9a7c5b2e1d3f4a6b@thread.v2"><h2>Working Group</h2></div>` +
        `<div data-tid="chat-pane-list">${item({ mid: '1', author: 'Omar Reyes', text: 'x' })}</div>${rail}</body></html>`,
      'https://teams.cloud.microsoft/',
    );
    expect(read(doc).messages.map((m) => m.messageId)).toEqual(['1']);
  });
});

describe('thread key and URLs', () => {
  it.each([
    ['https://teams.microsoft.com/_#/conversations/19:8f3c2a6d41b04e0f9a7c5b2e1d3f4a6b@thread.v2?ctx=chat', '19:8f3c2a6d41b04e0f9a7c5b2e1d3f4a6b@thread.v2'],
    ['https://teams.microsoft.com/l/chat/19%3A4b1d7e2a-0c3f-4d5e-9a8b-7c6d5e4f3a2b_6e5d4c3b-2a19-4f8e-8d7c-6b5a4f3e2d1c%40unq.gbl.spaces/0?tenantId=x', '19:4b1d7e2a-0c3f-4d5e-9a8b-7c6d5e4f3a2b_6e5d4c3b-2a19-4f8e-8d7c-6b5a4f3e2d1c@unq.gbl.spaces'],
    ['https://teams.microsoft.com/l/message/19:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@thread.tacv2/1759842134512?groupId=x', '19:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@thread.tacv2'],
    ['https://teams.microsoft.com/_#/conversations/48:notes?ctx=chat', '48:notes'],
    ['https://teams.cloud.microsoft/', null],
    ['https://teams.microsoft.com/v2/', null],
    ['https://teams.microsoft.com/l/chat/%E0%A4%A/0', null],
  ])('%s → %s', (url, id) => {
    expect(conversationIdFromUrl(url)).toBe(id);
  });

  it('threadKey: the URL\'s id, else the header\'s, else title:<title>; kind from the id', () => {
    const rows = item({ mid: '1', author: 'Omar Reyes', text: 'x' });
    const fromUrl = read(teamsPage(rows, { url: 'https://teams.microsoft.com/_#/conversations/19:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@thread.tacv2?ctx=channel' })).thread;
    expect([fromUrl.threadKey, fromUrl.kind]).toEqual(['19:a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@thread.tacv2', 'channel']);
    const fromHeader = read(teamsPage(rows)).thread;
    expect([fromHeader.threadKey, fromHeader.kind]).toEqual(['19:8f3c2a6d41b04e0f9a7c5b2e1d3f4a6b@thread.v2', 'group']);
    const self = read(teamsPage(rows, { header: '48:notes', title: 'Dana Whitfield (You)' })).thread;
    expect([self.threadKey, self.kind, self.participants]).toEqual(['48:notes', 'direct', []]);
    const none = read(teamsPage(rows, { header: 'pane' })).thread;
    expect([none.threadKey, none.kind]).toEqual(['title:Working Group', 'unknown']);
  });

  it('matchesUrl: https on teams.microsoft.com or teams.cloud.microsoft exactly', () => {
    const m = (u: string): boolean => teamsAdapter.matchesUrl(new URL(u));
    expect(m('https://teams.microsoft.com/v2/')).toBe(true);
    expect(m('https://teams.cloud.microsoft/')).toBe(true);
    expect(m('http://teams.microsoft.com/v2/')).toBe(false);
    expect(m('https://teams.live.com/v2/')).toBe(false);
    expect(m('https://teams.microsoft.com.example.org/')).toBe(false);
    expect(m('https://evil.teams.cloud.microsoft/')).toBe(false);
    expect(teamsAdapter.matches).toEqual(['https://teams.microsoft.com/*', 'https://teams.cloud.microsoft/*']);
  });
});

describe('errors and history', () => {
  it('no message surface: not a conversation; reading it names the surface selectors', () => {
    const doc = page('<html><body><div data-tid="app-layout-area--main"><div data-tid="calendar-view">Calendar</div></div></body></html>', 'https://teams.cloud.microsoft/');
    expect(teamsAdapter.conversationOpen(doc)).toBe(false);
    expect(readError(doc).selector).toBe('[data-tid="message-pane-list-viewport"], [data-tid="chat-pane-list"], [data-tid="message-pane-list-runway"]');
  });

  it('a chat without a header title is refused, naming the title selector', () => {
    const doc = page(`<html><body><div data-tid="message-pane-list-viewport">${item({ mid: '1', author: 'A', text: 'x' })}</div></body></html>`, 'https://teams.cloud.microsoft/');
    expect(readError(doc).selector).toBe('[id^="chat-header-"] h2, [data-tid="chat-title"]');
  });

  it('rows that hold neither a message nor a notice are not a read', () => {
    const doc = teamsPage(dayDivider('Today') + '<div data-tid="chat-pane-item"><div class="fui-ChatMessage">loading…</div></div>');
    const e = readError(doc);
    expect(e.selector).toBe('[data-tid="chat-pane-message"], [id^="message-body-"][data-mid], [data-tid="control-message-renderer"]');
    expect(e.message).toMatch(/^could not read the messages on this page: /);
  });

  it('history: the viewport scrolls; the hidden-history button when shown; the beginning is never claimed [U]', () => {
    const doc = teamsPage(item({ mid: '1', author: 'A', text: 'x' }), { extra: '<button data-tid="show-hidden-chat-history-btn">Show history</button>' });
    expect(teamsAdapter.history?.scroller(doc)?.getAttribute('data-tid')).toBe('message-pane-list-viewport');
    expect(teamsAdapter.history?.olderHistoryControl(doc)?.textContent).toBe('Show history');
    expect(teamsAdapter.history?.olderHistoryControl(fixtureDoc('demo'))).toBeNull();
    expect(teamsAdapter.history?.atBeginning(doc)).toBe(false);
  });
});

describe('remembered rows (auto-capture reads the chat after every burst of changes)', () => {
  it('says so, so that auto-capture reads it in small batches', () => {
    expect(teamsAdapter.remembersRows).toBe(true);
  });

  it('reads an edit made just before the read, in the same task; unchanged rows are not read again', () => {
    const doc = fixtureDoc('group-chat-v2-en-us');
    const before = read(doc);
    const mid = '1759842134512';
    doc.querySelector(`#content-${mid}`)!.textContent = EDITED_TEXT;
    expectOnlyTheEditRead(before, read(doc), (m) => m.messageId === mid);
  });

  it('an author named by id outside the row is looked up on every read, so a change there is read', () => {
    const doc = teamsPage(`<span id="author-1759842134512">Omar Reyes</span>` +
      `<div data-tid="chat-pane-item"><div data-tid="chat-pane-message" data-mid="1759842134512" aria-labelledby="author-1759842134512 content-1759842134512"><div id="content-1759842134512">hi</div></div></div>`);
    expect(read(doc).messages.map((m) => [m.sender, m.fromSelf])).toEqual([['Omar Reyes', false]]);
    doc.getElementById('author-1759842134512')!.textContent = 'Dana Whitfield (You)';
    expect(read(doc).messages.map((m) => [m.sender, m.fromSelf])).toEqual([['Dana Whitfield', true]]);
  });
});
