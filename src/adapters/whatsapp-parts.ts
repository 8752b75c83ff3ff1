/**
 * The parts of one WhatsApp bubble: body text, inline time, sender label, quote box,
 * reactions and attachments. Each reader takes a `RowScope` (the row and the quote boxes to
 * leave out) and returns plain data; whatsapp-rows.ts puts them together.
 */
import type { CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { closestWithin, extractText, flatText, isWithin, outermost, selfAndDescendants } from './dom';
import type { ExtractedText } from './dom';
import {
  BUTTON_LABELS, EDITED_WORDS, FORWARDED_WORDS, NOT_DOWNLOADED, REACTIONS_LABEL, SEL,
} from './whatsapp-selectors';
import { parseClock } from './whatsapp-time';
import type { ClockTime } from './whatsapp-time';

/**
 * One read of one row. The readers ask the row the same questions (its spans, its labelled
 * elements, a span's text) several times each; a scope answers each once. It lives for one
 * `readRow` call only, during which the page cannot change (the read runs to its end in one
 * task), so its answers are never stale.
 */
export interface RowScope {
  row: Element;
  /** Quote boxes: their author, text and thumbnail belong to another message. */
  quotes: Element[];
  /** `inRow` answers by selector. */
  found: Map<string, readonly Element[]>;
  /** `flatText` of elements in the row. */
  texts: Map<Element, string>;
  /** The row's spans outside hidden layout copies (`aria-hidden="true"` on them or above). */
  shownSpans?: readonly Element[];
}

export function scopeOf(row: Element): RowScope {
  return { row, quotes: outermost(selfAndDescendants(row, SEL.quote)), found: new Map(), texts: new Map() };
}

/** Matches of `selector` in the row, outside quote boxes, in document order. */
export function inRow(scope: RowScope, selector: string): readonly Element[] {
  let found = scope.found.get(selector);
  if (!found) {
    found = selfAndDescendants(scope.row, selector).filter((el) => !isWithin(el, scope.quotes));
    scope.found.set(selector, found);
  }
  return found;
}

/** `flatText(el)` for an element of the row. */
export function textIn(scope: RowScope, el: Element): string {
  let text = scope.texts.get(el);
  if (text === undefined) {
    text = flatText(el);
    scope.texts.set(el, text);
  }
  return text;
}

const lower = (words: readonly string[]): string[] => words.map((w) => w.toLowerCase());
const EDITED = lower(EDITED_WORDS);
const FORWARDED = lower(FORWARDED_WORDS);

/** The row's declared text direction, from the element or its nearest ancestor in the row. */
export function declaredDir(el: Element, row: Element): 'ltr' | 'rtl' | 'auto' | null {
  const dir = closestWithin(el, '[dir]', row)?.getAttribute('dir')?.toLowerCase();
  return dir === 'ltr' || dir === 'rtl' || dir === 'auto' ? dir : null;
}

/** Leaves out quote boxes, reaction pills and a "Read more" button: used inside the text itself. */
function bodySkip(el: Element): boolean {
  const label = el.getAttribute('aria-label') ?? '';
  if (el.matches(SEL.quote) || el.matches(SEL.readMore) || REACTIONS_LABEL.test(label)) return true;
  return el.getAttribute('role') === 'button' && BUTTON_LABELS.test(flatText(el));
}

/**
 * Leaves out everything that is bubble furniture rather than text: quote, reactions, icons,
 * hidden layout copies, the inline time ("10:54 PM", "Edited 10:55"), the edited and forwarded
 * captions and the sender name. Used when the text has to be read from a wider container.
 */
export function furnitureSkip(sender: string | null): (el: Element) => boolean {
  return (el) => {
    if (bodySkip(el) || el.hasAttribute('data-icon') || el.getAttribute('aria-hidden') === 'true') return true;
    if (BUTTON_LABELS.test((el.getAttribute('aria-label') ?? '').trim())) return true;
    if (el.localName !== 'span' && el.localName !== 'div') return false;
    const text = flatText(el).toLowerCase();
    return (
      readTimeText(text) !== null ||
      EDITED.includes(text) ||
      FORWARDED.includes(text) ||
      BUTTON_LABELS.test(text) ||
      (sender !== null && text === sender.toLowerCase())
    );
  };
}

export interface BodyText extends ExtractedText {
  dir: 'ltr' | 'rtl' | 'auto' | null;
  /** The text spans themselves, so that a message reading "10:30" is not taken for its time. */
  elements: Element[];
}

/** The message text: the outermost `selectable-text` spans (emoji `img`s carry that class too). */
export function readBody(scope: RowScope): BodyText | null {
  const spans = outermost(inRow(scope, SEL.body).filter((el) => el.localName !== 'img'));
  const first = spans[0];
  if (!first) return null;
  const parts = spans.map((el) => extractText(el, { skip: bodySkip }));
  return {
    text: parts.map((p) => p.text).filter(Boolean).join('\n'),
    links: [...new Set(parts.flatMap((p) => p.links))],
    dir: declaredDir(first, scope.row),
    elements: spans,
  };
}

/** Text of a wider container (pre-plain-text wrapper, deleted notice) without the furniture. */
export function readLooseText(container: Element, scope: RowScope, sender: string | null): BodyText {
  const skip = furnitureSkip(sender);
  const { text, links } = extractText(container, { skip });
  // The direction of the first text that was kept: a [dir] element outside every skipped subtree.
  const kept = (el: Element): boolean => {
    for (let up: Element | null = el; up && up !== container; up = up.parentElement) if (skip(up)) return false;
    return true;
  };
  const firstDir = Array.from(container.querySelectorAll('[dir]')).find(kept);
  // No `elements`: the container may also hold the meta area, which must stay searchable.
  return { text, links, dir: declaredDir(firstDir ?? container, scope.row), elements: [] };
}

/** "10:54 PM" or "Edited 10:55" → the time part and whether it said edited. */
function readTimeText(text: string): { text: string; time: ClockTime; edited: boolean } | null {
  const m = /^(?:(\p{L}+)\s+)?(\d[\s\S]*)$/u.exec(text.trim());
  if (!m || (m[1] !== undefined && !EDITED.includes(m[1].toLowerCase()))) return null;
  const time = parseClock(m[2] ?? '');
  return time ? { text: (m[2] ?? '').trim(), time, edited: m[1] !== undefined } : null;
}

/** The bubble's visible time: the last time-only span outside hidden layout copies and the body. */
export function readVisibleTime(
  scope: RowScope,
  body: readonly Element[],
): { text: string; time: ClockTime; edited: boolean } | null {
  scope.shownSpans ??= inRow(scope, 'span').filter((el) => !el.closest('[aria-hidden="true"]'));
  const spans = scope.shownSpans;
  for (let i = spans.length - 1; i >= 0; i--) {
    const span = spans[i]!;
    if (isWithin(span, body)) continue;
    const found = readTimeText(textIn(scope, span));
    if (found) return found;
  }
  return null;
}

/** An "Edited" caption in the meta area [U]. */
export function hasEditedCaption(scope: RowScope, body: readonly Element[]): boolean {
  return inRow(scope, 'span').some(
    (el) => !isWithin(el, body) && EDITED.includes(textIn(scope, el).toLowerCase()),
  );
}

/** The sender label `aria-label="<Name>:"` at the start of the bubble (idx 53351297503). */
export function readSenderLabel(scope: RowScope): string | null {
  for (const el of inRow(scope, '[aria-label]')) {
    const m = /^(.+?):$/.exec((el.getAttribute('aria-label') ?? '').trim());
    if (m?.[1]) return m[1].trim();
  }
  return null;
}

/** Any aria-label that begins with "<self word>:" ("You: …"), the outgoing marker. */
export function hasLabelPrefix(scope: RowScope, words: readonly string[]): boolean {
  return inRow(scope, '[aria-label]').some((el) => {
    const label = (el.getAttribute('aria-label') ?? '').trim();
    return words.some((w) => label.startsWith(`${w}:`));
  });
}

/** Author and text of a quote box; the id is matched later, page-wide. */
export function readQuote(box: Element): { author: string | null; text: string } {
  const textEl = box.querySelector(SEL.quoteText);
  const spans = outermost(
    Array.from(box.querySelectorAll('span[dir="auto"], span[dir="ltr"], span[dir="rtl"]')),
  ).filter((el) => !textEl || (!el.contains(textEl) && !textEl.contains(el)));
  const source = textEl ?? spans[spans.length - 1] ?? box;
  const authorEl = spans.find((el) => el !== source);
  const author = authorEl ? flatText(authorEl) : null;
  return { author: author || null, text: extractText(source).text };
}

const EMOJI_COUNT =
  /(\p{Regional_Indicator}{2}|\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*)*)\s*(?:[x×]\s*)?(\d+)?/gu;

