/**
 * One Teams chat row (`[data-tid="chat-pane-item"]`) → what it is (message, notice, day divider,
 * or nothing) and the facts it shows by itself. Senders of consecutive messages, the owner's
 * name, derived ids and quote links need other rows and are settled in teams.ts.
 *
 * Trusted Types: this file reads attributes and walks nodes only (src/adapters/dom.ts).
 */
import type { CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { attr, closestWithin, extractText, flatText, isWithin, outermost, selfAndDescendants } from './dom';
import { toLocalIso } from '../shared/time';
import { DELETED_TEXT, NOT_DOWNLOADED, NOT_TEXT, SEL, YOU_SUFFIX } from './teams-selectors';

export interface TeamsMessageFacts {
  /** `data-mid` (epoch ms, the message id) or null when the row shows none. */
  mid: string | null;
  /** Author as shown in the row, " (You)" removed; null on consecutive messages and one's own. */
  author: string | null;
  /**
   * When the row shows no author but its body names one by id (aria-labelledby "author-<mid>"),
   * that id: the element may be outside the row, so it is looked up at every read
   * (`withAuthor`), never remembered with the row's facts (src/adapters/row-memo.ts).
   */
  authorRef: string | null;
  own: boolean;
  sentAt: string | null;
  sentAtText: string | null;
  text: string;
  links: string[];
  dir: 'ltr' | 'rtl' | 'auto' | null;
  deleted: boolean;
  edited: boolean;
  quote: { author: string | null; text: string } | null;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
}

export type TeamsRow =
  | { kind: 'message'; facts: TeamsMessageFacts }
  | { kind: 'notice'; mid: string | null; sentAt: string | null; text: string; links: string[] }
  | { kind: 'divider' }
  | { kind: 'skip' };

/** Epoch ms (13 digits) → ISO 8601 in the browser's offset; null for anything else. */
export function midToSentAt(mid: string | null): string | null {
  if (!mid || !/^\d{12,14}$/.test(mid)) return null;
  return toLocalIso(new Date(Number(mid)));
}

function midOf(el: Element): string | null {
  const direct = attr(el, 'data-mid');
  if (direct) return direct;
  const fromId = /^message-body-(.+)$/.exec(el.id)?.[1];
  return fromId ?? el.querySelector('[data-mid]')?.getAttribute('data-mid') ?? null;
}

/** `<time datetime>` outside the quote card; else the instant `data-mid` names. */
function readTime(item: Element, quotes: Element[], mid: string | null): { sentAt: string | null; sentAtText: string | null } {
  const time = selfAndDescendants(item, SEL.time).find((el) => !isWithin(el, quotes));
  const ms = time ? Date.parse(time.getAttribute('datetime') ?? '') : NaN;
  return {
    sentAt: Number.isFinite(ms) ? toLocalIso(new Date(ms)) : midToSentAt(mid),
    sentAtText: time ? flatText(time) || null : null,
  };
}

/** What an author element shows: the name (" (You)" removed) and whether it is the owner. */
function shownAuthor(el: Element | null): { author: string | null; you: boolean } {
  const shown = el ? flatText(el) : '';
  return { author: shown.replace(YOU_SUFFIX, '') || null, you: YOU_SUFFIX.test(shown) };
}

/** Author in the row; else the id the body's aria-labelledby names ("author-<mid>"), for `withAuthor`. */
function readAuthor(item: Element, body: Element, quotes: Element[]): { author: string | null; you: boolean; ref: string | null } {
  const el = selfAndDescendants(item, SEL.author).find((e) => !isWithin(e, quotes)) ?? null;
  if (el) return { ...shownAuthor(el), ref: null };
  const id = (body.getAttribute('aria-labelledby') ?? '').split(/\s+/).find((s) => s.startsWith('author-'));
  return { author: null, you: false, ref: id ?? null };
}

/** The facts with the author an `authorRef` names, looked up in `doc` now. */
export function withAuthor(doc: Document, f: TeamsMessageFacts): TeamsMessageFacts {
  if (f.authorRef === null) return f;
  const { author, you } = shownAuthor(doc.getElementById(f.authorRef));
  return { ...f, author, own: f.own || you };
}

/** The quote card: author just before its timestamp, text in the preview; else the "Begin Reference" label. */
function readQuote(card: Element): { author: string | null; text: string } {
  const stamp = card.querySelector(SEL.quoteTimestamp);
  const authorEl = stamp?.previousElementSibling ?? null;
  const textEl = card.querySelector(SEL.quoteText);
  if (textEl || authorEl) {
    return { author: authorEl ? flatText(authorEl) || null : null, text: extractText(textEl ?? card).text };
  }
  // "Begin Reference, <text>, <author>, <timestamp>, End reference" (gediz replies.ts).
  const m = /^Begin Reference,\s*([\s\S]*),\s*([^,]+),\s*([^,]+),\s*End reference$/.exec(card.getAttribute('aria-label') ?? '');
  return m ? { author: (m[2] ?? '').trim() || null, text: (m[1] ?? '').trim() } : { author: null, text: extractText(card).text };
}

function readReactions(item: Element): CapturedReaction[] {
  return outermost(selfAndDescendants(item, SEL.reaction)).flatMap((pill) => {
    const img = pill.querySelector(SEL.reactionEmoji);
    const emoji = (img ? attr(img, 'alt') : null) ?? flatText(pill).replace(/\d+/g, '').trim();
    // "2 Like reactions." [U: label wording]; else the number shown on the pill.
    const count = Number(/^\s*(\d+)/.exec(pill.getAttribute('aria-label') ?? '')?.[1] ?? /(\d+)/.exec(flatText(pill))?.[1] ?? '1');
    return emoji ? [{ emoji, count: count || 1 }] : [];
  });
}

function readAttachments(item: Element): PageAttachment[] {
  const found: { at: Element; ref: PageAttachment }[] = [];
  for (const el of outermost(selfAndDescendants(item, SEL.inlineImage))) {
    const img = selfAndDescendants(el, 'img')[0];
    const src = img?.getAttribute('src') ?? '';
    // Teams' own AMS URLs (`data-gallery-src`) need the session; only a page-held picture is read.
    const held = /^(blob:|data:image\/)/.test(src) ? src : null;
    found.push({ at: el, ref: { kind: 'image', originalName: null, mediaType: null, sourceUrl: held, thumbnail: false, missingReason: held ? null : NOT_DOWNLOADED } });
  }
  for (const el of outermost(selfAndDescendants(item, SEL.file))) {
    const label = attr(el, 'title') ?? attr(el, 'aria-label');
    const name = label?.split(/\n+/)[0]?.trim() || flatText(el) || null;
    found.push({ at: el, ref: { kind: 'document', originalName: name, mediaType: null, sourceUrl: null, thumbnail: false, missingReason: NOT_DOWNLOADED } });
  }
  // DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
  found.sort((a, b) => (a.at === b.at ? 0 : a.at.compareDocumentPosition(b.at) & 4 ? -1 : 1));
  return found.map((f) => f.ref);
}

function readMessage(item: Element, body: Element): TeamsMessageFacts {
  const mid = midOf(body);
  const quotes = outermost(selfAndDescendants(item, SEL.quote));
  const { author, you, ref } = readAuthor(item, body, quotes);
  const contents = outermost(selfAndDescendants(body, SEL.content)).filter((el) => !isWithin(el, quotes));
  const skip = (el: Element): boolean => el.matches(NOT_TEXT);
  const parts = contents.map((el) => extractText(el, { skip }));
  const text = parts.map((p) => p.text).filter(Boolean).join('\n');
  const first = contents[0];
  // The text's own declared direction (Teams: dir="auto" inside the content), not the layout's.
  const dirEl = first ? (first.matches('[dir]') ? first : (first.querySelector('[dir]') ?? closestWithin(first, '[dir]', item))) : null;
  const dir = dirEl?.getAttribute('dir')?.toLowerCase();
  const edited = selfAndDescendants(item, SEL.edited).some((el) => !isWithin(el, [...quotes, ...contents]) && (flatText(el) || attr(el, 'title')));
  const quoteCard = quotes[0];
  return {
    mid,
    author,
    authorRef: ref,
    own: you || selfAndDescendants(item, SEL.own).length > 0,
    ...readTime(item, quotes, mid),
    text,
    links: [...new Set(parts.flatMap((p) => p.links))],
    dir: text && (dir === 'ltr' || dir === 'rtl' || dir === 'auto') ? dir : null,
    deleted: DELETED_TEXT.test(text),
    edited: Boolean(edited),
    quote: quoteCard ? readQuote(quoteCard) : null,
    reactions: readReactions(item),
    attachments: readAttachments(item),
  };
}

/** Classifies one row and reads what it shows by itself (an author shown elsewhere: `withAuthor`). */
export function readTeamsRow(item: Element): TeamsRow {
  const body = selfAndDescendants(item, SEL.message)[0];
  if (body) return { kind: 'message', facts: readMessage(item, body) };
  const notice = selfAndDescendants(item, SEL.notice)[0];
  if (notice) {
    const { text, links } = extractText(notice, { skip: (el) => el.matches('[aria-hidden="true"]') });
    const mid = midOf(notice) ?? attr(item, 'data-mid');
    return text ? { kind: 'notice', mid, sentAt: midToSentAt(mid), text: text.replace(/\s+/g, ' '), links } : { kind: 'skip' };
  }
  if (selfAndDescendants(item, SEL.divider).length > 0) return { kind: 'divider' };
  return { kind: 'skip' };
}
