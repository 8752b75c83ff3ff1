/**
 * Discord adapter. Reads the open channel, thread or DM of https://discord.com/channels/…:
 * rows → facts (discord-rows.ts), then the page-wide passes: which rows belong to the
 * conversation the URL names, senders of continuation rows, and the account owner's messages.
 * Every message id is a snowflake, so every message has its absolute send time. Selectors live
 * in discord-selectors.ts; docs/adapters/discord.md explains the rules.
 */
import type { CapturedParticipant, CapturedThread } from '../shared/model';
import { AdapterReadError } from './types';
import type { Adapter, HistoryNavigation, PageMessage, PageRead } from './types';
import { attr, flatText, outermost } from './dom';
import { avatarUserId, parseChannelRoute, snowflakeIso } from './discord-ids';
import type { ChannelRoute } from './discord-ids';
import { nameOf, readRow, withHead } from './discord-rows';
import { RowMemo } from './row-memo';
import type { RowFacts } from './discord-rows';
import { CDN_HOSTS, SEL } from './discord-selectors';
import { toLocalIso } from '../shared/time';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('discord', selector, `could not read the messages on this page: ${what}`);

/** The conversation the URL names, or null (friends list, settings, a page that is not the app). */
function routeOf(doc: Document): ChannelRoute | null {
  return parseChannelRoute(doc.URL);
}

function readTitle(doc: Document): string {
  for (const selector of SEL.titles) {
    const el = doc.querySelector(selector);
    const text = el ? flatText(el, { skip: (e) => e.localName === 'svg' || e.getAttribute('aria-hidden') === 'true' }) : '';
    if (text) return text;
  }
  // The list's own label, "Messages in general" [U].
  const list = mainList(doc);
  const label = SEL.listLabel.exec((list && attr(list, 'aria-label')) ?? '');
  if (label?.[1]) return label[1].trim();
  const tried = [...SEL.titles, `${SEL.list}[aria-label]`].join(', ');
  throw fail(tried, `the conversation header has no title (${tried})`);
}

interface Self {
  name: string | null;
  userId: string | null;
}

/** The account owner, from the user panel at the bottom left [U]. */
function readSelf(doc: Document): Self {
  const panel = doc.querySelector(SEL.selfPanel);
  if (!panel) return { name: null, userId: null };
  const nameEl = SEL.selfName.map((selector) => panel.querySelector(selector)).find((el) => el !== null) ?? null;
  const avatar = panel.querySelector(SEL.avatar);
  return {
    name: nameEl ? nameOf(nameEl) : null,
    userId: avatar ? avatarUserId(avatar.getAttribute('src') ?? '') : null,
  };
}

function readMembers(doc: Document): string[] {
  const names: string[] = [];
  for (const el of Array.from(doc.querySelectorAll(SEL.members))) {
    const nameEl = el.querySelector(SEL.memberName);
    const name = nameEl ? nameOf(nameEl) : null;
    if (name && !names.includes(name)) names.push(name);
  }
  return names;
}

function threadOf(doc: Document, route: ChannelRoute, self: Self): CapturedThread {
  const title = readTitle(doc);
  const members = readMembers(doc);
  const participants: CapturedParticipant[] = members.map((name) => ({ name, self: name === self.name }));
  if (route.guild === '@me' && members.length === 0) {
    // A one-to-one DM shows no member list: the other person is the title.
    participants.push({ name: title, self: false });
    if (self.name && self.name !== title) participants.push({ name: self.name, self: true });
  }
  return {
    // Channel ids are snowflakes, unique across Discord; the guild says where it lives.
    threadKey: `${route.guild}/${route.channel}`,
    title,
    kind: route.guild !== '@me' ? 'channel' : members.length > 2 ? 'group' : 'direct',
    participants,
  };
}

/**
 * Each row's own facts (readRow), read again only when the row changed; what its group head
 * elsewhere on the page says is looked up on every read (withHead).
 */
const rowMemo = new RowMemo<RowFacts | null>(SEL.rows.join(', '));

