/**
 * Slack adapter for app.slack.com/client/…: the open channel or DM, and, when the thread pane
 * is open, that thread's replies, each linked to its parent through `quote`. Rows → facts in
 * slack-rows.ts; selectors in slack-selectors.ts; the rules are in docs/adapters/slack.md.
 */
import type { CapturedParticipant, CapturedQuote, CapturedThread } from '../shared/model';
import { AdapterReadError } from './types';
import type { Adapter, HistoryNavigation, PageMessage, PageRead } from './types';
import { flatText, outermost, shortHash } from './dom';
import { readSlackRow } from './slack-rows';
import type { SlackRow } from './slack-rows';
import { RowMemo } from './row-memo';
import { BEGINNING_TEXT, CHANNEL_ID, SEL, TEAM_ID, TS_IN, USER_LABEL } from './slack-selectors';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('slack', selector, `could not read the messages on this page: ${what}`);

export interface SlackLocation {
  team: string | null;
  channel: string | null;
  /** The thread route's root ts, `…/thread/<CHANNEL>-<ts>` [U: route shape]. */
  threadTs: string | null;
}

/** `/client/<TEAM>/<CHANNEL>[/thread/<CHANNEL>-<ts>]` (idx 26254950915). */
export function parseSlackUrl(href: string): SlackLocation {
  const none: SlackLocation = { team: null, channel: null, threadTs: null };
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return none;
  }
  const seg = url.pathname.split('/').filter(Boolean);
  if (seg[0] !== 'client') return none;
  const at = seg.indexOf('thread');
  return {
    team: seg[1] && TEAM_ID.test(seg[1]) ? seg[1] : null,
    channel: seg[2] && CHANNEL_ID.test(seg[2]) ? seg[2] : null,
    threadTs: at >= 0 ? (TS_IN.exec(seg[at + 1] ?? '')?.[1] ?? null) : null,
  };
}

/** The channel id the page itself names: a message's `data-msg-channel-id`, or a day divider's id `<epochMs>.<CHANNEL>`. */
function channelFromPage(pane: Element): string | null {
  const fromMessage = pane.querySelector('[data-msg-channel-id]')?.getAttribute('data-msg-channel-id')?.trim();
  if (fromMessage && CHANNEL_ID.test(fromMessage)) return fromMessage;
  for (const el of Array.from(pane.querySelectorAll('[id]'))) {
    const m = /^\d{13}\.([CDG][A-Z0-9]{6,})$/.exec(el.id);
    if (m?.[1]) return m[1];
  }
  return null;
}

function kindOf(channel: string | null): CapturedThread['kind'] {
  if (!channel) return 'unknown';
  return channel.startsWith('D') ? 'direct' : channel.startsWith('G') ? 'group' : 'channel';
}

/** The account owner's name from their menu ("User: Dana Whitfield") [U]. */
function ownerName(doc: Document): string | null {
  const button = doc.querySelector(SEL.userButton);
  return button ? (USER_LABEL.exec(button.getAttribute('aria-label') ?? '')?.[1] ?? null) : null;
}

function threadOf(doc: Document, pane: Element, title: string, owner: string | null): CapturedThread {
  const loc = parseSlackUrl(doc.URL);
  const channel = loc.channel ?? channelFromPage(pane);
  const kind = kindOf(channel);
  // A DM's header names the other person; a channel's header shows only a member count.
  const participants: CapturedParticipant[] =
    kind === 'direct' ? [{ name: title, self: false }, ...(owner && owner !== title ? [{ name: owner, self: true }] : [])] : [];
  return {
    threadKey: channel ? (loc.team ? `${loc.team}/${channel}` : channel) : `title:${title}`,
    title,
    kind,
    participants,
  };
}

/** Message containers of one pane, in page order, with the day dividers between them. */
function paneEntries(pane: Element): { rows: Element[]; entries: (Element | 'divider')[] } | null {
  for (const selector of SEL.messages) {
    const rows = outermost(Array.from(pane.querySelectorAll(selector)));
    if (rows.length === 0) continue;
    const dividers = Array.from(pane.querySelectorAll(SEL.dayDivider)).filter((d) => !rows.some((r) => r.contains(d)));
    const all = outermost([...rows, ...dividers]);
    // DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
    all.sort((a, b) => (a === b ? 0 : a.compareDocumentPosition(b) & 4 ? -1 : 1));
    return { rows, entries: all.map((el) => (rows.includes(el) ? el : 'divider')) };
  }
  return null;
}

interface PageContext {
  owner: string | null;
  derivedId: (parts: (string | null)[]) => string;
}

/** Ids for rows without a ts (none seen so far): hash of sender, text and ordinal among identical rows. */
function idDeriver(): PageContext['derivedId'] {
  const seen = new Map<string, number>();
  return (parts) => {
    const key = parts.map((p) => p ?? '').join('\u0000');
    const ordinal = seen.get(key) ?? 0;
    seen.set(key, ordinal + 1);
    return `msg-${shortHash(`${key}\u0000${ordinal}`)}`;
  };
}

/** A loading placeholder, or a row with nothing in it: not a record. */
function isEmpty(row: Element, facts: SlackRow): boolean {
  return row.getAttribute('data-qa-placeholder') === 'true' || (!facts.ts && !facts.text && facts.attachments.length === 0);
}

/**
 * Each message container's facts (readSlackRow: the container's own content, and attributes of
 * its list item), read again only when the container changed (src/adapters/row-memo.ts).
 */
const rowMemo = new RowMemo<SlackRow>(SEL.messages.join(', '));

/**
 * One pane's rows as records. The sender of an adjacent message is the sender of the message
 * above it; a day divider, a notice or a tombstone ends that run (Slack shows the name again).
 */
