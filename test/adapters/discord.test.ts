// @vitest-environment happy-dom
/**
 * Discord adapter against committed fixture pages (test/fixtures/discord/README.md says what
 * each imitates), plus focused tests for snowflake times, ids, senders, media and errors.
 * Times resolve in America/New_York (test/setup-timezone.ts).
 */
import { describe, expect, it } from 'vitest';
import { discordAdapter } from '../../src/adapters/discord';
import { parseChannelRoute, parseRowId, snowflakeIso, snowflakeMs } from '../../src/adapters/discord-ids';
import { hashed, inside } from '../../src/adapters/discord-selectors';
import { EDITED_TEXT, documentAt, expectOnlyTheEditRead, fixtureSet, itFailsLoudlyOnChangedLayout, itReadsAsExpected, readErrorOf, windowPages } from './fixture-harness';

const FIXTURES = fixtureSet('discord');
const { fixture } = FIXTURES;

const GUILD_URL = 'https://discord.com/channels/1091827364519283746/1091827364519283750';
/** The address each fixture page is served at (the adapter reads the conversation from it). */
const URLS: Record<string, string> = {
  'guild-2025-en-us': GUILD_URL,
  'dm-2022-en-gb': 'https://discord.com/channels/@me/1002345678901234567',
  demo: 'https://discord.com/channels/1379127420518531120/1457780686848131119',
  'changed-layout': GUILD_URL,
};

/** happy-dom documents take the window's address, so set it before parsing. */
const parseAt = documentAt;
const load = (name: string): Document => parseAt(URLS[name] ?? '', fixture(`${name}.html`));
const readError = (doc: Document) => readErrorOf(() => discordAdapter.read(doc));

describe('fixture pages read as their expected JSON', () => {
  itReadsAsExpected(FIXTURES, ['guild-2025-en-us', 'dm-2022-en-gb', 'demo'], { adapter: discordAdapter, load });
  itFailsLoudlyOnChangedLayout('changed-layout fails loudly, naming the row selectors', FIXTURES, { adapter: discordAdapter, load, readError });
});

