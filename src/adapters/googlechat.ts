/**
 * Google Chat adapter: the open space or direct message of https://chat.google.com/. The URL
 * names the conversation; the page gives every message an opaque id, an author id and an
 * absolute time in epoch milliseconds (research notes messenger-dom.md §6). Messages are read
 * one by one (googlechat-message.ts), then page-wide: senders of continuation messages, topic
 * replies linked to the message that started the topic, and the thread itself. Selectors live
 * in googlechat-selectors.ts; docs/adapters/googlechat.md explains the rules.
 *
 * Inside Gmail (mail.google.com/chat/…, and the Chat panel of the inbox) Chat renders in
 * iframes at https://chat.google.com/u/<n>/frame?…; the same reader serves them (the frame's
 * URL names no conversation, so the open pane's `data-group-id` does), and `embeddedFrame`
 * tells the content script and the background which frames those are.
 */
import type { CapturedParticipant, CapturedThread } from '../shared/model';
import { toLocalIso } from '../shared/time';
import { AdapterReadError } from './types';
import type { Adapter, HistoryNavigation, PageMessage, PageRead } from './types';
import { attr, flatText, outermost } from './dom';
import { readMessage } from './googlechat-message';
import type { GcMessageFacts } from './googlechat-message';
import { CREATED, SEL } from './googlechat-selectors';
import { RowMemo } from './row-memo';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('googlechat', selector, `could not read the messages on this page: ${what}`);

export interface GcConversation {
  /** The conversation id, the same one the page uses in `data-group-id="space/<id>"`. */
  id: string;
  /** What the URL says it is; `/app/chat/<id>` does not say. */
  kind: 'space' | 'dm' | null;
}

/**
 * The conversation a chat.google.com URL names: `/room/<id>` and `/space/<id>` (spaces),
 * `/dm/<id>` (direct messages), `/app/chat/<id>` (either), each optionally after `/u/<n>`
 * (signed-in account index) and before a topic or message id.
 */
export function conversationFromUrl(url: string): GcConversation | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:' || u.hostname !== 'chat.google.com') return null;
  const m = /^(?:\/u\/\d+)?\/(?:app\/)?(chat|room|space|dm)\/([A-Za-z0-9_-]+)(?:\/|$)/.exec(u.pathname);
  if (!m?.[1] || !m[2]) return null;
  return { id: m[2], kind: m[1] === 'dm' ? 'dm' : m[1] === 'chat' ? null : 'space' };
}

/** `space/AAAA…` or `dm/…` → its parts. */
function parseGroupId(value: string | null): { kind: 'space' | 'dm'; id: string } | null {
  const m = /^(space|dm)\/([A-Za-z0-9_-]+)$/.exec(value?.trim() ?? '');
  return m?.[1] && m[2] ? { kind: m[1] as 'space' | 'dm', id: m[2] } : null;
}

/** The open conversation's pane: the one the URL names; a different one means the page is switching. */
function findPane(doc: Document, conv: GcConversation | null): Element | null {
  const panes = Array.from(doc.querySelectorAll(SEL.pane));
  if (!conv) return panes.find((p) => p.getAttribute('aria-hidden') !== 'true') ?? null;
  const match = panes.find((p) => parseGroupId(p.getAttribute('data-group-id'))?.id === conv.id);
  if (match) return match;
  if (panes.length > 0) {
    const shown = panes.map((p) => p.getAttribute('data-group-id')).join(', ');
    throw fail(SEL.pane, `the address names conversation ${conv.id} but the open pane shows ${shown} (the page is switching conversations; try again)`);
  }
  return null;
}

function sidebarEntry(doc: Document, id: string): Element | null {
  return Array.from(doc.querySelectorAll(SEL.sidebarEntry)).find((e) => parseGroupId(e.getAttribute('data-group-id'))?.id === id) ?? null;
}

/** Message elements under `root`, in document order, per the first layout that matches. */
function findMessages(root: Element): { els: { el: Element; id: string }[]; selector: string | null } {
  for (const selector of SEL.messages) {
    const found = Array.from(root.querySelectorAll(selector));
    if (found.length === 0) continue;
    let els: Element[];
    if (selector.includes('data-user-id')) els = outermost(found);
    else if (selector.includes('data-message-id')) els = found.map((h) => h.closest(SEL.messageGroup) ?? h.parentElement ?? h);
    else els = found.filter((e) => !found.some((o) => o !== e && e.contains(o))); // leaf groups (idx 54185429076)
    const out: { el: Element; id: string }[] = [];
    for (const el of els.filter((e, i) => els.indexOf(e) === i)) {
      const id = attr(el, 'data-id') ?? attr(el.querySelector('[data-message-id]') ?? el, 'data-message-id');
      if (id) out.push({ el, id });
    }
    if (out.length > 0) return { els: out, selector };
  }
  return { els: [], selector: null };
}

