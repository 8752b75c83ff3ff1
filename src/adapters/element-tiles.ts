/**
 * One Element timeline row → what it is (message, event, collapsed membership summary) and
 * the facts it shows by itself. Senders of continuation tiles, the dates of separators and the
 * account owner's name are settled page-wide in element.ts. A reply's quote shows another
 * event (its sender, body, even images), so every reader here looks outside it.
 */
import type { CapturedQuote, CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { attr, closestWithin, extractText, flatText, isWithin, outermost, selfAndDescendants, shortHash } from './dom';
import { NOT_DOWNLOADED, SEL } from './element-selectors';

export interface TileFacts {
  kind: 'message' | 'event';
  eventId: string;
  /** `data-self="true"`: sent by the account owner (EventTile, idx 56677551278). */
  self: boolean;
  /** `mx_EventTile_continuation`: same sender as the tile above, name not shown. */
  continuation: boolean;
  layout: string | null;
  /** The sender name the tile shows, outside its quote. */
  name: string | null;
  /** The timestamp's full-date `title` (builds until 2023) and shown text. */
  timeTitle: string | null;
  timeText: string | null;
  text: string;
  links: string[];
  direction: 'ltr' | 'rtl' | 'auto' | null;
  deleted: boolean;
  edited: boolean;
  quote: CapturedQuote | null;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
  /** Room ids named by permalinks in the tile (timestamp link, quote link). */
  roomIds: string[];
}

interface Scope {
  tile: Element;
  quotes: Element[];
}

function within(scope: Scope, selector: string): Element[] {
  return selfAndDescendants(scope.tile, selector).filter((el) => !isWithin(el, scope.quotes));
}

/** `…#/!room:server/$event?via=…` (matrix.to) or `…#/room/!room:server/$event` (Element) → ids. */
export function parsePermalink(href: string): { roomId: string | null; eventId: string | null } {
  const m = /#\/(?:room\/)?([!#][^/?#]+)(?:\/(\$[^/?#]+))?/.exec(href);
  const decode = (s: string | undefined): string | null => {
    if (!s) return null;
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const room = decode(m?.[1]);
  return { roomId: room?.startsWith('!') ? room : null, eventId: decode(m?.[2]) };
}

/** The display name a profile shows, without the mxid shown to tell two same names apart. */
export function profileName(profile: Element): string | null {
  const named = selfAndDescendants(profile, SEL.profileName)[0] ?? profile.querySelector('span[dir]');
  const text = flatText(named ?? profile, { skip: (e) => e.matches(SEL.profileMxid) });
  return text || null;
}

function readQuote(chain: Element): CapturedQuote {
  // The direct parent is the last tile of the chain (older ancestors are prepended above it).
  const tiles = Array.from(chain.querySelectorAll(SEL.replyTile));
  const tile = tiles[tiles.length - 1];
  if (!tile) {
    return { author: null, text: flatText(chain.querySelector(SEL.replyError) ?? chain), messageId: null };
  }
  const link = tile.querySelector('a[href]');
  const profile = tile.querySelector(SEL.profile);
  const body = SEL.body.map((s) => tile.querySelector(s)).find((el) => el !== null) ?? null;
  const text = body
    ? extractText(body, { skip: (e) => e.matches(SEL.bodyFurniture) }).text
    : flatText(tile, { skip: (e) => e === profile || e.localName === 'img' || e.matches(SEL.timestamp) });
  return {
    author: profile ? profileName(profile) : null,
    text,
    messageId: link ? parsePermalink(link.getAttribute('href') ?? '').eventId : null,
  };
}

function readReactions(scope: Scope): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const button of within(scope, SEL.reactionButton)) {
    const countEl = button.querySelector(SEL.reactionCount);
    const contentEl = button.querySelector(SEL.reactionContent);
    const count = countEl ? Number(flatText(countEl)) : Number.NaN;
    // Custom emoji are images with their shortcode as alt; extractText reads the alt.
    const emoji = contentEl ? flatText(contentEl) : '';
    if (!emoji || !Number.isInteger(count)) continue;
    out.push({ emoji, count });
  }
  return out;
}

/** Only the page's own bytes are readable (decrypted media are `blob:`); homeserver URLs are not. */
const readableUrl = (url: string | null): string | null => (url && /^(blob|data):/.test(url) ? url : null);

function mediaRef(kind: PageAttachment['kind'], name: string | null, full: string | null, preview: string | null): PageAttachment {
  const url = readableUrl(full) ?? readableUrl(preview);
  return {
    kind,
    originalName: name,
    mediaType: null,
    sourceUrl: url,
    // Only the displayed thumbnail was readable, not the full file behind the link.
    thumbnail: url !== null && readableUrl(full) === null && full !== null,
    missingReason: url ? null : NOT_DOWNLOADED,
  };
}