/** "👍 2, ❤️ 1" → [{👍,2},{❤️,1}]; an emoji without a number counts once. */
export function parseReactionList(text: string): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const m of text.matchAll(EMOJI_COUNT)) {
    const emoji = m[1] ?? '';
    const count = m[2] ? Number(m[2]) : 1;
    const seen = out.find((r) => r.emoji === emoji);
    if (seen) seen.count += count;
    else out.push({ emoji, count });
  }
  return out;
}

/** Reaction summaries under the bubble (idx 53351297503, 71042067677). */
export function readReactions(scope: RowScope): CapturedReaction[] {
  const pills = outermost(
    inRow(scope, '[aria-label]').filter((el) => REACTIONS_LABEL.test((el.getAttribute('aria-label') ?? '').trim())),
  );
  return pills.flatMap((pill) => {
    const fromLabel = parseReactionList((pill.getAttribute('aria-label') ?? '').trim().replace(REACTIONS_LABEL, ''));
    // [U] The label format is not confirmed; if it names no emoji, read the pill's own content.
    return fromLabel.length > 0 ? fromLabel : parseReactionList(extractText(pill).text);
  });
}

// ---- Attachments --------------------------------------------------------------------------

function ref(
  kind: PageAttachment['kind'],
  sourceUrl: string | null,
  thumbnail = false,
  originalName: string | null = null,
): PageAttachment {
  return { kind, originalName, mediaType: null, sourceUrl, thumbnail, missingReason: sourceUrl ? null : NOT_DOWNLOADED };
}