function blank(pageOrder: number): Omit<PageMessage, 'messageId' | 'type' | 'text'> {
  return {
    sender: null, fromSelf: false, sentAt: null, sentAtText: null, links: [], deleted: false, edited: false,
    forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder,
  };
}

/**
 * Each message element's facts, read again only when the element changed (src/adapters/row-memo.ts).
 * readMessage reads only inside the element, given the layout: it leaves out descendants that
 * are messages of their own, and under the first two of SEL.messages no found element holds
 * another (outermost ones, leaf groups), while an element found under the third (a heading's
 * group) matches neither of the others, or they would have found it first. So the same element
 * is never read under two layouts without a change to its own attributes, which forgets it.
 */
const rowMemo = new RowMemo<GcMessageFacts>(`${SEL.messages.join(', ')}, ${SEL.messageGroup}`);

function read(doc: Document): PageRead {
  if (!conversationOpen(doc)) throw fail(SEL.main, `no open conversation matched ${SEL.pane} or a conversation address`);
  const conv = conversationFromUrl(doc.URL);
  const pane = findPane(doc, conv);
  const group = parseGroupId(pane?.getAttribute('data-group-id') ?? null);
  const id = conv?.id ?? group?.id ?? null;
  const entry = id ? sidebarEntry(doc, id) : null;
  const scope = pane ?? doc.querySelector(SEL.main) ?? doc.body;

  rowMemo.sync(doc);
  const { els } = findMessages(scope);
  const messageEls = new Set(els.map((e) => e.el));
  // Chat may show a message twice (a thread's reply preview and the reply itself,
  // idx 54185429076): the first occurrence is kept.
  const seen = new Set<string>();
  const firstOccurrences = els.filter((e) => !seen.has(e.id) && (seen.add(e.id), true));
  const isMessage = (x: Element): boolean => messageEls.has(x);
  const facts = firstOccurrences.map((e) => rowMemo.get(e.el, (el) => readMessage(el, e.id, isMessage)));
  if (facts.length === 0) throw fail(SEL.messages.join(', '), `no messages matched ${SEL.messages.join(', ')}`);

  // The thread.
  const kind = conv?.kind ?? group?.kind ?? parseGroupId(entry?.getAttribute('data-group-id') ?? null)?.kind ?? null;
  const members = entry ? Array.from(entry.querySelectorAll(SEL.sidebarMember)).map((e) => attr(e, 'data-name')).filter((n): n is string => !!n) : [];
  const header = doc.querySelector(SEL.headerTitle);
  const title =
    (entry ? (attr(entry.querySelector(SEL.sidebarTitle) ?? entry, 'title') ?? members.join(', ')) : '') ||
    (header ? flatText(header) : '') ||
    doc.title.replace(/\s*[-–|]\s*Google Chat\s*$/i, '').replace(/^Google Chat\s*[-–|]\s*/i, '').trim() ||
    id || 'Google Chat';

  // Authors: a heading names its message; the author id carries that name to the author's
  // other messages (continuations show no heading). Without author ids (2026 layout), a
  // message without a heading continues the previous message of its topic.
  const byUser = new Map<string, { name: string; self: boolean }>();
  for (const f of facts) if (f.userId && f.author && !byUser.has(f.userId)) byUser.set(f.userId, f.author);
  const topicOf = (f: GcMessageFacts): Element | null => f.el.closest(SEL.topic);
  const topics = outermost(Array.from(scope.querySelectorAll(SEL.topic)));
  const linkTopics = kind !== 'dm' && topics.length > 1;

  // Topics holding no message are notices (membership changes and the like) [U]; they are
  // read in page order with the messages.
  const topicsWithMessages = new Set(els.map((e) => e.el.closest(SEL.topic)));
  const notices = topics
    .filter((t) => !topicsWithMessages.has(t))
    .map((t) => ({ t, text: flatText(t, { skip: (e) => e.matches(SEL.controls) || e.getAttribute('aria-hidden') === 'true' }) }))
    .filter((n) => n.text !== '');
  type Unit = { at: Element; fact: GcMessageFacts } | { at: Element; notice: { t: Element; text: string } };
  const units: Unit[] = [...facts.map((fact) => ({ at: fact.el, fact })), ...notices.map((notice) => ({ at: notice.t, notice }))];
  // Page order from one walk of the pane (pairwise compareDocumentPosition is slow on long threads).
  const position = new Map<Element, number>();
  for (const el of Array.from(scope.querySelectorAll('*'))) position.set(el, position.size);
  units.sort((a, b) => (position.get(a.at) ?? 0) - (position.get(b.at) ?? 0));

  const messages: PageMessage[] = [];
  const firstOfTopic = new Map<Element, PageMessage>();
  const participants: CapturedParticipant[] = members.map((name) => ({ name, self: false }));
  let previous: { topic: Element | null; m: PageMessage } | null = null;
  for (const unit of units) {
    if ('notice' in unit) {
      const topicId = unit.notice.t.getAttribute('data-topic-id') ?? '';
      messages.push({ ...blank(messages.length), messageId: `event-${topicId}`, type: 'event', text: unit.notice.text });
      previous = null;
      continue;
    }
    const f = unit.fact;
    const topic = topicOf(f);
    const continues = previous !== null && previous.topic === topic ? previous.m : null;
    const author =
      f.author ??
      (f.userId ? byUser.get(f.userId) : undefined) ??
      (!f.userId && continues?.sender ? { name: continues.sender, self: continues.fromSelf } : null);
    const head = topic ? firstOfTopic.get(topic) : undefined;
    const m: PageMessage = {
      ...blank(messages.length),
      messageId: f.messageId,
      type: 'message',
      sender: author?.name ?? null,
      fromSelf: author?.self ?? false,
      sentAt: f.time ? toLocalIso(new Date(f.time.ms)) : null,
      sentAtText: f.time?.text ?? null,
      text: f.text,
      links: f.links,
      deleted: f.deleted,
      edited: f.edited,
      // A later message of a space's topic is a reply in that thread: linked to the topic's first message.
      quote: linkTopics && head ? { author: head.sender, text: head.text, messageId: head.messageId } : null,
      reactions: f.reactions,
      attachments: f.attachments,
      direction: f.dir,
    };
    if (topic && !head) firstOfTopic.set(topic, m);
    messages.push(m);
    if (m.sender && !participants.some((p) => p.name === m.sender && p.self === m.fromSelf)) {
      participants.push({ name: m.sender, self: m.fromSelf });
    }
    previous = { topic, m };
  }

  const thread: CapturedThread = {
    threadKey: id ?? `title:${title}`,
    title,
    kind: kind === 'space' ? 'group' : kind === 'dm' ? (members.length > 1 ? 'group' : 'direct') : 'unknown',
    participants,
  };
  return { thread, messages };
}

