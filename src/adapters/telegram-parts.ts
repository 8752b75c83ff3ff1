/**
 * What Web K and Web A have in common: the URL rule for the thread key, clock text, counts,
 * attachment records, quote linking and derived ids. The two DOM readers are telegram-k.ts and
 * telegram-a.ts; docs/adapters/telegram.md explains the rules.
 */
import type { CapturedThread } from '../shared/model';
import type { AdapterReadError, PageAttachment, PageMessage } from './types';
import { shortHash } from './dom';
import { NOT_DOWNLOADED, SELF_WORDS } from './telegram-selectors';
import { linkPageQuotes } from '../shared/quote-match';

export type TelegramClient = 'k' | 'a';

/** What a client's reader needs from the rest of the page. */
export interface ReadContext {
  kind: CapturedThread['kind'];
  title: string;
  /** The capture's clock: Web A's "Today" and year-less day headers are read against it. */
  now: Date;
  derivedId: (prefix: string, parts: (string | null)[]) => string;
  fail: (selector: string, what: string) => AdapterReadError;
}

/** One web client's DOM reader (telegram-k.ts, telegram-a.ts). */
export interface TelegramReader {
  client: TelegramClient;
  /** This client's DOM is on the page. */
  present(doc: Document): boolean;
  /** Thread title, first that matches wins. */
  titleSelectors: readonly string[];
  rowSelectors: readonly string[];
  /** The chat's numeric peer id as the DOM states it (Web K bubbles), or null. */
  peerIdFromDom(doc: Document): string | null;
  /** The page shows channel posts (view counters on posts that are not forwards). */
  channelSigns(doc: Document): boolean;
  /** Every record on the page in page order; throws when no row selector matches. */
  messages(doc: Document, ctx: ReadContext): PageMessage[];
}

export interface TelegramLocation {
  /** Which web client the path names: `/k/` (tweb) or `/a/` (telegram-tt); null on any other path. */
  client: TelegramClient | null;
  /** The chat the hash names: `@username`, or a peer id such as `-1001234567890` / `777000`. */
  peer: string | null;
  /** What follows the peer: a forum topic (`_42` in Web A, idx 35971335720) or anything else, kept verbatim. */
  rest: string;
}

/**
 * Web K: `/k/#@username` or `/k/#<peerId>`; Web A: `/a/#<chatId>` with `_<threadId>` for a forum
 * topic (research §2 "URL"). Anything after the peer (`_42`, `?thread=42`) is kept verbatim.
 */
export function parseTelegramLocation(url: string): TelegramLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { client: null, peer: null, rest: '' };
  }
  const m = /^\/([ka])(?:\/|$)/.exec(parsed.pathname);
  const client = m ? (m[1] as TelegramClient) : null;
  let hash = parsed.hash.replace(/^#/, '');
  try {
    hash = decodeURIComponent(hash);
  } catch {
    // A malformed escape stays as written.
  }
  const peer = /^(@[A-Za-z0-9_]{2,64}|-?\d{1,20})(.*)$/.exec(hash.trim());
  return peer ? { client, peer: peer[1] ?? null, rest: peer[2] ?? '' } : { client, peer: null, rest: '' };
}

/**
 * The thread key: `<client>:<peer><rest>`, e.g. `a:-1001234567890`, `a:-1001234567890_42`,
 * `k:-1234567890`, `k:777000`. The client is part of the key because the two clients number
 * chats differently (Web A writes a supergroup as `-100<id>`, Web K as `-<id>`, which Web A
 * uses for basic groups), so one number can name different chats in the two clients. Web K's
 * `@username` is replaced by the numeric peer id the bubbles carry, when they carry one, so
 * opening a chat by name or by id gives one key. No peer in the URL: `title:<title>`.
 */
export function threadKeyFor(client: TelegramClient, loc: TelegramLocation, bubblePeerId: string | null, title: string): string {
  let peer = loc.peer;
  if (peer?.startsWith('@') && bubblePeerId) peer = bubblePeerId;
  return peer ? `${client}:${peer}${loc.rest}` : `title:${title}`;
}

