/**
 * One Messenger row → what it is (message, time separator, notice, or furniture) and the facts
 * it shows by itself. Senders of continuation rows, times from separators, derived ids and
 * quote links need the other rows and are settled page-wide in messenger.ts.
 */
import type { CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { attr, extractText, flatText, isWithin, outermost, selfAndDescendants } from './dom';
import {
  AT_LABEL, LABELS, NOT_A_RECORD, NOT_DOWNLOADED, NOT_TEXT, SEL, SELF, SENT_LABEL, UNSENT,
} from './messenger-selectors';

/** What the run's h5 says: who sent it, and whom it replies to ("You" for the owner). */
export interface SenderLabel {
  name: string;
  self: boolean;
  /** "Ben replied to you" → "You"; "You replied to Ana" → "Ana"; null when not a reply. */
  repliesTo: string | null;
}

export function parseSenderLabel(text: string): SenderLabel | null {
  const t = text.replace(/\s+/g, ' ').trim();
  if (!t) return null;
  if (LABELS.selfSent.test(t)) return { name: SELF, self: true, repliesTo: null };
  const selfReplied = LABELS.selfReplied.exec(t);
  if (selfReplied?.[1]) return { name: SELF, self: true, repliesTo: /^(yourself)$/i.test(selfReplied[1]) ? SELF : selfReplied[1] };
  const toYou = LABELS.repliedToYou.exec(t);
  if (toYou?.[1]) return { name: toYou[1], self: false, repliesTo: SELF };
  const replied = LABELS.replied.exec(t);
  if (replied?.[1] && replied[2]) {
    const target = /^(herself|himself|themselves|themself)$/i.test(replied[2]) ? replied[1] : replied[2];
    return { name: replied[1], self: false, repliesTo: target };
  }
  return { name: t, self: false, repliesTo: null };
}

/** "Enter, Message sent <time> by <sender>: <text>" or "At <time>, <sender>: <text>". */
export interface A11yLabel {
  timeText: string;
  sender: string;
  text: string;
}

export function parseA11yLabel(label: string): A11yLabel | null {
  const l = label.replace(/[\u00a0\u202f]/g, ' ').trim();
  const m = SENT_LABEL.exec(l) ?? AT_LABEL.exec(l);
  return m?.[1] && m[2] ? { timeText: m[1].trim(), sender: m[2].trim(), text: (m[3] ?? '').trim() } : null;
}

export interface MessageFacts {
  /** `data-message-id`, in the builds that have one [U]. */
  platformId: string | null;
  label: SenderLabel | null;
  a11y: A11yLabel | null;
  /** The row shows a delivery status (outgoing rows only). */
  outgoing: boolean;
  text: string;
  links: string[];
  dir: 'ltr' | 'rtl' | 'auto' | null;
  edited: boolean;
  deleted: boolean;
  quoteText: string | null;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
}

export type RowFacts =
  | { kind: 'skip' }
  | { kind: 'separator'; text: string }
  | { kind: 'event'; text: string; links: string[] }
  | { kind: 'message'; facts: MessageFacts };

/** Signs that a row is somebody's message rather than a separator or a notice. */
const MESSAGE_SIGNS = [SEL.cell, SEL.outgoing, SEL.timeLabel, SEL.messageId, SEL.senderLabel].join(', ');

const EMOJI = /(\p{Regional_Indicator}{2}|\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*)*)/gu;

/**
 * A reaction summary: Messenger shows the top emoji with one total ("👍❤ 3"), not a count per
 * emoji, so a summary of several kinds is recorded as one entry, as shown [U: label wording].
 */
export function readReactionSummary(el: Element): CapturedReaction | null {
  const label = el.getAttribute('aria-label') ?? '';
  const shown = flatText(el);
  const emoji = [...`${shown} ${label}`.matchAll(EMOJI)].map((m) => m[0]).filter((e, i, all) => all.indexOf(e) === i).join('');
  if (!emoji) return null;
  const n = /(\d+)\s*reactions?/i.exec(label) ?? /\d+/.exec(shown.replace(EMOJI, ''));
  return { emoji, count: n ? Number(n[1] ?? n[0]) : 1 };
}

/** blob: is the page's own copy (e2ee media are decrypted into blob: URLs); fbcdn links are not read. */
function source(url: string | null): Pick<PageAttachment, 'sourceUrl' | 'missingReason' | 'thumbnail'> {
  if (url?.startsWith('blob:')) return { sourceUrl: url, missingReason: null, thumbnail: false };
  if (url?.startsWith('data:')) return { sourceUrl: url, missingReason: null, thumbnail: true };
  return { sourceUrl: null, missingReason: NOT_DOWNLOADED, thumbnail: false };
}