function findRows(doc: Document, route: ChannelRoute): RowFacts[] {
  const found = rowMemo.matching(doc, SEL.rows);
  if (!found) throw fail(SEL.rows.join(', '), `no message rows matched ${SEL.rows.join(', ')}`);
  const facts = outermost(found.elements).flatMap((row) => {
    const own = rowMemo.get(row, readRow);
    return own ? [withHead(doc, own)] : [];
  });
  // Rows of another channel (a thread open in the side panel, a list still showing the
  // previous channel) are not this conversation. Rows of the older id shape name no channel.
  return facts.filter((f) => f.id.channel === null || f.id.channel === route.channel);
}

function read(doc: Document): PageRead {
  rowMemo.sync(doc);
  const route = routeOf(doc);
  if (!route || !conversationOpen(doc)) throw fail(SEL.openConversation, `no open conversation matched ${SEL.openConversation}`);
  const self = readSelf(doc);
  const thread = threadOf(doc, route, self);
  const rows = findRows(doc, route);

  // Author ids of each group, from its first row's avatar: continuation rows show no avatar,
  // and their name comes from the group head through aria-labelledby (idx 58651099670).
  const groupAuthors = new Map<string, string | null>();
  const messages: PageMessage[] = [];
  for (const f of rows) {
    const sentAt = snowflakeIso(f.id.message) ?? (f.datetime && !Number.isNaN(Date.parse(f.datetime)) ? toLocalIso(new Date(f.datetime)) : null);
    const base = {
      messageId: f.id.message, fromSelf: false, sentAt, sentAtText: f.timeText, text: f.text, links: f.links,
      deleted: false, edited: f.edited, forwarded: f.forwarded, quote: f.quote, reactions: f.reactions,
      attachments: f.attachments, direction: null, pageOrder: messages.length,
    };
    if (f.kind === 'event') {
      messages.push({ ...base, type: 'event', sender: null });
      continue;
    }
    const sender = f.ownName ?? f.labelledName;
    const authorId = f.authorId ?? (f.headId ? groupAuthors.get(f.headId) : null) ?? null;
    if (f.headId && !groupAuthors.has(f.headId)) groupAuthors.set(f.headId, authorId);
    // By user id where the group shows an avatar; by name only where no id is on the page.
    const fromSelf =
      (authorId !== null && authorId === self.userId) || (authorId === null && sender !== null && sender === self.name);
    messages.push({ ...base, type: 'message', sender, fromSelf });
  }

  if (messages.length === 0) {
    throw fail(SEL.rows.join(', '), `no message rows of channel ${route.channel} matched ${SEL.rows.join(', ')}`);
  }
  return { thread, messages };
}

function conversationOpen(doc: Document): boolean {
  return routeOf(doc) !== null && doc.querySelector(SEL.openConversation) !== null;
}

/** The message list of the conversation the URL names (a thread in the side panel has its own list). */
function mainList(doc: Document): Element | null {
  const route = routeOf(doc);
  const own = route ? doc.querySelector(`${SEL.list} [id^="chat-messages-${route.channel}-"]`)?.closest(SEL.list) : null;
  return own ?? doc.querySelector(SEL.list);
}

const history: HistoryNavigation = {
  scroller(doc) {
    const pane = mainList(doc)?.parentElement?.closest(SEL.scroller) ?? null;
    const view = doc.defaultView;
    return view && pane instanceof view.HTMLElement ? pane : null;
  },
  // Discord loads older messages as the list scrolls up; there is nothing to click.
  olderHistoryControl: () => null,
  atBeginning(doc) {
    const list = mainList(doc);
    if (!list) return false;
    // The start banner sits above the first row, in the list or in its scrolling pane.
    const root = list.parentElement?.closest(SEL.scroller) ?? list;
    if (root.querySelector(SEL.beginning)) return true;
    const rows = Array.from(root.querySelectorAll(SEL.rows.join(', ')));
    return Array.from(root.querySelectorAll('h1, h2, h3, div')).some(
      (el) => !rows.some((r) => r.contains(el) || el.contains(r)) && SEL.beginningText.test(flatText(el)),
    );
  },
};

export const discordAdapter: Adapter = {
  id: 'discord',
  name: 'Discord',
  matches: ['https://discord.com/*'],
  matchesUrl: (url) => url.protocol === 'https:' && url.hostname === 'discord.com' && url.pathname.startsWith('/channels/'),
  conversationOpen,
  read,
  history,
  attachmentHosts: CDN_HOSTS,
  remembersRows: true,
  watchedAttributes: ['id', 'data-list-item-id'],
};
