/**
 * Microsoft Teams adapter for new Teams (v2) chats on teams.microsoft.com and
 * teams.cloud.microsoft. Rows → facts in teams-rows.ts; selectors in teams-selectors.ts; the
 * rules are in docs/adapters/teams.md. Teams enforces Trusted Types: nothing here parses markup
 * (no innerHTML, outerHTML, insertAdjacentHTML, DOMParser), it only reads attributes and nodes.
 */
import type { CapturedParticipant, CapturedThread } from '../shared/model';
import { AdapterReadError } from './types';
import type { Adapter, HistoryNavigation, PageMessage, PageRead } from './types';
import { attr, flatText, isWithin, outermost, shortHash } from './dom';
import { readTeamsRow, withAuthor } from './teams-rows';
import type { TeamsRow } from './teams-rows';
import { RowMemo } from './row-memo';
import { linkPageQuotes } from '../shared/quote-match';
import { CONVERSATION_ID, ME_LABEL, SEL, SELF_WORD } from './teams-selectors';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('teams', selector, `could not read the messages on this page: ${what}`);

/**
 * The conversation id a URL names: classic `/_#/conversations/<id>`, deep links
 * `/l/chat/<id>/…` and `/l/message/<id>/<mid>`, percent-encoded or not. New Teams mostly keeps
 * the id out of the URL (idx 18686694843: it lives in sessionStorage), hence the header below.
 */
export function conversationIdFromUrl(href: string): string | null {
  let text = href;
  try {
    text = decodeURIComponent(href);
  } catch {
    // A malformed escape: search the raw text.
  }
  return CONVERSATION_ID.exec(text)?.[1] ?? null;
}

/** `div#chat-header-<conversation id>` (scraper idx 58119077231, from a real capture). */
function conversationIdFromPage(doc: Document): string | null {
  for (const el of Array.from(doc.querySelectorAll(SEL.header))) {
    const m = CONVERSATION_ID.exec(el.id.slice('chat-header-'.length));
    if (m?.[1]) return m[1];
  }
  return null;
}

function kindOf(id: string | null): CapturedThread['kind'] {
  if (!id) return 'unknown';
  if (id.endsWith('@unq.gbl.spaces') || id === '48:notes') return 'direct';
  if (id.endsWith('@thread.v2')) return 'group';
  return 'channel';
}

/** The header's title: the h2's `span[title]`, else its text. */
function readTitle(doc: Document): string {
  const el = doc.querySelector(SEL.title);
  if (!el) return '';
  const titled = el.querySelector('span[title]');
  return (titled ? attr(titled, 'title') : null) ?? flatText(el);
}

/** The signed-in user's name from their avatar's label ("Profile picture of Dana Whitfield.") [U]. */
function ownerName(doc: Document): string | null {
  for (const el of Array.from(doc.querySelectorAll(SEL.meControl))) {
    const name = ME_LABEL.exec((el.getAttribute('aria-label') ?? '').trim())?.[1];
    if (name) return name;
  }
  return null;
}

function threadOf(doc: Document, title: string, owner: string | null): CapturedThread {
  const id = conversationIdFromUrl(doc.URL) ?? conversationIdFromPage(doc);
  const kind = kindOf(id);
  const participants: CapturedParticipant[] =
    kind === 'direct' && id !== '48:notes'
      ? [{ name: title, self: false }, ...(owner && owner !== title ? [{ name: owner, self: true }] : [])]
      : [];
  return { threadKey: id ?? `title:${title}`, title, kind, participants };
}

/**
 * Ids for rows without data-mid: `<prefix>-` and FNV-1a 64 of what the row shows (for a notice,
 * the id of the message above it and its text) plus its ordinal among identical rows.
 */
function idDeriver(): (prefix: 'event' | 'msg', parts: (string | null)[]) => string {
  const seen = new Map<string, number>();
  return (prefix, parts) => {
    const key = parts.map((p) => p ?? '').join('\u0000');
    const ordinal = seen.get(`${prefix}\u0000${key}`) ?? 0;
    seen.set(`${prefix}\u0000${key}`, ordinal + 1);
    return `${prefix}-${shortHash(`${key}\u0000${ordinal}`)}`;
  };
}

function blank(pageOrder: number): Omit<PageMessage, 'messageId' | 'type' | 'text'> {
  return {
    sender: null, fromSelf: false, sentAt: null, sentAtText: null, links: [], deleted: false, edited: false,
    forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder,
  };
}