function readAttachments(scope: Scope): PageAttachment[] {
  return outermost(within(scope, SEL.media)).map((el) => {
    const link = el.querySelector('a[href]')?.getAttribute('href') ?? null;
    // The picture's alt is the event's body, its file name; it is there before the bytes are.
    const img = el.querySelector('img');
    const src = img?.getAttribute('src') ?? null;
    const alt = img ? attr(img, 'alt') : null;
    if (el.matches(SEL.sticker)) return mediaRef('sticker', alt, null, src);
    if (el.matches(SEL.image)) return mediaRef('image', alt, link, src);
    const fileName = el.querySelector(SEL.fileName);
    const name = (fileName ? flatText(fileName) : null) || attr(el.querySelector('a[download]') ?? el, 'download');
    if (el.matches(SEL.video)) {
      const src = el.querySelector('video[src], video source[src]')?.getAttribute('src') ?? null;
      return mediaRef('video', name, src, el.querySelector('video')?.getAttribute('poster') ?? null);
    }
    if (el.matches(SEL.audio)) {
      return mediaRef('audio', name, el.querySelector('audio[src], audio source[src]')?.getAttribute('src') ?? link, null);
    }
    return mediaRef('document', name, el.querySelector('a[href^="blob:"], a[download][href]')?.getAttribute('href') ?? null, null);
  });
}

function eventText(scope: Scope): string {
  const textual = within(scope, SEL.textualEvent)[0];
  if (textual) return flatText(textual);
  const bubble = within(scope, SEL.bubble)[0];
  if (bubble) {
    const parts = [bubble.querySelector(SEL.bubbleTitle), bubble.querySelector(SEL.bubbleSubtitle)].map((el) => (el ? flatText(el) : ''));
    if (parts.some(Boolean)) return parts.filter(Boolean).join('\n');
  }
  return flatText(scope.tile, {
    skip: (e) => e.matches(SEL.timestamp) || e.matches(SEL.profile) || e.localName === 'img' || e.getAttribute('aria-hidden') === 'true',
  });
}

/** The event id: `data-event-id` (2022–), else the single `data-scroll-tokens` id (older). */
function tileId(tile: Element): string | null {
  return attr(tile, 'data-event-id') ?? attr(tile, 'data-scroll-tokens');
}

export function readTile(tile: Element): TileFacts | null {
  const eventId = tileId(tile);
  // Local echoes ("~!room:server:m1727…") are not sent yet and get a real id when they are.
  if (!eventId || eventId.startsWith('~')) return null;
  const scope: Scope = { tile, quotes: outermost(selfAndDescendants(tile, SEL.replyChain)) };
  const profile = within(scope, SEL.profile)[0];
  const emoteSender = within(scope, SEL.emoteSender)[0];
  const stamp = within(scope, SEL.timestamp).find((el) => flatText(el) !== '') ?? null;
  const roomIds = within(scope, 'a[href]').concat(selfAndDescendants(tile, `${SEL.replyTile} a[href]`))
    .map((a) => parsePermalink(a.getAttribute('href') ?? '').roomId)
    .filter((id): id is string => id !== null);
  const base = {
    eventId,
    self: tile.getAttribute('data-self') === 'true',
    continuation: tile.classList.contains('mx_EventTile_continuation'),
    layout: attr(tile, 'data-layout'),
    name: profile ? profileName(profile) : emoteSender ? flatText(emoteSender) || null : null,
    timeTitle: stamp ? attr(stamp, 'title') : null,
    timeText: stamp ? flatText(stamp) : null,
    roomIds,
    reactions: readReactions(scope),
  };

  // Element itself marks what is not somebody's message (membership, state, encryption, creation).
  if (tile.matches(SEL.infoTile)) {
    return { ...base, kind: 'event', text: eventText(scope), links: [], direction: null, deleted: false, edited: false, quote: null, attachments: [] };
  }
  const redacted = within(scope, SEL.redacted)[0];
  const body = SEL.body.map((s) => within(scope, s)[0]).find((el) => el !== undefined);
  const attachments = readAttachments(scope);
  const textSource = redacted ?? body ?? within(scope, SEL.undecryptable)[0] ?? null;
  const extracted = textSource ? extractText(textSource, { skip: (e) => e.matches(SEL.bodyFurniture) }) : { text: '', links: [] };
  const dirEl = textSource ? (closestWithin(textSource, '[dir]', tile) ?? textSource.querySelector('[dir]')) : null;
  const dir = dirEl?.getAttribute('dir')?.toLowerCase();
  const chain = scope.quotes[0];
  return {
    ...base,
    kind: 'message',
    text: extracted.text,
    links: extracted.links,
    direction: extracted.text && (dir === 'ltr' || dir === 'rtl' || dir === 'auto') ? dir : null,
    deleted: redacted !== undefined,
    edited: within(scope, SEL.edited).length > 0,
    quote: chain ? readQuote(chain) : null,
    attachments,
  };
}

/**
 * A collapsed run of membership events ("Ana and Ben joined"): one event whose id is the run's
 * comma-joined event ids (`data-scroll-tokens`), or a digest of them past 512 characters.
 */
export function readSummary(li: Element): { eventId: string; text: string } | null {
  const tokens = attr(li, 'data-scroll-tokens');
  const textEl = li.querySelector(SEL.summaryText);
  if (!tokens || !textEl) return null;
  return { eventId: tokens.length <= 512 ? tokens : `summary-${shortHash(tokens)}`, text: flatText(textEl) };
}
