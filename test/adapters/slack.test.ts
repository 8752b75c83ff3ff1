// @vitest-environment happy-dom
/**
 * Slack adapter against committed fixture pages (test/fixtures/slack/README.md says what each
 * imitates), plus focused tests for ts/time derivation, thread links, thread keys and errors.
 * Times resolve in America/New_York (test/setup-timezone.ts).
 */
import { describe, expect, it } from 'vitest';
import type { PageRead } from '../../src/adapters/types';
import { parseSlackUrl, slackAdapter } from '../../src/adapters/slack';
import { tsToSentAt } from '../../src/adapters/slack-rows';
import { EDITED_TEXT, expectOnlyTheEditRead, fixtureSet, itFailsLoudlyOnChangedLayout, itReadsAsExpected, readErrorOf, windowPages } from './fixture-harness';

const FIXTURES = fixtureSet('slack');
const { fixture } = FIXTURES;

/** Where each fixture page is served (the adapter reads the conversation id from the URL). */
const URLS: Record<string, string> = {
  'channel-2025-en-us': 'https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK',
  'dm-thread-pane-2025-en-us': 'https://app.slack.com/client/T05HRBR7KQ2/D07K4QX9R2M/thread/D07K4QX9R2M-1758737400.000100',
  'private-channel-2021-classes': 'https://app.slack.com/client/T01B2HRBR9C/G01RETN2021',
  demo: 'https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS',
  'changed-layout': 'https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK',
};

// A happy-dom window per page, so that document.URL is the page's address; scripts do not run.
const page = windowPages();
const fixtureDoc = (name: string, url = URLS[name] ?? ''): Document => page(fixture(`${name}.html`), url);
const readError = (doc: Document) => readErrorOf(() => slackAdapter.read(doc));

describe('fixture pages read as their expected JSON', () => {
  itReadsAsExpected(FIXTURES, ['channel-2025-en-us', 'dm-thread-pane-2025-en-us', 'private-channel-2021-classes'], { adapter: slackAdapter, load: fixtureDoc });
});

describe('changed layout and pages that are not a conversation', () => {
  itFailsLoudlyOnChangedLayout('changed-layout fails loudly, naming the message selectors', FIXTURES, { adapter: slackAdapter, load: fixtureDoc, readError });

  it('a page without a message pane is not a conversation, and reading it names the pane selector', () => {
    const doc = page('<html><body><div class="p-client_workspace"><div data-qa="activity_page">Activity</div></div></body></html>', 'https://app.slack.com/client/T05HRBR7KQ2/activity');
    expect(slackAdapter.conversationOpen(doc)).toBe(false);
    expect(readError(doc).selector).toBe('[data-qa="message_pane"], .p-workspace__primary_view_body');
  });

  it('a message pane without a header title is refused, naming the title selector', () => {
    const doc = page(`<html><body><div data-qa="message_pane">${row({ ts: '1758633245.118409', sender: 'Omar Reyes', text: 'hi' })}</div></body></html>`, URLS['channel-2025-en-us'] ?? '');
    expect(slackAdapter.conversationOpen(doc)).toBe(false);
    expect(readError(doc).selector).toBe('[data-qa="channel_name"], .p-view_header__channel_title');
  });

  it('loading placeholders alone are not a read', () => {
    const doc = slackPage(`<div class="c-virtual_list__item" data-item-key="1758633245.000001"><div data-qa="message_container" data-qa-placeholder="true"></div></div>`);
    expect(readError(doc).selector).toBe('[data-qa="message_container"], .c-message_kit__message');
  });
});