function readAttachments(cell: Element, exclude: readonly Element[]): PageAttachment[] {
  const claimed: Element[] = [...exclude];
  const found: { at: Element; a: PageAttachment }[] = [];
  const take = (selector: string): Element[] => {
    const els = outermost(selfAndDescendants(cell, selector).filter((e) => !isWithin(e, claimed)));
    claimed.push(...els);
    return els;
  };
  const media = (el: Element, tag: string): Element | null => selfAndDescendants(el, tag)[0] ?? null;
  for (const el of take(SEL.sticker)) found.push({ at: el, a: { kind: 'sticker', originalName: null, mediaType: null, ...source(media(el, 'img')?.getAttribute('src') ?? null) } });
  for (const el of take(SEL.photo)) found.push({ at: el, a: { kind: 'image', originalName: null, mediaType: null, ...source(media(el, 'img')?.getAttribute('src') ?? null) } });
  for (const el of take('video')) found.push({ at: el, a: { kind: 'video', originalName: null, mediaType: null, ...source(el.getAttribute('src')) } });
  for (const el of take('audio')) found.push({ at: el, a: { kind: 'audio', originalName: null, mediaType: null, ...source(el.getAttribute('src')) } });
  for (const el of take(SEL.file)) {
    const name = attr(el, 'download') ?? (flatText(el) || null);
    found.push({ at: el, a: { kind: 'document', originalName: name, mediaType: null, ...source(el.getAttribute('href')) } });
  }
  for (const el of take(SEL.blobImage)) found.push({ at: el, a: { kind: 'image', originalName: null, mediaType: null, ...source(el.getAttribute('src')) } });
  // DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
  found.sort((x, y) => (x.at === y.at ? 0 : x.at.compareDocumentPosition(y.at) & 4 ? -1 : 1));
  return found.map((f) => f.a);
}

function readMessage(row: Element): MessageFacts {
  const cell = selfAndDescendants(row, SEL.cell)[0] ?? row;
  const h5 = row.querySelector(SEL.senderLabel);
  const quotes = outermost(selfAndDescendants(row, SEL.quote));
  const reactionEls = outermost(selfAndDescendants(row, SEL.reactions)).filter((e) => !isWithin(e, quotes));
  const status = selfAndDescendants(row, `${SEL.outgoing}, ${SEL.receipts}`);
  const labelEl = selfAndDescendants(row, SEL.timeLabel)[0] ?? null;
  const attachments = readAttachments(cell, [...quotes, ...reactionEls, ...status, ...(h5 ? [h5] : [])]);

  // Not text: the sender label, the quoted message, reactions, receipts, controls, hidden
  // copies, link-preview cards (a link that holds a text block) and captions like "Edited".
  const furniture = (e: Element): boolean =>
    e === h5 || quotes.includes(e) || reactionEls.includes(e) || status.includes(e) || e.matches(SEL.controls) ||
    e.matches(SEL.photo) || e.matches(SEL.file) || e.getAttribute('aria-hidden') === 'true' ||
    (e.localName === 'a' && e.querySelector(SEL.text) !== null);
  const kept = (e: Element): boolean => {
    for (let up: Element | null = e; up && up !== row.parentElement; up = up.parentElement) if (up !== e && furniture(up)) return false;
    return !furniture(e);
  };
  // Facebook nests the same text block in itself; the outermost of each nest is the block.
  const blocks = outermost(selfAndDescendants(cell, SEL.text).filter(kept));
  const parts: { text: string; links: string[] }[] = [];
  for (const block of blocks) {
    const part = extractText(block, { skip: furniture });
    if (!part.text || NOT_TEXT.test(part.text) || parts[parts.length - 1]?.text === part.text) continue;
    parts.push(part);
  }
  const a11y = labelEl ? parseA11yLabel(labelEl.getAttribute('aria-label') ?? '') : null;
  const text = parts.map((p) => p.text).join('\n') || a11y?.text || '';
  const dir = blocks[0]?.getAttribute('dir')?.toLowerCase();
  const quoteBox = quotes[0] ?? null;
  const quoteBlock = quoteBox ? outermost(selfAndDescendants(quoteBox, SEL.text))[0] ?? quoteBox : null;
  const editedCaption = selfAndDescendants(row, SEL.edited).length > 0 ||
    selfAndDescendants(cell, 'span').some((e) => !isWithin(e, blocks) && /^edited$/i.test(flatText(e)));

  return {
    platformId: attr(selfAndDescendants(row, SEL.messageId)[0] ?? row, 'data-message-id'),
    label: h5 ? parseSenderLabel(flatText(h5)) : null,
    a11y,
    outgoing: selfAndDescendants(row, SEL.outgoing).length > 0,
    text,
    links: [...new Set(parts.flatMap((p) => p.links))],
    dir: text && (dir === 'ltr' || dir === 'rtl' || dir === 'auto') ? dir : null,
    edited: editedCaption,
    deleted: UNSENT.test(text),
    quoteText: quoteBlock ? extractText(quoteBlock).text : null,
    reactions: reactionEls.map(readReactionSummary).filter((r): r is CapturedReaction => r !== null),
    attachments,
  };
}

/**
 * What one row shows by itself: a message, nothing to record, or a line of text that is a time
 * separator or a notice, which `classifyRow` tells apart against the clock. Only what is inside
 * the row, so it can be remembered until the row changes (src/adapters/row-memo.ts).
 */
export type RowRead = Exclude<RowFacts, { kind: 'separator' } | { kind: 'event' }> | { kind: 'line'; text: string; links: string[] };

export function readRow(row: Element): RowRead {
  if (row.matches('[aria-roledescription="message"]') || selfAndDescendants(row, MESSAGE_SIGNS).length > 0) {
    return { kind: 'message', facts: readMessage(row) };
  }
  const skip = (e: Element): boolean => e.matches(SEL.controls) || e.getAttribute('aria-hidden') === 'true';
  const text = flatText(row, { skip });
  if (!text || NOT_A_RECORD.test(text)) return { kind: 'skip' };
  return { kind: 'line', text, links: extractText(row, { skip }).links };
}

/** A row read as what it is; `isTime` tells a separator's text from a notice's. */
export function classifyRow(r: RowRead, isTime: (text: string) => boolean): RowFacts {
  if (r.kind !== 'line') return r;
  return isTime(r.text) ? { kind: 'separator', text: r.text } : { kind: 'event', text: r.text, links: r.links };
}
