/**
 * Facebook Messenger adapter: the open conversation of https://www.messenger.com/t/<id> and
 * https://www.facebook.com/messages/t/<id> (and their /e2ee/t/<id> forms). Rows are read one
 * by one (messenger-rows.ts), then page-wide: senders of continuation rows, times from
 * separator rows, quote links and, because the page gives messages no id of their own
 * (research notes messenger-dom.md §6), derived ids that a second capture reproduces.
 * Selectors live in messenger-selectors.ts; docs/adapters/messenger.md explains the rules.
 */
import type { CapturedParticipant, CapturedThread } from '../shared/model';
import { toLocalIso } from '../shared/time';
import { AdapterReadError } from './types';
import type { Adapter, HistoryNavigation, PageMessage, PageRead } from './types';
import { flatText, firstMatching, outermost, shortHash } from './dom';
import { classifyRow, readRow } from './messenger-rows';
import type { RowRead } from './messenger-rows';
import { RowMemo } from './row-memo';
import { linkPageQuotes } from '../shared/quote-match';
import type { MessageFacts, RowFacts } from './messenger-rows';
import { BEGINNING, LOG_LABEL, SEL, SELF } from './messenger-selectors';
import { parseMessengerTime } from './messenger-time';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('messenger', selector, `could not read the messages on this page: ${what}`);

/**
 * The thread an address names: `t/<id>` for /t/<id> (messenger.com) and /messages/t/<id>
 * (facebook.com), `e2ee/t/<id>` for their end-to-end encrypted forms, so one conversation has
 * one key on both hosts. Null for any other page (the inbox, settings, another host).
 */
export function threadFromUrl(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'https:') return null;
  const prefix = u.hostname === 'www.messenger.com' ? '' : u.hostname === 'www.facebook.com' ? '/messages' : null;
  if (prefix === null) return null;
  const m = new RegExp(`^${prefix}/(e2ee/)?t/([A-Za-z0-9._-]+)/?$`).exec(u.pathname);
  return m?.[2] ? `${m[1] ? 'e2ee/' : ''}t/${m[2]}` : null;
}

function findLog(doc: Document): Element | null {
  return firstMatching(doc, SEL.log)?.elements[0] ?? null;
}

function blank(pageOrder: number): Omit<PageMessage, 'messageId' | 'type' | 'text'> {
  return {
    sender: null, fromSelf: false, sentAt: null, sentAtText: null, links: [], deleted: false, edited: false,
    forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder,
  };
}


/**
 * The key of each row's separator section: `at:<UTC instant of the separator>` (a row is a
 * separator only when its time resolves). Rows above the first separator on the page belong
 * to a section whose separator is not loaded: `before:<key of the first separator>` (or `none`
 * when the page shows no separator at all).
 */
function sectionKeys(facts: RowFacts[], now: Date): { key: string[]; sepTime: (Date | null)[]; sepText: (string | null)[]; partial: boolean[] } {
  const sepKey = (text: string): string => `at:${parseMessengerTime(text, now)?.toISOString() ?? ''}`;
  const firstSep = facts.find((f) => f.kind === 'separator');
  const before = firstSep?.kind === 'separator' ? `before:${sepKey(firstSep.text)}` : 'none';
  const key: string[] = [];
  const sepTime: (Date | null)[] = [];
  const sepText: (string | null)[] = [];
  const partial: boolean[] = [];
  let current = before;
  let time: Date | null = null;
  let text: string | null = null;
  for (const f of facts) {
    if (f.kind === 'separator') {
      current = sepKey(f.text);
      time = parseMessengerTime(f.text, now);
      text = f.text;
    }
    key.push(current);
    sepTime.push(time);
    sepText.push(text);
    partial.push(current === before && before !== 'none');
  }
  return { key, sepTime, sepText, partial };
}

/**
 * Derived ids: `msg-` (or `event-`) + FNV-1a 64 of the key parts joined by U+0000 and the
 * ordinal of the row among rows with the same parts. Counted from the top, except in the
 * partial section above the first separator, counted from its bottom, so that older history
 * loading above it does not renumber it.
 */
function assignIds(keys: (string[] | null)[], partial: boolean[], prefix: (i: number) => string): (string | null)[] {
  const out: (string | null)[] = keys.map(() => null);
  const seen = new Map<string, number>();
  const order = [...keys.keys()];
  const visit = (i: number): void => {
    const parts = keys[i];
    if (!parts) return;
    const joined = parts.join('\u0000');
    const ordinal = seen.get(joined) ?? 0;
    seen.set(joined, ordinal + 1);
    out[i] = `${prefix(i)}-${shortHash(`${joined}\u0000${ordinal}`)}`;
  };
  for (const i of [...order.filter((i) => partial[i])].reverse()) visit(i);
  for (const i of order.filter((i) => !partial[i])) visit(i);
  return out;
}