describe('demo (also the end-to-end page)', () => {
  // In happy-dom the page script does not run, so the picture has no src and reads as "not
  // downloaded" (that is what demo.expected.json says). In Chromium the script gives it a
  // blob: URL; set one here the same way and check the adapter hands it to the runner.
  it('reads as its expected JSON', () => {
    expect(slackAdapter.read(fixtureDoc('demo'))).toEqual(JSON.parse(fixture('demo.expected.json')) as PageRead);
  });

  it('reads the picture from the blob: URL the page script creates', () => {
    const doc = fixtureDoc('demo');
    const img = doc.querySelector('[data-qa="message_pane"] .p-file_image_thumbnail__image');
    expect(img?.getAttribute('src')).toBeNull();
    img?.setAttribute('src', 'blob:https://app.slack.com/5f0c1e9a-2b7d-4c3e-8a61-0d9e4b2f7a10');
    const { messages } = slackAdapter.read(doc);
    expect(messages.filter((m) => m.type === 'message')).toHaveLength(6);
    expect(messages.flatMap((m) => m.attachments)).toEqual([
      { kind: 'image', originalName: 'whiteboard.png', mediaType: null, thumbnail: false, missingReason: null, sourceUrl: 'blob:https://app.slack.com/5f0c1e9a-2b7d-4c3e-8a61-0d9e4b2f7a10' },
    ]);
  });

  it('loads nothing from the network and makes its picture with a script', () => {
    const html = fixture('demo.html');
    expect(html).toMatch(/URL\.createObjectURL\(new Blob\(/);
    expect(html).not.toMatch(/\bsrc="https?:/);
    expect(html).not.toMatch(/<link\b/);
  });
});

// ---- Minimal pages for focused tests ------------------------------------------------------

interface Row {
  ts?: string;
  sender?: string;
  text?: string;
  label?: string;
  extra?: string;
  className?: string;
  bodyClass?: string;
}

function row(r: Row): string {
  return (
    `<div class="c-virtual_list__item" role="listitem"${r.ts ? ` data-item-key="${r.ts}"` : ''}>` +
    `<div class="c-message_kit__message ${r.className ?? ''}" data-qa="message_container"><div class="c-message_kit__gutter__right">` +
    (r.sender ? `<button class="c-message__sender_button" data-qa="message_sender_name">${r.sender}</button>` : '') +
    (r.ts ? `<a class="c-timestamp" data-ts="${r.ts}"><span class="c-timestamp__label">${r.label ?? '10:00 AM'}</span></a>` : '') +
    (r.text !== undefined ? `<div class="c-message__body ${r.bodyClass ?? ''}" data-qa="message-text" dir="auto">${r.text}</div>` : '') +
    (r.extra ?? '') +
    `</div></div></div>`
  );
}
const divider = (): string => `<div class="c-virtual_list__item c-virtual_list__item--sticky" aria-roledescription="separator"><div class="c-message_list__day_divider">Today</div></div>`;

function slackPage(rows: string, opts: { url?: string; title?: string; owner?: string; thread?: string } = {}): Document {
  return page(
    `<html><body>` +
      (opts.owner ? `<button data-qa="user-button" aria-label="User: ${opts.owner}"></button>` : '') +
      `<span data-qa="channel_name">${opts.title ?? 'permits-desk'}</span>` +
      `<div data-qa="message_pane"><div class="c-virtual_list__scroll_container">${rows}</div></div>` +
      (opts.thread !== undefined ? `<div data-qa="threads_flexpane">${opts.thread}</div>` : '') +
      `</body></html>`,
    opts.url ?? 'https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK',
  );
}
const read = (doc: Document): PageRead => slackAdapter.read(doc);

describe('ts: message id and absolute time', () => {
  it.each([
    ['1758633245.118409', '2025-09-23T09:14:05-04:00'], // EDT
    ['1614719112.000400', '2021-03-02T16:05:12-05:00'], // EST
    ['1773720000.999999', '2026-03-17T00:00:00-04:00'], // micro part never rounds up a second
  ])('%s → %s', (ts, iso) => {
    expect(tsToSentAt(ts)).toBe(iso);
  });

  it.each(['1758633245', '1758633245.1184', 'abc.defghi', ''])('%s is not a ts', (ts) => {
    expect(tsToSentAt(ts)).toBeNull();
  });

  it('takes the ts from the container, else the list item, else the timestamp link; sentAtText is the label shown', () => {
    const doc = slackPage(
      `<div class="c-virtual_list__item" data-item-key="1758633245.118409"><div data-qa="message_container" data-msg-ts="1758633288.389201"><button data-qa="message_sender_name">A</button><div data-qa="message-text">x</div></div></div>` +
        `<div class="c-virtual_list__item" id="message-list_1758633630.507719"><div data-qa="message_container"><div data-qa="message-text">y</div></div></div>` +
        `<div class="c-virtual_list__item"><div data-qa="message_container"><a class="c-timestamp" data-ts="1758634262.612300">9:31 AM</a><div data-qa="message-text">z</div></div></div>`,
    );
    expect(read(doc).messages.map((m) => [m.messageId, m.sentAt, m.sentAtText])).toEqual([
      ['1758633288.389201', '2025-09-23T09:14:48-04:00', null],
      ['1758633630.507719', '2025-09-23T09:20:30-04:00', null],
      ['1758634262.612300', '2025-09-23T09:31:02-04:00', '9:31 AM'],
    ]);
  });

  it('a row with no ts anywhere gets a derived id that tells identical rows apart and repeats on a second read', () => {
    const html = row({ sender: 'Ana', text: 'same' }) + row({ text: 'same' });
    const ids = (): string[] => read(slackPage(html)).messages.map((m) => m.messageId);
    const first = ids();
    expect(first).toEqual(ids());
    expect(first).toHaveLength(2);
    expect(new Set(first).size).toBe(2);
    expect(first.every((id) => /^msg-[0-9a-f]{16}$/.test(id))).toBe(true);
  });
});

describe('senders, the owner, events', () => {
  it('adjacent messages take the sender above; a day divider, a notice or a tombstone ends the run', () => {
    const doc = slackPage(
      row({ ts: '1758633245.000001', sender: 'Omar Reyes', text: 'a' }) +
        row({ ts: '1758633245.000002', text: 'b' }) +
        divider() +
        row({ ts: '1758633245.000003', text: 'c' }) +
        row({ ts: '1758633245.000004', sender: 'Leo Brandt', text: 'joined #permits-desk.', bodyClass: 'c-message__body--automated' }) +
        row({ ts: '1758633245.000005', text: 'd' }) +
        row({ ts: '1758633245.000006', sender: 'Mei Chen', text: 'e' }) +
        row({ ts: '1758633245.000007', text: 'This message was deleted.' }) +
        row({ ts: '1758633245.000008', text: 'f' }),
    );
    expect(read(doc).messages.map((m) => [m.type, m.sender, m.text, m.deleted])).toEqual([
      ['message', 'Omar Reyes', 'a', false],
      ['message', 'Omar Reyes', 'b', false],
      ['message', null, 'c', false],
      ['event', null, 'Leo Brandt joined #permits-desk.', false],
      ['message', null, 'd', false],
      ['message', 'Mei Chen', 'e', false],
      ['message', null, 'This message was deleted.', true],
      ['message', null, 'f', false],
    ]);
  });

  it('fromSelf only when the page names the owner and the sender is that name', () => {
    const rows = row({ ts: '1758633245.000001', sender: 'Dana Whitfield', text: 'mine' }) + row({ ts: '1758633245.000002', text: 'mine too' }) + row({ ts: '1758633245.000003', sender: 'Omar Reyes', text: 'theirs' });
    expect(read(slackPage(rows, { owner: 'Dana Whitfield' })).messages.map((m) => m.fromSelf)).toEqual([true, true, false]);
    expect(read(slackPage(rows)).messages.map((m) => m.fromSelf)).toEqual([false, false, false]);
  });

  it('a DM lists the other person and, when known, the owner', () => {
    const url = 'https://app.slack.com/client/T05HRBR7KQ2/D07K4QX9R2M';
    const rows = row({ ts: '1758633245.000001', sender: 'Omar Reyes', text: 'x' });
    expect(read(slackPage(rows, { url, title: 'Omar Reyes', owner: 'Dana Whitfield' })).thread.participants).toEqual([
      { name: 'Omar Reyes', self: false }, { name: 'Dana Whitfield', self: true },
    ]);
    expect(read(slackPage(rows, { url, title: 'Omar Reyes' })).thread.participants).toEqual([{ name: 'Omar Reyes', self: false }]);
  });
});

describe('thread key', () => {
  it.each([
    ['https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK', { team: 'T05HRBR7KQ2', channel: 'C06PRMTDESK', threadTs: null }],
    ['https://app.slack.com/client/T05HRBR7KQ2/D07K4QX9R2M/thread/D07K4QX9R2M-1758737400.000100', { team: 'T05HRBR7KQ2', channel: 'D07K4QX9R2M', threadTs: '1758737400.000100' }],
    ['https://app.slack.com/client/E02ENTGRID1/G01RETN2021?cdn_fallback=1', { team: 'E02ENTGRID1', channel: 'G01RETN2021', threadTs: null }],
    ['https://app.slack.com/client/T05HRBR7KQ2/unreads', { team: 'T05HRBR7KQ2', channel: null, threadTs: null }],
    ['https://app.slack.com/huddle/T05HRBR7KQ2/C06PRMTDESK', { team: null, channel: null, threadTs: null }],
    ['not a url', { team: null, channel: null, threadTs: null }],
  ])('%s', (url, loc) => {
    expect(parseSlackUrl(url)).toEqual(loc);
  });

  it('kind from the id letter: C channel, D direct, G group', () => {
    const kind = (id: string): string => read(slackPage(row({ ts: '1758633245.000001', text: 'x' }), { url: `https://app.slack.com/client/T05HRBR7KQ2/${id}` })).thread.kind;
    expect([kind('C06PRMTDESK'), kind('D07K4QX9R2M'), kind('G01RETN2021')]).toEqual(['channel', 'direct', 'group']);
  });

  it('when the URL does not name the channel, the page does (a message, else a day divider id); else the title', () => {
    const url = 'https://app.slack.com/client/T05HRBR7KQ2/unreads';
    expect(read(fixtureDoc('channel-2025-en-us', url)).thread.threadKey).toBe('T05HRBR7KQ2/C06PRMTDESK');
    expect(read(fixtureDoc('private-channel-2021-classes', 'https://app.slack.com/client/T01B2HRBR9C/browse')).thread.threadKey).toBe('T01B2HRBR9C/G01RETN2021');
    const bare = read(slackPage(row({ ts: '1758633245.000001', text: 'x' }), { url }));
    expect([bare.thread.threadKey, bare.thread.kind]).toEqual(['title:permits-desk', 'unknown']);
  });

  it('matchesUrl: https, app.slack.com exactly, /client/ only', () => {
    const m = (u: string): boolean => slackAdapter.matchesUrl(new URL(u));
    expect(m('https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK')).toBe(true);
    expect(m('http://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK')).toBe(false);
    expect(m('https://app.slack.com/')).toBe(false);
    expect(m('https://app.slack.com.example.org/client/T1/C1')).toBe(false);
    expect(m('https://harborcity.slack.com/archives/C06PRMTDESK/p1758633245118409')).toBe(false);
    for (const pattern of slackAdapter.matches) expect(pattern).toBe('https://app.slack.com/*');
  });
});

describe('thread pane', () => {
  const reply = (ts: string, sender: string, text: string): string => row({ ts, sender, text });

  it('without a thread route the pane\'s first message is the root; replies quote it with its ts', () => {
    const doc = slackPage(row({ ts: '1758737400.000100', sender: 'Omar Reyes', text: 'root' }), {
      thread: reply('1758737400.000100', 'Omar Reyes', 'root') + reply('1758737480.311700', 'Dana Whitfield', 'a reply'),
    });
    expect(read(doc).messages.map((m) => [m.messageId, m.quote])).toEqual([
      ['1758737400.000100', null],
      ['1758737480.311700', { author: 'Omar Reyes', text: 'root', messageId: '1758737400.000100' }],
    ]);
  });

  it('a root scrolled out of the channel pane is still read, once, from the thread pane', () => {
    const doc = slackPage(row({ ts: '1758738605.723400', sender: 'Omar Reyes', text: 'later' }), {
      thread: reply('1758737400.000100', 'Omar Reyes', 'root') + reply('1758737480.311700', 'Dana Whitfield', 'a reply'),
    });
    expect(read(doc).messages.map((m) => [m.messageId, m.pageOrder, m.quote?.messageId ?? null])).toEqual([
      ['1758738605.723400', 0, null],
      ['1758737400.000100', 1, null],
      ['1758737480.311700', 2, '1758737400.000100'],
    ]);
  });

  it('a reply also sent to the channel appears once, keeps its channel reading and gains the thread link', () => {
    const doc = slackPage(row({ ts: '1758737400.000100', sender: 'Omar Reyes', text: 'root' }) + row({ ts: '1758737480.311700', sender: 'Dana Whitfield', text: 'also in channel' }), {
      thread: reply('1758737400.000100', 'Omar Reyes', 'root') + reply('1758737480.311700', 'Dana Whitfield', 'also in channel'),
    });
    const { messages } = read(doc);
    expect(messages).toHaveLength(2);
    expect(messages[1]?.quote).toEqual({ author: 'Omar Reyes', text: 'root', messageId: '1758737400.000100' });
  });

  it('the thread route names the root even when another message comes first in the pane', () => {
    const doc = slackPage(row({ ts: '1758700000.000001', sender: 'Mei Chen', text: 'channel' }), {
      url: 'https://app.slack.com/client/T05HRBR7KQ2/C06PRMTDESK/thread/C06PRMTDESK-1758737400.000100',
      thread: reply('1758737350.000001', 'Leo Brandt', 'not the root') + reply('1758737400.000100', 'Omar Reyes', 'root') + reply('1758737480.311700', 'Dana Whitfield', 'a reply'),
    });
    expect(read(doc).messages.map((m) => m.quote?.messageId ?? null)).toEqual([null, '1758737400.000100', null, '1758737400.000100']);
  });
});

describe('parts of a message', () => {
  it('text leaves out the edited label, reply bar, reactions, files, link previews and screen-reader copies', () => {
    const doc = slackPage(
      row({
        ts: '1758633245.000001', sender: 'Omar Reyes',
        text: 'See <a href="https://example.gov/a">the page</a><span class="sr-only"> (opens in a new tab)</span><span aria-hidden="true">hidden</span><span class="c-message__edited_label">(edited)</span>',
        extra:
          '<div class="c-message_attachment"><span data-qa="message_sender_name">Preview Bot</span><div data-qa="message-text">Example page title</div></div>' +
          '<div class="c-reaction_bar"><button data-qa="reactji" aria-label="3 reactions, react with tada emoji"><img alt=":tada:"><span class="c-reaction__count">3</span></button>' +
          // The label's count wins; a pill may render its number in a way we do not know.
          '<button data-qa="reactji" aria-label="12 reactions, react with eyes emoji" data-stringify-emoji=":eyes:"><span>1.2k?</span></button></div>' +
          '<div class="c-message__reply_bar"><button data-qa="reply_bar_count">4 replies</button></div>',
      }),
    );
    const [m] = read(doc).messages;
    expect([m?.sender, m?.text, m?.links, m?.edited, m?.reactions]).toEqual([
      'Omar Reyes', 'See the page', ['https://example.gov/a'], true, [{ emoji: ':tada:', count: 3 }, { emoji: ':eyes:', count: 12 }],
    ]);
  });

  it('files: one per files-pri link, named by aria-label or the decoded path; kind from a picture or the extension', () => {
    const files =
      '<div class="c-files_container">' +
      '<a href="https://files.slack.com/files-pri/T1-F1/minutes%20final.pdf"><span>minutes final.pdf</span></a>' +
      '<a href="https://files.slack.com/files-pri/T1-F2/site.jpg" aria-label="site.jpg"><img src="https://files.slack.com/files-tmb/T1-F2-x/site_360.jpg"></a>' +
      '<a href="https://files.slack.com/files-pri/T1-F2/site.jpg">site.jpg</a>' +
      '<a href="https://files.slack.com/files-pri/T1-F3/briefing.mp4">briefing.mp4</a>' +
      '<a href="https://files.slack.com/files-pri/T1-F4/vm.m4a">vm.m4a</a>' +
      '<img src="data:image/png;base64,iVBORw0KGgo=" alt="pasted.png">' +
      '</div>';
    const [m] = read(slackPage(row({ ts: '1758633245.000001', sender: 'Omar Reyes', extra: files }))).messages;
    const not = { mediaType: null, thumbnail: false, sourceUrl: null, missingReason: 'not downloaded in the page' };
    expect(m?.attachments).toEqual([
      { ...not, kind: 'document', originalName: 'minutes final.pdf' },
      { ...not, kind: 'image', originalName: 'site.jpg' },
      { ...not, kind: 'video', originalName: 'briefing.mp4' },
      { ...not, kind: 'audio', originalName: 'vm.m4a' },
      { kind: 'image', originalName: 'pasted.png', mediaType: null, thumbnail: false, sourceUrl: 'data:image/png;base64,iVBORw0KGgo=', missingReason: null },
    ]);
    expect(m?.text).toBe('');
  });
});

describe('history navigation', () => {
  it('atBeginning when the channel intro is on the page, not otherwise; no older-history button; the scroller', () => {
    const withIntro = fixtureDoc('channel-2025-en-us');
    expect(slackAdapter.history?.atBeginning(withIntro)).toBe(true);
    expect(slackAdapter.history?.olderHistoryControl(withIntro)).toBeNull();
    expect(slackAdapter.history?.scroller(withIntro)?.getAttribute('data-qa')).toBe('message_list');
    expect(slackAdapter.history?.atBeginning(fixtureDoc('dm-thread-pane-2025-en-us'))).toBe(false);
  });
});

describe('remembered rows (auto-capture reads the pane after every burst of changes)', () => {
  it('says so, so that auto-capture reads it in small batches', () => {
    expect(slackAdapter.remembersRows).toBe(true);
  });

  it('reads an edit made just before the read, in the same task; unchanged rows are not read again', () => {
    const doc = fixtureDoc('channel-2025-en-us');
    const before = slackAdapter.read(doc);
    const ts = '1758633245.118409';
    const container = doc.querySelector(`[data-msg-ts="${ts}"]`)!;
    container.querySelector('[data-qa="message-text"], .c-message_kit__blocks')!.textContent = EDITED_TEXT;
    const after = slackAdapter.read(doc);
    expectOnlyTheEditRead(before, after, (m) => m.messageId === ts);
    expect(after.messages.find((m) => m.messageId === ts)!.reactions).not.toBe(before.messages.find((m) => m.messageId === ts)!.reactions);
  });

  it('reads a row again when its list item\'s attributes change (the ts can come from there)', () => {
    const doc = slackPage(`<div class="c-virtual_list__item" data-item-key="1758633245.000001"><div data-qa="message_container"><span data-qa="message_sender_name">Omar Reyes</span><div data-qa="message-text">hi</div></div></div>`);
    expect(slackAdapter.read(doc).messages.map((m) => m.messageId)).toEqual(['1758633245.000001']);
    doc.querySelector('.c-virtual_list__item')!.setAttribute('data-item-key', '1758633299.000002');
    expect(slackAdapter.read(doc).messages.map((m) => m.messageId)).toEqual(['1758633299.000002']);
  });
});