/** Previews are inline data: images; emoji are data: images too, so leave those out. */
const PREVIEW = 'img[src^="data:image/"]:not(.emoji):not([data-plain-text])';
const HAS_MEDIA = `video, img[src^="blob:"], ${PREVIEW}`;
/** What a user clicks to open or download: a button, or a document's "Download "x"" card. */
const CARD = 'button, [role="button"], [title^="Download "], [title^="Baixar "]';

/** Every element `readAttachments` starts from: a row without any has no attachment. */
const ANY_ATTACHMENT = [SEL.imageOpener, SEL.video, SEL.audio, SEL.document, SEL.sticker, SEL.blobImage].join(', ');

/** A blob: source if the full media is loaded, else a data: preview, else nothing. */
function mediaSource(container: Element, full: string): { url: string | null; thumbnail: boolean } {
  const blob = selfAndDescendants(container, full)[0];
  const blobUrl = blob?.getAttribute('src') ?? blob?.getAttribute('href');
  if (blobUrl) return { url: blobUrl, thumbnail: false };
  const preview = selfAndDescendants(container, PREVIEW)[0]?.getAttribute('src');
  return preview ? { url: preview, thumbnail: true } : { url: null, thumbnail: false };
}

/** The file name a document card shows: its `Download "x"` title, a titled span, or its first text. */
function documentName(card: Element): string | null {
  const m = /^(?:Download|Baixar|Descargar)\s+"(.+)"$/.exec(card.getAttribute('title') ?? '');
  if (m?.[1]) return m[1];
  const titled = Array.from(card.querySelectorAll('[title]')).find((el) => /\.\w{1,8}$/.test(el.getAttribute('title') ?? ''));
  if (titled) return titled.getAttribute('title');
  const first = card.querySelector('span[dir="auto"]');
  return first ? flatText(first) || null : null;
}

/**
 * Every attachment in the row, in document order. Each kind's elements are claimed once so
 * that a video's thumbnail or a document's icon is not read twice.
 */
export function readAttachments(scope: RowScope): PageAttachment[] {
  // Most rows hold none: one query for every kind below instead of one per kind.
  if (inRow(scope, ANY_ATTACHMENT).length === 0) return [];
  const claimed: Element[] = [];
  const found: { at: Element; ref: PageAttachment }[] = [];
  const take = (selector: string, container: (el: Element) => Element): Element[] => {
    const els = outermost(inRow(scope, selector).filter((el) => !isWithin(el, claimed)).map(container));
    const unique = els.filter((el, i) => els.indexOf(el) === i);
    claimed.push(...unique);
    return unique;
  };
  // The card around an icon: its button, else the nearest ancestor in the row holding media.
  const card = (el: Element): Element => {
    const button = closestWithin(el, CARD, scope.row);
    if (button) return button;
    for (let up: Element | null = el; up && up !== scope.row; up = up.parentElement) {
      if (up.querySelector(HAS_MEDIA)) return up;
    }
    return el.parentElement ?? el;
  };

  for (const el of take(SEL.imageOpener, (e) => e)) {
    const src = mediaSource(el, 'img[src^="blob:"]');
    found.push({ at: el, ref: ref('image', src.url, src.thumbnail) });
  }
  for (const el of take(SEL.video, card)) {
    const src = mediaSource(el, 'video[src^="blob:"]');
    found.push({ at: el, ref: ref('video', src.url, src.thumbnail) });
  }
  for (const el of take(SEL.audio, card).slice(0, 1)) {
    // One voice note per row; its play button, icon and slider are all claimed above.
    const url = inRow(scope, 'audio[src^="blob:"]')[0]?.getAttribute('src') ?? null;
    found.push({ at: el, ref: ref('audio', url) });
  }
  for (const el of take(SEL.document, card)) {
    const link = el.querySelector('a[href^="blob:"]')?.getAttribute('href') ?? null;
    found.push({ at: el, ref: ref('document', link, false, documentName(el)) });
  }
  for (const el of take(SEL.sticker, (e) => e)) {
    const src = mediaSource(el, 'img[src^="blob:"]');
    found.push({ at: el, ref: ref('sticker', src.url, src.thumbnail) });
  }
  for (const el of take(SEL.blobImage, (e) => e)) {
    found.push({ at: el, ref: ref('image', el.getAttribute('src'), false) });
  }
  // DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
  found.sort((a, b) => (a.at === b.at ? 0 : a.at.compareDocumentPosition(b.at) & 4 ? -1 : 1));
  return found.map((f) => f.ref);
}