describe('demo (the end-to-end page)', () => {
  // In happy-dom the page script does not run, so the picture has neither src nor link and the
  // adapter sees no attachment (that is what demo.expected.json says). In Chromium the script
  // gives both a blob: URL; do the same here and check the adapter hands it to the runner.
  it('reads the picture from the blob: URL the page script creates', () => {
    const doc = load('demo');
    const wrapper = doc.querySelector('[id^="message-accessories-"] [class*="imageWrapper_"]');
    const url = 'blob:https://discord.com/6f1c2a9e-0d4b-4c8e-9b1a-2e3f4a5b6c7d';
    wrapper?.querySelector('a')?.setAttribute('href', url);
    wrapper?.querySelector('img')?.setAttribute('src', url);
    const { messages } = discordAdapter.read(doc);
    expect(messages.filter((m) => m.type === 'message')).toHaveLength(5);
    expect(messages.flatMap((m) => m.attachments)).toEqual([
      { kind: 'image', originalName: null, mediaType: null, thumbnail: false, missingReason: null, sourceUrl: url },
    ]);
  });

  it('embeds the script that makes the blob: picture and loads nothing from elsewhere', () => {
    const html = fixture('demo.html');
    expect(html).toMatch(/URL\.createObjectURL\(new Blob\(/);
    expect(html).not.toMatch(/\b(src|href)="https?:\/\/(?!example\.(org|gov))/);
  });

  it('the channel start banner marks the beginning; a page without it is not at the beginning', () => {
    expect(discordAdapter.history?.atBeginning(load('demo'))).toBe(true);
    expect(discordAdapter.history?.atBeginning(load('guild-2025-en-us'))).toBe(false);
  });

  it('the scroller is the pane around the message list, not the list itself', () => {
    const doc = load('guild-2025-en-us');
    const pane = discordAdapter.history?.scroller(doc);
    expect(pane?.getAttribute('class')).toContain('managedReactiveScroller_');
    expect(pane?.querySelector('[data-list-id="chat-messages"]')?.getAttribute('aria-label')).toBe('Messages in building-committee');
    expect(discordAdapter.history?.olderHistoryControl(doc)).toBeNull();
    // With the thread's list first in the page, the channel's own list still wins.
    const swapped = parseAt(GUILD_URL, fixture('guild-2025-en-us.html'));
    const side = swapped.querySelector('[aria-label="Thread: Stairwell repairs"]');
    if (side) swapped.body.prepend(side);
    expect(discordAdapter.history?.scroller(swapped)?.querySelector('[data-list-id="chat-messages"]')?.getAttribute('aria-label')).toBe('Messages in building-committee');
  });
});

describe('ids and times', () => {
  it('a snowflake carries its creation time: (id >> 22) + 1420070400000', () => {
    // The example of the discord.js "Snowflake" docs: 2016-04-30T11:18:25.796Z.
    expect(snowflakeMs('175928847299117063')).toBe(1462015105796);
    expect(snowflakeIso('175928847299117063')).toBe('2016-04-30T07:18:25-04:00');
    expect(snowflakeMs('not-a-snowflake')).toBeNull();
    expect(snowflakeMs('12345')).toBeNull();
  });

  it.each([
    ['chat-messages-1091827364519283750-1420394896556163074', { channel: '1091827364519283750', message: '1420394896556163074' }],
    ['chat-messages___chat-messages-1091827364519283750-1420394896556163074', { channel: '1091827364519283750', message: '1420394896556163074' }],
    ['chat-messages-1420394896556163074', { channel: null, message: '1420394896556163074' }],
    ['chat-messages-abc', null],
    ['message-content-1420394896556163074', null],
  ])('row id %s', (value, expected) => {
    expect(parseRowId(value)).toEqual(expected);
  });

  it.each([
    ['https://discord.com/channels/1091827364519283746/1091827364519283750', { guild: '1091827364519283746', channel: '1091827364519283750', message: null }],
    ['https://discord.com/channels/@me/1002345678901234567', { guild: '@me', channel: '1002345678901234567', message: null }],
    ['https://discord.com/channels/1091827364519283746/1091827364519283750/1420394896556163074', { guild: '1091827364519283746', channel: '1091827364519283750', message: '1420394896556163074' }],
    ['https://discord.com/channels/@me', null],
    ['https://discord.com/channels/1091827364519283746', null],
    ['https://discord.com/app', null],
  ])('route %s', (url, expected) => {
    expect(parseChannelRoute(url)).toEqual(expected);
  });

  it('a message link names the same thread as its channel', () => {
    const html = fixture('guild-2025-en-us.html');
    const a = discordAdapter.read(parseAt(GUILD_URL, html)).thread.threadKey;
    const b = discordAdapter.read(parseAt(`${GUILD_URL}/1420394896556163074`, html)).thread.threadKey;
    expect(b).toBe(a);
  });

  it('matchesUrl is strict: https, discord.com exactly, /channels/ only', () => {
    const m = (u: string): boolean => discordAdapter.matchesUrl(new URL(u));
    expect(m(GUILD_URL)).toBe(true);
    expect(m('https://discord.com/channels/@me/1002345678901234567')).toBe(true);
    expect(m('http://discord.com/channels/1/2')).toBe(false);
    expect(m('https://canary.discord.com/channels/1/2')).toBe(false);
    expect(m('https://discord.com.example.org/channels/1/2')).toBe(false);
    expect(m('https://discord.com/login')).toBe(false);
    expect(discordAdapter.attachmentHosts).toEqual(['cdn.discordapp.com', 'media.discordapp.net']);
  });
});

// ---- Minimal pages for focused tests ------------------------------------------------------

const CH = '1091827364519283750';
const PAGE_URL = `https://discord.com/channels/1091827364519283746/${CH}`;

interface Row {
  id: string;
  channel?: string;
  /** The group head this row's aria-labelledby names (itself when it shows its own name). */
  head?: string;
  name?: string;
  avatarUser?: string;
  content?: string;
  accessories?: string;
  extraClass?: string;
}

function row(r: Row): string {
  const head = r.head ?? r.id;
  return (
    `<li id="chat-messages-${r.channel ?? CH}-${r.id}" class="messageListItem__5126c">` +
    `<div class="message__5126c ${r.extraClass ?? ''}" role="article" aria-labelledby="message-username-${head} message-content-${r.id} message-timestamp-${r.id}">` +
    `<div class="contents_c19a55">` +
    (r.avatarUser ? `<img class="avatar_c19a55" src="https://cdn.discordapp.com/avatars/${r.avatarUser}/abc.webp?size=80" alt=" ">` : '') +
    (r.name ? `<h3><span id="message-username-${r.id}"><span class="username_c19a55" data-text="${r.name}">${r.name}</span></span></h3>` : '') +
    `<time id="message-timestamp-${r.id}" datetime="2025-09-24T13:00:00.000Z">9:00 AM</time>` +
    (r.content !== undefined ? `<div id="message-content-${r.id}" class="markup__75297 messageContent_c19a55">${r.content}</div>` : '') +
    `</div>` +
    (r.accessories ? `<div id="message-accessories-${r.id}">${r.accessories}</div>` : '') +
    `</div></li>`
  );
}

function page(rows: string, opts: { url?: string; self?: { name: string; user?: string } } = {}): Document {
  const self = opts.self
    ? `<section aria-label="User area">${opts.self.user ? `<img src="https://cdn.discordapp.com/avatars/${opts.self.user}/x.webp">` : ''}<div class="nameTag_b2ca13"><div class="panelTitleContainer_b2ca13"><div class="title_b2ca13">${opts.self.name}</div></div><div class="subtext_b2ca13">handle</div></div></section>`
    : '';
  return parseAt(
    opts.url ?? PAGE_URL,
    `<!DOCTYPE html><html><body>${self}<section aria-label="Channel header"><h1>test-channel</h1></section>` +
      `<div class="scroller__36d07"><ol data-list-id="chat-messages">${rows}</ol></div></body></html>`,
  );
}

const senders = (doc: Document) => discordAdapter.read(doc).messages.map((m) => [m.messageId, m.type, m.sender, m.fromSelf]);

describe('senders and the account owner', () => {
  it('a continuation takes its group head\'s name through aria-labelledby, even when rows in between are another group', () => {
    const doc = page(
      row({ id: '1420394896556163074', name: 'Marco Ruiz', content: 'one' }) +
        row({ id: '1420395013996675075', head: '1420394896556163074', content: 'two' }),
    );
    expect(senders(doc)).toEqual([
      ['1420394896556163074', 'message', 'Marco Ruiz', false],
      ['1420395013996675075', 'message', 'Marco Ruiz', false],
    ]);
  });

  it('a continuation whose group head is no longer in the list has no sender rather than a guessed one', () => {
    // Discord trims rows out of view: the head (…071) is gone, …074 and …075 continue it.
    const doc = page(
      row({ id: '1420394896556163074', head: '1420394896556163071', content: 'one' }) +
        row({ id: '1420395013996675075', head: '1420394896556163071', content: 'two' }),
    );
    expect(senders(doc).map((s) => s[2])).toEqual([null, null]);
  });

  it('never carries a sender across groups: a headless continuation after another group stays unknown', () => {
    const doc = page(
      row({ id: '1420394896556163074', name: 'Marco Ruiz', content: 'one' }) +
        row({ id: '1420395013996675075', head: '1420395013996670000', content: 'two' }),
    );
    expect(senders(doc).map((s) => s[2])).toEqual(['Marco Ruiz', null]);
  });

  it('the owner is recognised by user id (avatar), else by name when the row shows no user id', () => {
    const doc = page(
      row({ id: '1420394896556163074', name: 'Dana W.', avatarUser: '611209348756123648', content: 'nickname differs, id matches' }) +
        row({ id: '1420395013996675075', head: '1420394896556163074', content: 'continuation' }) +
        row({ id: '1420395722834051076', name: 'Dana Whitfield', content: 'no avatar, same name' }) +
        row({ id: '1420397115342979077', name: 'Dana Whitfield', avatarUser: '999999999999999999', content: 'same name, other user' }),
      { self: { name: 'Dana Whitfield', user: '611209348756123648' } },
    );
    expect(senders(doc).map((s) => s[3])).toEqual([true, true, true, false]);
  });
});

describe('rows, text and media', () => {
  it('keeps only rows of the channel the URL names (a thread in the side panel is another channel)', () => {
    const rows =
      row({ id: '1420394896556163074', name: 'Marco Ruiz', content: 'channel' }) +
      row({ id: '1420399501901955084', channel: '1420398113587331083', name: 'Priya Natarajan', content: 'thread' });
    expect(discordAdapter.read(page(rows)).messages.map((m) => m.text)).toEqual(['channel']);
    const thread = page(rows, { url: 'https://discord.com/channels/1091827364519283746/1420398113587331083' });
    expect(discordAdapter.read(thread).messages.map((m) => m.text)).toEqual(['thread']);
  });

  it('rows only of another channel: the read fails rather than report an empty conversation', () => {
    const doc = page(row({ id: '1420399501901955084', channel: '1420398113587331083', name: 'Priya', content: 'x' }));
    expect(readError(doc).message).toMatch(/no message rows of channel 1091827364519283750/);
  });

  it('time comes from the snowflake, not from the datetime attribute or the text', () => {
    const doc = page(row({ id: '1420394896556163074', name: 'Marco Ruiz', content: 'x' }));
    // The row's <time> says 13:00Z; the id says 13:02:13Z.
    expect(discordAdapter.read(doc).messages[0]?.sentAt).toBe('2025-09-24T09:02:13-04:00');
  });

  it('a spoiler (aria-hidden until revealed) is message text; an edited mark is not', () => {
    const doc = page(
      row({
        id: '1420394896556163074', name: 'Marco Ruiz',
        content: 'Code: <span class="spoilerText_a1b2c3" aria-label="Spoiler"><span aria-hidden="true">7734</span></span><span class="timestamp_c19a55"><time><span class="edited_c19a55">(edited)</span></time></span>',
      }),
    );
    expect(discordAdapter.read(doc).messages.map((m) => [m.text, m.edited])).toEqual([['Code: 7734', true]]);
  });

  it('an "(edited)" mark around the time (research: `[class*="edited"] time`) is not text either', () => {
    const doc = page(row({ id: '1420394896556163074', name: 'M', content: 'Budget approved<span class="edited_c19a55"><time datetime="2025-09-24T13:05:00.000Z">9:05 AM</time> (edited)</span>' }));
    expect(discordAdapter.read(doc).messages.map((m) => [m.text, m.edited])).toEqual([['Budget approved', true]]);
  });

  it('a reaction element without a count is not a reaction', () => {
    const doc = page(row({
      id: '1420394896556163074', name: 'M', content: 'x',
      accessories: '<div id="message-reactions-1420394896556163074"><div class="reaction_ec6b19"><img class="emoji" alt="👍"><div class="reactionCount_ec6b19">2</div></div><div class="reaction_ec6b19"><img class="emoji" alt="➕"></div></div>',
    }));
    expect(discordAdapter.read(doc).messages[0]?.reactions).toEqual([{ emoji: '👍', count: 2 }]);
  });

  it('a row with the systemMessage class is an event even when it names a person', () => {
    const doc = page(
      row({ id: '1420394896556163074', name: 'Marco Ruiz', content: 'hello' }) +
        `<li id="chat-messages-${CH}-1420395013996675075"><div role="article" class="systemMessage_c19a55"><div class="contents_c19a55"><span class="icon_c19a55" aria-hidden="true">📌</span><span class="username_c19a55" data-text="Marco Ruiz">Marco Ruiz</span> pinned a message to this channel.<time id="message-timestamp-1420395013996675075">9:02 AM</time></div></div></li>`,
    );
    expect(discordAdapter.read(doc).messages.map((m) => [m.type, m.sender, m.text])).toEqual([
      ['message', 'Marco Ruiz', 'hello'],
      ['event', null, 'Marco Ruiz pinned a message to this channel.'],
    ]);
  });

  it('attachments: the original CDN file wins over its resized preview; embeds, emoji and avatars are not attachments', () => {
    const cdn = 'https://cdn.discordapp.com/attachments/1/1420397111148675085/report%20final.pdf?ex=1&is=2&hm=3&';
    const doc = page(
      row({
        id: '1420394896556163074', name: 'Marco Ruiz', content: '',
        accessories:
          `<a href="${cdn}">report final.pdf</a>` +
          `<img src="https://media.discordapp.net/attachments/1/1420397111148675086/site.jpg?ex=1&amp;width=550&amp;height=367">` +
          `<a class="originalLink_af017a" href="https://cdn.discordapp.com/attachments/1/1420397111148675086/site.jpg?ex=1"></a>` +
          `<img src="https://media.discordapp.net/attachments/1/1420397111148675087/clip.mp4?width=400"><video src="https://cdn.discordapp.com/attachments/1/1420397111148675087/clip.mp4"></video>` +
          `<article><img src="https://images-ext-1.discordapp.net/external/abc/https/example.org/p.png?width=80"><img src="https://media.discordapp.net/external/abc/https/example.org/q.png"></article>` +
          `<img class="emoji" alt=":x:" src="https://cdn.discordapp.com/emojis/1.webp"><img src="https://cdn.discordapp.com/avatars/2/3.webp">` +
          `<img src="https://media.discordapp.net/stickers/1122334455667788.png?size=160" alt="Sticker">`,
      }),
    );
    expect(discordAdapter.read(doc).messages[0]?.attachments).toEqual([
      { kind: 'document', originalName: 'report final.pdf', mediaType: null, sourceUrl: cdn, thumbnail: false, missingReason: null },
      { kind: 'image', originalName: 'site.jpg', mediaType: null, sourceUrl: 'https://cdn.discordapp.com/attachments/1/1420397111148675086/site.jpg?ex=1', thumbnail: false, missingReason: null },
      { kind: 'video', originalName: 'clip.mp4', mediaType: null, sourceUrl: 'https://cdn.discordapp.com/attachments/1/1420397111148675087/clip.mp4', thumbnail: false, missingReason: null },
      { kind: 'sticker', originalName: null, mediaType: null, sourceUrl: 'https://media.discordapp.net/stickers/1122334455667788.png?size=160', thumbnail: false, missingReason: null },
    ]);
  });

  it('only Discord CDN attachment paths are attachments, not a link elsewhere that looks like one', () => {
    const doc = page(row({ id: '1420394896556163074', name: 'M', content: 'x', accessories: '<a href="https://example.org/attachments/1/2/plan.pdf">plan.pdf</a><img src="http://cdn.discordapp.com/attachments/1/3/a.png">' }));
    expect(discordAdapter.read(doc).messages[0]?.attachments).toEqual([]);
  });

  it('the text is the row\'s own message-content, not another message\'s shown inside it', () => {
    const doc = page(row({ id: '1420394896556163074', name: 'M', content: 'own text' }).replace(
      '<div class="contents_c19a55">',
      '<div class="contents_c19a55"><div class="forwardSnapshot_a1"><div id="message-content-1410000000000000001">shown from elsewhere</div></div>',
    ));
    expect(discordAdapter.read(doc).messages[0]?.text).toBe('own text');
  });

  it('a group DM (a member list of more than two) is a group; its members are the participants', () => {
    const doc = page(row({ id: '1420394896556163074', channel: '1002345678901234567', name: 'Lena', content: 'x' }), { url: 'https://discord.com/channels/@me/1002345678901234567', self: { name: 'Sam' } });
    const members = ['Lena', 'Sam', 'Ola'].map((n, i) => `<div data-list-item-id="members-1002345678901234567___${i}"><span class="username_c8ffbb">${n}</span></div>`).join('');
    doc.body.insertAdjacentHTML('beforeend', `<aside aria-label="Members">${members}</aside>`);
    expect(discordAdapter.read(doc).thread).toMatchObject({
      kind: 'group',
      participants: [{ name: 'Lena', self: false }, { name: 'Sam', self: true }, { name: 'Ola', self: false }],
    });
  });

  it('a reply whose parent is not on the page still links the parent id the reply bar names', () => {
    const doc = page(
      row({ id: '1420395722834051076', name: 'Dana Whitfield', content: 'reply' }).replace(
        '<div class="contents_c19a55">',
        '<div id="message-reply-context-1420395722834051076"><span class="username_c19a55" data-text="@Marco Ruiz">@Marco Ruiz</span><div id="message-content-1410000000000000000">An older message</div></div><div class="contents_c19a55">',
      ),
    );
    expect(discordAdapter.read(doc).messages[0]?.quote).toEqual({ author: 'Marco Ruiz', text: 'An older message', messageId: '1410000000000000000' });
  });
});

describe('errors and open conversations', () => {
  it('the friends list (/channels/@me) is not an open conversation', () => {
    const doc = parseAt('https://discord.com/channels/@me', '<html><body><section aria-label="Channel header"><h1>Friends</h1></section></body></html>');
    expect(discordAdapter.conversationOpen(doc)).toBe(false);
    expect(readError(doc).message).toMatch(/^could not read the messages on this page: no open conversation/);
  });

  it('a channel without a readable title fails naming the title selectors', () => {
    const doc = parseAt(PAGE_URL, `<html><body><ol data-list-id="chat-messages">${row({ id: '1420394896556163074', name: 'M', content: 'x' })}</ol></body></html>`);
    const e = readError(doc);
    expect(e.selector).toContain('section[aria-label="Channel header"] h1');
    expect(e.message).toMatch(/has no title/);
  });

  it('the list label is the title of last resort', () => {
    const doc = parseAt(PAGE_URL, `<html><body><ol data-list-id="chat-messages" aria-label="Messages in permits">${row({ id: '1420394896556163074', name: 'M', content: 'x' })}</ol></body></html>`);
    expect(discordAdapter.read(doc).thread.title).toBe('permits');
  });
});

describe('selector helpers', () => {
  it('hashed() matches both hashing eras and only the exact stem', () => {
    const doc = parseAt(PAGE_URL, '<div id="r"><i class="a reaction_ec6b19"></i><i class="reaction-3vwAF2 b"></i><i class="reactionInner_ec6b19"></i><i class="reactions-3ryImn"></i><i class="myreaction_x"></i></div>');
    expect(doc.querySelectorAll(hashed('reaction'))).toHaveLength(2);
  });

  it('inside() pairs every part of two selector lists', () => {
    expect(inside('.a, .b', '.c, .d')).toBe('.a .c, .a .d, .b .c, .b .d');
  });
});

describe('remembered rows (auto-capture reads the channel after every burst of changes)', () => {
  // A page in a window of its own, so the adapter can watch it (a parsed document has no window).
  const page = windowPages();
  const HEAD = '1420394896556163074';
  const CONTINUATION = '1420395013996675075';

  it('says so, so that auto-capture reads it in small batches', () => {
    expect(discordAdapter.remembersRows).toBe(true);
  });

  it('reads an edit made just before the read, in the same task; unchanged rows are not read again', () => {
    const doc = page(fixture('guild-2025-en-us.html'), GUILD_URL);
    const before = discordAdapter.read(doc);
    doc.getElementById(`message-content-${CONTINUATION}`)!.textContent = EDITED_TEXT;
    expectOnlyTheEditRead(before, discordAdapter.read(doc), (m) => m.messageId === CONTINUATION);
  });

  it('a continuation takes its name from its group head on every read, though the continuation is remembered', () => {
    const doc = page(fixture('guild-2025-en-us.html'), GUILD_URL);
    const before = discordAdapter.read(doc);
    const was = before.messages.find((m) => m.messageId === CONTINUATION)!;
    expect(was.sender).toBe(before.messages.find((m) => m.messageId === HEAD)!.sender);
    const name = doc.getElementById(`message-username-${HEAD}`)!;
    name.querySelectorAll('[data-text]').forEach((el) => el.setAttribute('data-text', 'Renamed Person'));
    name.querySelector('.username_c19a55')!.textContent = 'Renamed Person';
    const after = discordAdapter.read(doc);
    const now = after.messages.find((m) => m.messageId === CONTINUATION)!;
    expect(after.messages.find((m) => m.messageId === HEAD)!.sender).toBe('Renamed Person');
    expect(now.sender).toBe('Renamed Person');
    expect(now.reactions).toBe(was.reactions);
  });
});