function conversationOpen(doc: Document): boolean {
  if (doc.querySelector(SEL.pane)) return true;
  return conversationFromUrl(doc.URL) !== null && doc.querySelector(SEL.main) !== null;
}

function scrollable(el: Element): boolean {
  const view = el.ownerDocument.defaultView;
  if (!view || !(el instanceof view.HTMLElement)) return false;
  const overflow = view.getComputedStyle(el).overflowY;
  return (overflow === 'auto' || overflow === 'scroll') && el.scrollHeight > el.clientHeight;
}

export const googlechatHistory: HistoryNavigation = {
  scroller(doc) {
    // The pane's first child scrolls (idx 17040581887: `c-wiz[data-group-id][data-is-client-side] > div:nth-child(1)`);
    // else the nearest scrolling ancestor of the first topic or message. When everything fits
    // (nothing scrolls yet), the pane's first child, where older topics will appear.
    const pane = doc.querySelector(SEL.pane);
    const first = pane?.firstElementChild ?? null;
    if (first && scrollable(first)) return first as HTMLElement;
    const inner = doc.querySelector(`${SEL.topic}, ${SEL.messages.join(', ')}`);
    for (let up: HTMLElement | null = inner?.parentElement ?? null; up; up = up.parentElement) if (scrollable(up)) return up;
    const view = doc.defaultView;
    return first && view && first instanceof view.HTMLElement ? first : null;
  },
  // Chat loads older topics as the pane nears its top; there is no button to press [U].
  olderHistoryControl: () => null,
  atBeginning(doc) {
    const first = doc.querySelector(SEL.topic);
    return first !== null && CREATED.test(flatText(first));
  },
};

/** Chat's frame inside Gmail: `https://chat.google.com/u/<n>/frame?shell=…&origin=https%3A%2F%2Fmail.google.com…`. */
export function isChatFrame(url: URL): boolean {
  return url.protocol === 'https:' && url.hostname === 'chat.google.com' && /^(?:\/u\/\d+)?\/frame\/?$/.test(url.pathname);
}

export const googlechatAdapter: Adapter = {
  id: 'googlechat',
  name: 'Google Chat',
  matches: ['https://chat.google.com/*'],
  matchesUrl: (url) => url.protocol === 'https:' && url.hostname === 'chat.google.com',
  conversationOpen,
  read,
  history: googlechatHistory,
  embeddedFrame: isChatFrame,
  remembersRows: true,
  watchedAttributes: ['data-message-id', 'data-user-id'],
};