/** Text plus attachment kinds: what a row shows, for its derived id. */
const contentKey = (m: MessageFacts): string => [m.text, ...m.attachments.map((a) => `[${a.kind}]`)].join('\u0001');

/**
 * Each row's own facts (readRow), read again only when the row changed. Whether a line of text
 * is a time separator, and every time, is settled against the clock on every read.
 */
const rowMemo = new RowMemo<RowRead>(SEL.rows.join(', '));

/** Reads the page with `now` anchoring relative times ("Yesterday at 18:40"). */
export function readMessengerPage(doc: Document, now: Date): PageRead {
  rowMemo.sync(doc);
  if (!conversationOpen(doc)) throw fail(SEL.log.join(', '), `no open conversation matched ${SEL.log.join(', ')}`);
  const log = findLog(doc);
  if (!log) throw fail(SEL.log.join(', '), `no message list matched ${SEL.log.join(', ')}`);
  const rowsFound = rowMemo.matching(log, SEL.rows);
  if (!rowsFound) throw fail(SEL.rows.join(', '), `no message rows matched ${SEL.rows.join(', ')}`);
  const isTime = (t: string): boolean => parseMessengerTime(t, now) !== null;
  const facts = outermost(rowsFound.elements).map((row) => classifyRow(rowMemo.get(row, readRow), isTime));
  const messageFacts = facts.flatMap((f) => (f.kind === 'message' ? [f.facts] : []));
  if (messageFacts.length === 0) throw fail(`${SEL.cell}, ${SEL.senderLabel}, ${SEL.timeLabel}`, `no row held a message (${SEL.cell})`);

  // The thread.
  const threadPath = threadFromUrl(doc.URL);
  const logTitle = (log.getAttribute('aria-label') ?? '').replace(LOG_LABEL, '').trim();
  const docTitle = doc.title.replace(/^\(\d+\)\s*/, '').replace(/\s*[|·-]\s*Messenger\s*$/i, '').trim();
  const title = (LOG_LABEL.test(log.getAttribute('aria-label') ?? '') ? logTitle : '') ||
    (docTitle && !/^(messenger|facebook)$/i.test(docTitle) ? docTitle : '') || threadPath || 'Messenger';
  const others: string[] = [];
  for (const m of messageFacts) {
    for (const name of [m.label && !m.label.self ? m.label.name : null, m.a11y && m.a11y.sender !== SELF ? m.a11y.sender : null]) {
      if (name && !others.includes(name)) others.push(name);
    }
  }
  const kind: CapturedThread['kind'] = others.length >= 2 ? 'group' : others.length === 1 && others[0] === title ? 'direct' : 'unknown';
  const threadKey = threadPath ?? `title:${title}`;

  // Senders, times and the id of every row.
  const { key: section, sepTime, sepText, partial } = sectionKeys(facts, now);
  const records: (PageMessage | null)[] = [];
  const idKeys: (string[] | null)[] = [];
  let previous: PageMessage | null = null;
  let firstAfterSeparator = true; // the page's first record has no separator above it
  for (const [i, f] of facts.entries()) {
    if (f.kind === 'separator') firstAfterSeparator = true;
    if (f.kind !== 'message' && f.kind !== 'event') {
      records.push(null);
      idKeys.push(null);
      continue;
    }
    // The separator's time is the time of the first record under it; others show none.
    const fromSeparator = firstAfterSeparator && sepTime[i] ? sepTime[i] : null;
    const separatorText = firstAfterSeparator ? (sepText[i] ?? null) : null;
    firstAfterSeparator = false;
    if (f.kind === 'event') {
      previous = null;
      records.push({ ...blank(0), messageId: '', type: 'event', text: f.text, links: f.links, sentAt: fromSeparator ? toLocalIso(fromSeparator) : null, sentAtText: fromSeparator ? separatorText : null });
      idKeys.push(['event', threadKey, section[i] ?? 'none', f.text]);
      continue;
    }
    const m = f.facts;
    const self = m.label?.self ?? (m.a11y ? m.a11y.sender === SELF : null) ?? (m.outgoing ? true : null);
    const fromSelf = self ?? previous?.fromSelf ?? false;
    const continues = previous !== null && previous.fromSelf === fromSelf;
    const sender =
      (m.label ? m.label.name : null) ?? m.a11y?.sender ?? (continues ? previous?.sender : null) ??
      (fromSelf ? SELF : kind === 'direct' ? title : null);
    const own = m.a11y ? parseMessengerTime(m.a11y.timeText, now) : null;
    const at = own ?? fromSeparator;
    const record: PageMessage = {
      ...blank(0),
      messageId: m.platformId ?? '',
      type: 'message',
      sender,
      fromSelf,
      sentAt: at ? toLocalIso(at) : null,
      sentAtText: m.a11y?.timeText ?? (fromSeparator ? separatorText : null),
      text: m.text,
      links: m.links,
      deleted: m.deleted,
      edited: m.edited,
      quote: m.quoteText !== null ? { author: m.label?.repliesTo ?? null, text: m.quoteText, messageId: null } : null,
      reactions: m.reactions,
      attachments: m.attachments,
      direction: m.dir,
    };
    records.push(record);
    idKeys.push(m.platformId ? null : ['msg', threadKey, own ? `at:${own.toISOString()}` : (section[i] ?? 'none'), sender ?? '', contentKey(m)]);
    previous = record;
  }

  const ids = assignIds(idKeys, partial.map((p, i) => p && !(idKeys[i]?.[2] ?? '').startsWith('at:')), (i) => (facts[i]?.kind === 'event' ? 'event' : 'msg'));
  const messages: PageMessage[] = [];
  for (const [i, r] of records.entries()) {
    if (!r) continue;
    messages.push({ ...r, messageId: r.messageId || (ids[i] ?? ''), pageOrder: messages.length });
  }
  // The page links no reply to its original (research §6): matched by text and author ("You" = the owner).
  linkPageQuotes(messages, (c, author) => (author === SELF ? c.fromSelf : c.sender === author));

  const participants: CapturedParticipant[] = others.map((name) => ({ name, self: false }));
  if (messages.some((m) => m.fromSelf)) participants.push({ name: SELF, self: true });
  return { thread: { threadKey, title, kind, participants }, messages };
}

