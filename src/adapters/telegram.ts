/**
 * Telegram Web adapter: one adapter for the two web clients Telegram serves from one host,
 * Web K (https://web.telegram.org/k/, morethanwords/tweb) and Web A (https://web.telegram.org/a/,
 * Ajaxy/telegram-tt), which render different DOMs (research messenger-dom.md §2). The page's
 * own DOM decides which reader runs (telegram-k.ts, telegram-a.ts); the URL's hash names the
 * chat. docs/adapters/telegram.md explains the rules.
 */
import type { CapturedThread } from '../shared/model';
import { AdapterReadError } from './types';
import type { Adapter, PageRead } from './types';
import { attr, flatText } from './dom';
import { idDeriver, kindFor, linkQuotes, parseTelegramLocation, threadKeyFor } from './telegram-parts';
import type { TelegramReader } from './telegram-parts';
import { webK } from './telegram-k';
import { webA } from './telegram-a';
import { telegramHistory } from './telegram-history';
import { SELF_NAME } from './telegram-selectors';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('telegram', selector, `could not read the messages on this page: ${what}`);

/** The client whose DOM is on the page; failing that, the one the path names. */
function readerFor(doc: Document): TelegramReader | null {
  if (webK.present(doc)) return webK;
  if (webA.present(doc)) return webA;
  const { client } = parseTelegramLocation(doc.URL);
  return client === 'k' ? webK : client === 'a' ? webA : null;
}

function titleOf(doc: Document, reader: TelegramReader): string | null {
  for (const selector of reader.titleSelectors) {
    const el = doc.querySelector(selector);
    const title = el ? (attr(el, 'title') ?? flatText(el, { skip: (e) => e.matches('i, svg') })) : '';
    if (title) return title;
  }
  return null;
}

/**
 * Open when the page shows a chat header or message list of either client, or when the URL's
 * hash names a chat (both clients put the open chat there): a page that names a chat but shows
 * nothing we recognise must fail loudly in read(), not pass for "no conversation".
 */
function conversationOpen(doc: Document): boolean {
  const reader = readerFor(doc);
  if (reader && titleOf(doc, reader) !== null) return true;
  if (doc.querySelector('.bubbles-inner .bubble, .MessageList .message-list-item')) return true;
  const loc = parseTelegramLocation(doc.URL);
  return loc.client !== null && loc.peer !== null;
}

function read(doc: Document): PageRead {
  const loc = parseTelegramLocation(doc.URL);
  if (!conversationOpen(doc)) throw fail('.topbar .chat-info, .MiddleHeader', 'no open conversation on this page');
  const reader = readerFor(doc);
  if (!reader) throw fail('.bubbles, .MessageList', 'the page is neither Telegram Web K nor Web A');
  const title = titleOf(doc, reader);
  if (!title) throw fail(reader.titleSelectors.join(', '), `the conversation header has no title (${reader.titleSelectors.join(', ')})`);

  const domPeer = reader.peerIdFromDom(doc);
  const peer = loc.peer?.startsWith('@') ? (domPeer ?? loc.peer) : (loc.peer ?? domPeer);
  const kind = kindFor(peer, reader.channelSigns(doc));
  const thread: CapturedThread = {
    threadKey: threadKeyFor(reader.client, loc, domPeer, title),
    title,
    kind,
    // The header shows a member count, not names; a one-to-one chat is the peer and the owner.
    participants: kind === 'direct' ? [{ name: title, self: false }, { name: SELF_NAME, self: true }] : [],
  };
  const messages = reader.messages(doc, { kind, title, now: new Date(), derivedId: idDeriver(), fail });
  // Rows were there but none was a message or a notice: a layout we do not know.
  if (messages.length === 0) {
    const selector = reader.rowSelectors.join(', ');
    throw fail(selector, `no messages or notices could be read from the rows matched by ${selector}`);
  }
  linkQuotes(messages);
  return { thread, messages };
}

export const telegramAdapter: Adapter = {
  id: 'telegram',
  name: 'Telegram Web',
  matches: ['https://web.telegram.org/*'],
  // Only the two clients' paths: /k/ (tweb) and /a/ (telegram-tt); the bare /k and /a redirect there.
  matchesUrl: (url) => url.protocol === 'https:' && url.hostname === 'web.telegram.org' && /^\/[ka](\/|$)/.test(url.pathname),
  conversationOpen,
  read,
  history: telegramHistory,
  // Both clients' readers remember each row's facts (telegram-k.ts, telegram-a.ts).
  remembersRows: true,
  // Web K swaps a sending message's temporary data-mid, Web A its fractional data-message-id (and
  // element id); Web A marks a message being deleted only by its class (is-deleting), briefly,
  // before it removes the row, so classes are watched here too.
  watchedAttributes: ['data-mid', 'data-message-id', 'id', 'class'],
};
