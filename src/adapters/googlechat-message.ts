/**
 * One Google Chat message element → the facts it shows by itself: id, author id and heading,
 * absolute time, text, edited/deleted marks, reactions and attachments. Anything that needs
 * other messages (senders of continuation messages, topic replies, the thread) is settled
 * page-wide in googlechat.ts. Never touches innerHTML: Chat enforces Trusted Types.
 */
import type { CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { attr, closestWithin, extractText, flatText, isWithin, outermost, selfAndDescendants } from './dom';
import { DELETED_TEXT, EDITED_WORDS, NOT_DOWNLOADED, NOT_TEXT, SELF_WORDS, SEL } from './googlechat-selectors';

export interface GcAuthor {
  /** The name as the page gives it (`data-name`, else the heading's text), "You" for the owner. */
  name: string;
  self: boolean;
}

export interface GcMessageFacts {
  el: Element;
  messageId: string;
  /** Numeric author id (`data-user-id`), when the layout has one. */
  userId: string | null;
  /** From this message's own heading; continuation messages have none. */
  author: GcAuthor | null;
  time: { ms: number; text: string | null } | null;
  text: string;
  links: string[];
  dir: 'ltr' | 'rtl' | 'auto' | null;
  edited: boolean;
  deleted: boolean;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
}

const EDITED = EDITED_WORDS.map((w) => w.toLowerCase());
const isEditedCaption = (text: string): boolean => EDITED.includes(text.replace(/[()]/g, '').trim().toLowerCase());

/** Matches of `selector` inside the message, leaving out any message nested in it (a quoted one). */
function inMessage(el: Element, selector: string, nested: readonly Element[]): Element[] {
  const found = selfAndDescendants(el, selector);
  return nested.length === 0 ? found : found.filter((e) => !isWithin(e, nested));
}

/** `data-absolute-timestamp` is epoch milliseconds (research §6); a 10-digit value would be seconds. */
export function parseAbsoluteTimestamp(value: string | null): number | null {
  if (!value || !/^\d{9,16}(\.\d+)?$/.test(value.trim())) return null;
  const n = Math.floor(Number(value.trim()));
  return n < 1e11 ? n * 1000 : n;
}

function readAuthor(heading: Element | null, timeEls: readonly Element[]): GcAuthor | null {
  if (!heading) return null;
  const dataName = attr(heading, 'data-name') ?? attr(heading.querySelector(SEL.authorName) ?? heading, 'data-name');
  const shown = flatText(heading, { skip: (e) => timeEls.includes(e) || e.matches(SEL.controls) });
  const self = SELF_WORDS.includes(shown) || (dataName !== null && SELF_WORDS.includes(dataName));
  // The owner's own heading says "You"; keep a real name when the page also gives one.
  const name = self ? (dataName && !SELF_WORDS.includes(dataName) ? dataName : shown || dataName) : (dataName ?? shown);
  return name ? { name, self } : null;
}

function readReactions(chips: readonly Element[]): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const chip of chips) {
    const emoji = attr(chip, 'data-emoji');
    if (!emoji) continue;
    // The count is the chip's text beside the emoji image; else a number in its label [U format].
    const shown = flatText(chip, { skip: (e) => e.localName === 'img' });
    const n = /\d+/.exec(shown) ?? /\d+/.exec(chip.getAttribute('aria-label') ?? '');
    out.push({ emoji, count: n ? Number(n[0]) : 1 });
  }
  return out;
}

/** Only the page's own blob:/data: URLs can be read; Chat's file hosts need the user's session. */
function source(url: string | null): { sourceUrl: string | null; missingReason: string | null; thumbnail: boolean } {
  if (url && url.startsWith('blob:')) return { sourceUrl: url, missingReason: null, thumbnail: false };
  if (url && url.startsWith('data:')) return { sourceUrl: url, missingReason: null, thumbnail: true };
  return { sourceUrl: null, missingReason: NOT_DOWNLOADED, thumbnail: false };
}

const FILE_NAME = /\.[A-Za-z0-9]{1,8}$/;