/** The open chat's message list: the viewport, else another list surface, never the side panel's. */
function listScope(doc: Document): ParentNode {
  const rails = Array.from(doc.querySelectorAll(SEL.rightRail));
  const outside = (selector: string): Element | undefined =>
    Array.from(doc.querySelectorAll(selector)).find((el) => !isWithin(el, rails));
  return outside(SEL.viewport) ?? outside(SEL.surface) ?? doc;
}

function findRows(doc: Document): Element[] {
  const scope = listScope(doc);
  const rails = Array.from(doc.querySelectorAll(SEL.rightRail));
  const found = rowMemo.matching(scope, SEL.rows);
  const rows = found ? outermost(found.elements).filter((el) => !isWithin(el, rails)) : [];
  if (rows.length === 0) throw fail(SEL.rows.join(', '), `no message rows matched ${SEL.rows.join(', ')}`);
  return rows;
}

/** The author of the run the next message may continue. */
interface Run {
  author: string | null;
  own: boolean;
}

/**
 * Each row's facts (readTeamsRow: only what is inside the row), read again only when the row
 * changed (src/adapters/row-memo.ts). An author named by id elsewhere is looked up on every read.
 */
const rowMemo = new RowMemo<TeamsRow>(SEL.rows.join(', '));

function read(doc: Document): PageRead {
  rowMemo.sync(doc);
  if (!conversationOpen(doc)) throw fail(SEL.surface, `no open chat matched ${SEL.surface}`);
  const title = readTitle(doc);
  if (!title) throw fail(SEL.title, `the chat header has no title (${SEL.title})`);
  const owner = ownerName(doc);
  const thread = threadOf(doc, title, owner);
  const derivedId = idDeriver();

  const messages: PageMessage[] = [];
  // The author of the run the next message may continue: Teams omits it on consecutive messages.
  let run = null as Run | null;
  for (const row of findRows(doc)) {
    const r = rowMemo.get(row, readTeamsRow);
    if (r.kind === 'divider') run = null;
    if (r.kind === 'notice') {
      run = null;
      const above = messages[messages.length - 1]?.messageId ?? null;
      messages.push({
        ...blank(messages.length),
        messageId: r.mid ?? derivedId('event', [above, r.text]),
        type: 'event',
        sentAt: r.sentAt,
        text: r.text,
        links: r.links,
      });
    }
    if (r.kind !== 'message') continue;
    const f = withAuthor(doc, r.facts);
    const own = f.own || (owner !== null && f.author === owner);
    const previous: Run | null = run;
    const carried: string | null = previous !== null && previous.own === own ? previous.author : null;
    const sender: string | null = own
      ? (f.author ?? owner ?? SELF_WORD)
      : (f.author ?? carried ?? (thread.kind === 'direct' ? title : null));
    run = { author: sender, own };
    messages.push({
      ...blank(messages.length),
      messageId: f.mid ?? derivedId('msg', [sender, f.sentAt, f.text]),
      type: 'message',
      sender,
      fromSelf: own,
      sentAt: f.sentAt,
      sentAtText: f.sentAtText,
      text: f.text,
      links: f.links,
      deleted: f.deleted,
      edited: f.edited,
      quote: f.quote ? { ...f.quote, messageId: null } : null,
      reactions: f.reactions,
      attachments: f.attachments,
      direction: f.dir,
    });
  }
  if (messages.length === 0) throw fail(`${SEL.message}, ${SEL.notice}`, `no messages matched ${SEL.message}, ${SEL.notice}`);
  // The quote card names no message id: matched by text and author (the owner by name).
  linkPageQuotes(messages, (c, author) => c.sender === author || (c.fromSelf && author === owner));
  return { thread, messages };
}

function conversationOpen(doc: Document): boolean {
  return doc.querySelector(SEL.surface) !== null;
}

const history: HistoryNavigation = {
  scroller: (doc) => {
    const scope = listScope(doc);
    return 'matches' in scope && (scope as Element).matches(SEL.viewport) ? (scope as HTMLElement) : null;
  },
  // Older messages load on scroll-to-top (idx 18686694843); some chats first hide history behind this button.
  olderHistoryControl: (doc) => doc.querySelector<HTMLElement>(SEL.hiddenHistory),
  // [U] No source names a beginning-of-chat marker; the runner has to stop when scrolling loads nothing more.
  atBeginning: () => false,
};

export const teamsAdapter: Adapter = {
  id: 'teams',
  name: 'Microsoft Teams',
  matches: ['https://teams.microsoft.com/*', 'https://teams.cloud.microsoft/*'],
  matchesUrl: (url) => url.protocol === 'https:' && (url.hostname === 'teams.microsoft.com' || url.hostname === 'teams.cloud.microsoft'),
  conversationOpen,
  read,
  history,
  remembersRows: true,
  watchedAttributes: ['data-mid', 'id'],
};