function readPane(pane: Element, ctx: PageContext): PageMessage[] {
  const found = paneEntries(pane);
  if (!found) return [];
  const out: PageMessage[] = [];
  let runSender: string | null = null;
  for (const entry of found.entries) {
    if (entry === 'divider') {
      runSender = null;
      continue;
    }
    const f = rowMemo.get(entry, readSlackRow);
    if (isEmpty(entry, f)) continue;
    const event = f.automated;
    const sender: string | null = event || f.deleted ? f.sender : (f.sender ?? runSender);
    runSender = event || f.deleted ? null : sender;
    out.push({
      messageId: f.ts ?? ctx.derivedId([sender, f.text]),
      type: event ? 'event' : 'message',
      // A notice names its subject in the text: "Leo Brandt joined #permits-desk."
      sender: event ? null : sender,
      fromSelf: !event && sender !== null && sender === ctx.owner,
      sentAt: f.sentAt,
      sentAtText: f.sentAtText,
      text: event && f.sender ? `${f.sender} ${f.text}`.trim() : f.text,
      links: f.links,
      deleted: f.deleted,
      edited: f.edited,
      forwarded: false,
      quote: null,
      reactions: f.reactions,
      attachments: f.attachments,
      direction: f.dir,
      pageOrder: 0,
    });
  }
  return out;
}

function read(doc: Document): PageRead {
  rowMemo.sync(doc);
  const pane = doc.querySelector(SEL.messagePane);
  if (!pane) throw fail(SEL.messagePane, `no open conversation matched ${SEL.messagePane}`);
  const titleEl = doc.querySelector(SEL.title);
  const title = titleEl ? flatText(titleEl) : '';
  if (!title) throw fail(SEL.title, `the conversation header has no title (${SEL.title})`);
  const ctx: PageContext = { owner: ownerName(doc), derivedId: idDeriver() };
  const thread = threadOf(doc, pane, title, ctx.owner);

  const main = readPane(pane, ctx);
  const threadPanes = outermost(Array.from(doc.querySelectorAll(SEL.threadPane))).filter((p) => !p.contains(pane) && !pane.contains(p));
  const byId = new Map<string, PageMessage>();
  const messages: PageMessage[] = [];
  const keep = (m: PageMessage): void => {
    const seen = byId.get(m.messageId);
    if (seen) {
      // The same message in both panes (a thread root, a reply also sent to the channel): keep
      // the first reading, but not without its thread link.
      seen.quote ??= m.quote;
      return;
    }
    const kept = { ...m, pageOrder: messages.length };
    byId.set(m.messageId, kept);
    messages.push(kept);
  };
  main.forEach(keep);

  const threadTs = parseSlackUrl(doc.URL).threadTs;
  for (const threadPane of threadPanes) {
    const rows = readPane(threadPane, ctx);
    // The root is the route's ts when the pane shows it, else the pane's first message.
    const root = rows.find((m) => m.messageId === threadTs) ?? rows[0];
    if (!root) continue;
    const parent: CapturedQuote = { author: root.sender, text: root.text, messageId: root.messageId };
    for (const m of rows) keep(m === root ? m : { ...m, quote: { ...parent } });
  }

  if (messages.length === 0) throw fail(SEL.messages.join(', '), `no message rows matched ${SEL.messages.join(', ')}`);
  return { thread, messages };
}

function conversationOpen(doc: Document): boolean {
  return doc.querySelector(SEL.messagePane) !== null && doc.querySelector(SEL.title) !== null;
}

/** An element the user scrolls: overflow auto/scroll and taller content than its box (needs layout). */
function scrolls(el: Element): boolean {
  const view = el.ownerDocument.defaultView;
  if (!view) return false;
  const overflow = view.getComputedStyle(el).overflowY;
  return (overflow === 'auto' || overflow === 'scroll') && el.scrollHeight > el.clientHeight;
}

const history: HistoryNavigation = {
  /**
   * The main list (idx 54974031812), or the nearest wrapper up to the pane that actually
   * scrolls: the list may be the tall content of a scrolling `.c-scrollbar__hider` [U].
   */
  scroller: (doc) => {
    const list = doc.querySelector<HTMLElement>(SEL.scroller);
    const pane = doc.querySelector(SEL.messagePane);
    for (let el: HTMLElement | null = list; el && pane?.contains(el); el = el.parentElement) if (scrolls(el)) return el;
    return list;
  },
  // Slack loads older pages of 42 as the list scrolls up (idx 69626711160); there is no button.
  olderHistoryControl: () => null,
  /** The channel or DM intro above the first message [U: wording only, no source for the markup]. */
  atBeginning: (doc) => {
    const pane = doc.querySelector(SEL.messagePane);
    if (!pane) return false;
    const messageSelector = SEL.messages.join(', ');
    return Array.from(pane.querySelectorAll(`${SEL.listItem}, h1, h2`)).some(
      (el) => el.querySelector(messageSelector) === null && BEGINNING_TEXT.test(flatText(el)),
    );
  },
};

export const slackAdapter: Adapter = {
  id: 'slack',
  name: 'Slack',
  matches: ['https://app.slack.com/*'],
  matchesUrl: (url) => url.protocol === 'https:' && url.hostname === 'app.slack.com' && url.pathname.startsWith('/client/'),
  conversationOpen,
  read,
  history,
  remembersRows: true,
  // A loading placeholder becomes a message; a row's ts is on the container, its list item or its timestamp link.
  watchedAttributes: ['data-msg-ts', 'data-item-key', 'data-qa-placeholder', 'data-ts'],
};