function conversationOpen(doc: Document): boolean {
  if (doc.querySelector(SEL.log.slice(0, 2).join(', '))) return true;
  return threadFromUrl(doc.URL) !== null && doc.querySelector(SEL.main) !== null;
}

function scrollable(el: Element): boolean {
  const view = el.ownerDocument.defaultView;
  if (!view || !(el instanceof view.HTMLElement)) return false;
  const overflow = view.getComputedStyle(el).overflowY;
  return (overflow === 'auto' || overflow === 'scroll') && el.scrollHeight > el.clientHeight;
}

export const messengerHistory: HistoryNavigation = {
  scroller(doc) {
    // The log or the nearest ancestor of it that scrolls [U: which one scrolls varies by build];
    // when everything fits (nothing scrolls yet), the log itself.
    const log = findLog(doc);
    for (let el: Element | null = log; el; el = el.parentElement) if (scrollable(el)) return el as HTMLElement;
    const view = doc.defaultView;
    return log && view && log instanceof view.HTMLElement ? log : null;
  },
  olderHistoryControl(doc) {
    // Some builds show a "See older messages" control (lookup idx 71261577916) [U].
    const log = findLog(doc);
    const controls = log ? Array.from(log.querySelectorAll('button, [role="button"]')) : [];
    const found = controls.find((el) => /\b(see|load|show|view) older\b/i.test(`${flatText(el)} ${el.getAttribute('aria-label') ?? ''}`));
    return (found as HTMLElement | undefined) ?? null;
  },
  atBeginning(doc) {
    const log = findLog(doc);
    const first = log ? firstMatching(log, SEL.rows)?.elements[0] : undefined;
    return first !== undefined && BEGINNING.test(flatText(first));
  },
};

export const messengerAdapter: Adapter = {
  id: 'messenger',
  name: 'Messenger',
  matches: ['https://www.messenger.com/*', 'https://www.facebook.com/messages/*'],
  matchesUrl: (url) =>
    url.protocol === 'https:' &&
    (url.hostname === 'www.messenger.com' || (url.hostname === 'www.facebook.com' && (url.pathname === '/messages' || url.pathname.startsWith('/messages/')))),
  conversationOpen,
  read: (doc) => readMessengerPage(doc, new Date()),
  history: messengerHistory,
  remembersRows: true,
  watchedAttributes: ['data-message-id'],
};