function readAttachment(card: Element): PageAttachment {
  const img = selfAndDescendants(card, 'img')[0] ?? null;
  const video = selfAndDescendants(card, 'video')[0] ?? null;
  const audio = selfAndDescendants(card, 'audio')[0] ?? null;
  const type = attr(card, 'data-attachment-type');
  const kind: PageAttachment['kind'] = video ? 'video' : audio ? 'audio' : img ? 'image' : 'document';
  const url = (video ?? audio ?? img)?.getAttribute('src') ?? null;
  // A name only when the page shows one that looks like a file name [U: no source names it].
  const candidates = [attr(card, 'title'), attr(card, 'aria-label'), img ? attr(img, 'alt') : null, kind === 'document' ? flatText(card) : null];
  const originalName = candidates.find((c): c is string => !!c && FILE_NAME.test(c)) ?? null;
  return {
    kind,
    originalName,
    mediaType: type && type.includes('/') ? type : null,
    ...source(url),
  };
}

/**
 * The text's declared direction: the body's own (or nearest ancestor's) `dir`; read from the
 * whole message, the first `dir` on an element that is not furniture.
 */
function declaredDir(textRoot: Element, el: Element, furniture: (e: Element) => boolean): 'ltr' | 'rtl' | 'auto' | null {
  const kept = (e: Element): boolean => {
    for (let up: Element | null = e; up && up !== el; up = up.parentElement) if (furniture(up)) return false;
    return true;
  };
  const found = textRoot === el ? Array.from(el.querySelectorAll('[dir]')).find(kept) : closestWithin(textRoot, '[dir]', el) ?? textRoot.querySelector('[dir]');
  const dir = found?.getAttribute('dir')?.toLowerCase();
  return dir === 'ltr' || dir === 'rtl' || dir === 'auto' ? dir : null;
}

/** Reads one message element. `isMessage` tells the page's message elements (one nested in this one is not part of it). */
export function readMessage(el: Element, messageId: string, isMessage: (e: Element) => boolean): GcMessageFacts {
  const nested = Array.from(el.querySelectorAll('*')).filter(isMessage);
  const timeEls = inMessage(el, SEL.time, nested);
  const heading = inMessage(el, SEL.author, nested)[0] ?? null;
  const cards = outermost(inMessage(el, SEL.attachment, nested));
  const bodyEl = inMessage(el, SEL.body, nested)[0] ?? null;
  // Chips, not the hover picker's menu items; an emoji image in the text carries data-emoji too.
  const reactionChips = outermost(inMessage(el, SEL.reaction, nested).filter((e) => e.getAttribute('role') !== 'menuitem'))
    .filter((e) => e.localName !== 'img' && !(bodyEl && isWithin(e, [bodyEl])));

  // Everything that is not the text: heading, time, reactions, files, buttons, hidden copies;
  // and, when the text has to be read from the whole message (no body element), the "Edited"
  // caption and the thread's reply summary too.
  const furniture = (e: Element): boolean =>
    (heading !== null && e === heading) ||
    timeEls.includes(e) ||
    reactionChips.includes(e) ||
    cards.includes(e) ||
    nested.includes(e) ||
    e.matches(SEL.controls) ||
    e.getAttribute('aria-hidden') === 'true' ||
    (bodyEl === null && (e.localName === 'span' || e.localName === 'div') && (isEditedCaption(flatText(e)) || NOT_TEXT.test(flatText(e))));
  const textRoot = bodyEl ?? el;
  const body = extractText(textRoot, { skip: furniture });
  const text = body.text;

  const outsideBody = (e: Element): boolean => !(bodyEl && isWithin(e, [bodyEl]));
  const blobImages = inMessage(el, 'img[src^="blob:"]', nested).filter((img) => !isWithin(img, [...cards, ...reactionChips]) && outsideBody(img));
  const edited = inMessage(el, 'span, div', nested).some((e) => outsideBody(e) && isEditedCaption(flatText(e)));
  const timeEl = timeEls[0] ?? null;
  const ms = timeEl ? parseAbsoluteTimestamp(timeEl.getAttribute('data-absolute-timestamp')) : null;

  return {
    el,
    messageId,
    userId: attr(el, 'data-user-id'),
    author: readAuthor(heading, timeEls),
    time: timeEl && ms !== null ? { ms, text: flatText(timeEl) || attr(timeEl, 'aria-label') || attr(timeEl, 'title') } : null,
    text,
    links: body.links,
    dir: text ? declaredDir(textRoot, el, furniture) : null,
    edited,
    deleted: DELETED_TEXT.test(text),
    reactions: readReactions(reactionChips),
    attachments: [
      ...cards.map(readAttachment),
      ...blobImages.map((img): PageAttachment => ({ kind: 'image', originalName: null, mediaType: null, ...source(img.getAttribute('src')) })),
    ],
  };
}