/** Direct, group or channel from the peer id's sign and the page's channel signs. */
export function kindFor(peer: string | null, channelSigns: boolean): CapturedThread['kind'] {
  if (peer === null || !/^-?\d+$/.test(peer)) return channelSigns ? 'channel' : 'unknown';
  if (!peer.startsWith('-')) return 'direct';
  return channelSigns ? 'channel' : 'group';
}

export interface Clock {
  /** As shown, whitespace collapsed: "10:31", "10:31 PM". */
  text: string;
  hour: number;
  minute: number;
}

const CLOCK = /(\d{1,2}):(\d{2})(?:\s*([AaPp])\.?\s?[Mm]\.?)?/g;

/**
 * The last clock time in `text` ("edited 10:31" → 10:31). Web A writes 12-hour times as
 * "00:15 AM" after midnight and "12:30 PM" at noon (telegram-tt dateFormat.ts `formatTime`).
 */
export function findClock(text: string): Clock | null {
  let last: RegExpExecArray | null = null;
  for (const m of text.matchAll(CLOCK)) last = m;
  if (!last) return null;
  let hour = Number(last[1]);
  const minute = Number(last[2]);
  const meridiem = last[3]?.toLowerCase();
  if (minute > 59 || hour > 23) return null;
  if (meridiem) {
    if (hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  }
  return { text: last[0].replace(/\s+/g, ' ').trim(), hour, minute };
}

/** "3", "1.2K", "12K", "1M" (tweb/telegram-tt compact counters) → a number; null if not a count. */
export function parseCount(text: string): number | null {
  const m = /^(\d+(?:[.,]\d+)?)\s*([KkMm])?$/.exec(text.trim());
  if (!m?.[1]) return null;
  const n = Number(m[1].replace(',', '.'));
  const scale = m[2] ? (m[2].toLowerCase() === 'k' ? 1e3 : 1e6) : 1;
  return Math.round(n * scale);
}

/** An attachment record: the runner reads `blob:`/`data:` sources; anything else is only linked. */
export function attachment(
  kind: PageAttachment['kind'],
  src: string | null,
  options: { thumbnail?: boolean; name?: string | null } = {},
): PageAttachment {
  const readable = src !== null && (src.startsWith('blob:') || src.startsWith('data:'));
  return {
    kind,
    originalName: options.name ?? null,
    mediaType: null,
    sourceUrl: readable ? src : null,
    thumbnail: readable ? (options.thumbnail ?? false) : false,
    missingReason: readable ? null : NOT_DOWNLOADED,
  };
}

export function blankMessage(pageOrder: number): Omit<PageMessage, 'messageId' | 'type' | 'text'> {
  return {
    sender: null, fromSelf: false, sentAt: null, sentAtText: null, links: [], deleted: false,
    edited: false, forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder,
  };
}

/**
 * Ids for rows the page gives none (neither client should render such a row, but a layout
 * change might): `<prefix>-` + FNV-1a 64 of what the row shows plus its ordinal among rows
 * that show the same, so the same page always yields the same ids.
 */
export function idDeriver(): (prefix: string, parts: (string | null)[]) => string {
  const seen = new Map<string, number>();
  return (prefix, parts) => {
    const key = parts.map((p) => p ?? '').join('\u0000');
    const ordinal = seen.get(key) ?? 0;
    seen.set(key, ordinal + 1);
    return `${prefix}-${shortHash(`${key}\u0000${ordinal}`)}`;
  };
}

/**
 * Neither client puts the replied-to message's id in the DOM (tweb wrappers/reply.ts,
 * telegram-tt EmbeddedMessage.tsx), so the quote is matched (src/shared/quote-match.ts). The
 * owner's messages are recorded as "You" while the reply box shows the owner's profile name, so
 * an own message matches any author that is not the sender of another message on the page.
 */
export function linkQuotes(messages: PageMessage[]): void {
  const others = new Set(messages.filter((m) => m.type === 'message' && !m.fromSelf && m.sender).map((m) => m.sender));
  linkPageQuotes(messages, (c, author) => c.sender === author || (c.fromSelf && (SELF_WORDS.includes(author) || !others.has(author))));
}
