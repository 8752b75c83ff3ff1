/**
 * Web A (https://web.telegram.org/a/, Ajaxy/telegram-tt): message-list items → records. Ids come
 * from `data-message-id`; a message's date is its day group's sticky header and its time the
 * `.message-time` text, since the full date is only in a hover title (telegram-time.ts).
 * Selectors are in telegram-selectors.ts (A_SEL).
 */
import type { CapturedQuote, CapturedReaction } from '../shared/model';
import type { PageAttachment, PageMessage } from './types';
import { attr, extractText, flatText, isWithin, outermost } from './dom';
import { attachment, blankMessage, findClock, parseCount } from './telegram-parts';
import type { ReadContext, TelegramReader } from './telegram-parts';
import { parseDayHeader, toSentAt } from './telegram-time';
import type { CalendarDate } from './telegram-time';
import { A_SEL, SELF_NAME } from './telegram-selectors';
import { RowMemo } from './row-memo';

const has = (el: Element, cls: string): boolean => el.classList.contains(cls);

/** Matches of `selector` in the row but not in its reply box (whose sender, text and thumbnail belong to another message). */
function inRow(row: Element, selector: string): Element[] {
  const replies = Array.from(row.querySelectorAll(A_SEL.reply));
  return Array.from(row.querySelectorAll(selector)).filter((el) => !isWithin(el, replies));
}

/**
 * The message id: `data-message-id` (all eras), else the element id, `message<id>` (older) or
 * `message-<id>[-<index>]` (newer helper), research §2. Local messages not yet on the server
 * have fractional ids (`5012.0001`, telegram-tt `isLocalMessageId`).
 */
export function messageIdOf(row: Element): string | null {
  const data = attr(row, 'data-message-id');
  if (data) return data;
  // The element id cannot tell a local id's fraction from an album index, so only the integer part is taken.
  const m = /^message-?(\d+)/.exec(row.id);
  return m?.[1] ?? null;
}

function readQuote(row: Element): Omit<CapturedQuote, 'messageId'> | null {
  const box = outermost(Array.from(row.querySelectorAll(A_SEL.reply)))[0];
  if (!box) return null;
  const sender = box.querySelector(A_SEL.replySender);
  const text = box.querySelector(A_SEL.replyText);
  return { author: sender ? flatText(sender) || null : null, text: text ? extractText(text).text : '' };
}

/**
 * The emoji is `img.ReactionStaticEmoji`'s alt (the emoji, or in some builds the reaction's
 * title such as "Thumbs Up"), a fallback emoji span's text, or ❤️ for the heart icon; the count
 * is the counter, else one avatar per recent reactor, else 1 (ReactionButton.tsx).
 */
function readReactions(row: Element): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const button of inRow(row, A_SEL.reaction)) {
    const icon = button.querySelector(A_SEL.reactionEmoji);
    let emoji = '';
    if (icon?.classList.contains('icon-heart')) emoji = '❤️';
    else if (icon) emoji = (icon.localName === 'img' ? attr(icon, 'alt') : null) ?? flatText(icon);
    if (!emoji) continue;
    const counter = button.querySelector(A_SEL.reactionCounter);
    const avatars = button.querySelectorAll(A_SEL.reactionAvatars).length;
    out.push({ emoji, count: (counter ? parseCount(flatText(counter)) : null) ?? (avatars || 1) });
  }
  return out;
}

/** Pictures, videos, documents, audio and stickers of the message itself (not a link preview's), in page order. */
function readAttachments(row: Element): PageAttachment[] {
  const found: { at: Element; ref: PageAttachment }[] = [];
  for (const media of inRow(row, A_SEL.mediaInner).filter((el) => !el.closest(A_SEL.webPage))) {
    const img = media.querySelector(A_SEL.photo);
    const video = media.querySelector(A_SEL.video);
    if (video) found.push({ at: media, ref: attachment('video', attr(video, 'src')) });
    else found.push({ at: media, ref: attachment('image', img ? attr(img, 'src') : null) });
  }
  for (const file of outermost(inRow(row, A_SEL.document))) {
    const name = file.querySelector(A_SEL.documentName);
    found.push({ at: file, ref: attachment('document', null, { name: name ? flatText(name) || null : null }) });
  }
  for (const audio of outermost(inRow(row, A_SEL.audio))) {
    found.push({ at: audio, ref: attachment('audio', attr(audio.querySelector('audio') ?? audio, 'src')) });
  }
  for (const sticker of outermost(inRow(row, A_SEL.sticker))) {
    const pic = sticker.querySelector('img, video');
    found.push({ at: sticker, ref: attachment('sticker', pic ? attr(pic, 'src') : null) });
  }
  // DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
  found.sort((a, b) => (a.at === b.at ? 0 : a.at.compareDocumentPosition(b.at) & 4 ? -1 : 1));
  return found.map((f) => f.ref);
}

/**
 * A service row's text. Multiline rows draw the text twice (a hidden copy behind the fluid
 * background, then the shown one; ActionMessage.tsx), so identical parts are kept once.
 */
function actionText(row: Element): { text: string; links: string[] } {
  const parts = Array.from(row.querySelectorAll(A_SEL.actionText))
    .filter((el) => !el.matches('.Reactions'))
    .map((el) => extractText(el))
    .filter((p, i, all) => p.text && all.findIndex((q) => q.text === p.text) === i);
  if (parts.length === 0) return extractText(row);
  return { text: parts.map((p) => p.text).join('\n'), links: [...new Set(parts.flatMap((p) => p.links))] };
}

interface Run {
  key: Element | null;
  own: boolean;
  sender: string | null;
}

/** What one list item shows by itself; its day, run and sender are settled in `messages`. */
type Item =
  | { kind: 'skip' }
  | { kind: 'event'; id: string | null; text: string; links: string[] }
  | {
    kind: 'message';
    id: string | null;
    own: boolean;
    forwarded: boolean;
    /** Whether it starts a run (`first-in-group`), for pages without the sender-group wrapper. */
    firstInGroup: boolean;
    /** The name the item shows (a run's first message), or null. */
    name: string | null;
    /** A channel post's author signature, or null. */
    signature: string | null;
    timeText: string;
    text: string;
    links: string[];
    direction: PageMessage['direction'];
    deleted: boolean;
    edited: boolean;
    quote: Omit<CapturedQuote, 'messageId'> | null;
    reactions: CapturedReaction[];
    attachments: PageAttachment[];
  };

/** Reads one list item: only what is inside it (so it can be remembered until it changes: src/adapters/row-memo.ts). */
function readItem(row: Element): Item {
  if (has(row, A_SEL.localActionClass)) return { kind: 'skip' }; // unread divider, "discussion started": not records
  const id = messageIdOf(row);
  if (id?.includes('.')) return { kind: 'skip' }; // a local message not yet on the server (see docs)
  if (has(row, A_SEL.actionClass)) return { kind: 'event', id, ...actionText(row) };
  const forwarded = inRow(row, A_SEL.forwarded).length > 0;
  const nameEl = forwarded ? null : (inRow(row, A_SEL.senderName)[0] ?? null);
  const signatureEl = inRow(row, A_SEL.signature)[0];
  const timeEl = inRow(row, A_SEL.time)[0];
  const timeText = timeEl ? flatText(timeEl) : '';
  const textEl = inRow(row, A_SEL.text)[0] ?? null;
  const body = textEl ? extractText(textEl, { skip: (el) => el.matches(A_SEL.textSkip) }) : { text: '', links: [] };
  const dir = body.text ? textEl?.getAttribute('dir') : null;
  return {
    kind: 'message',
    id,
    own: has(row, A_SEL.ownClass),
    forwarded,
    firstInGroup: has(row, A_SEL.firstInGroupClass),
    name: nameEl ? flatText(nameEl, { skip: (el) => el.matches(A_SEL.senderNameSkip) }) || null : null,
    signature: signatureEl ? flatText(signatureEl) || null : null,
    timeText,
    text: body.text,
    links: body.links,
    direction: dir === 'ltr' || dir === 'rtl' || dir === 'auto' ? dir : null,
    deleted: has(row, A_SEL.deletingClass),
    edited: has(row, A_SEL.editedClass) || /^edited\b/i.test(timeText),
    quote: readQuote(row),
    reactions: readReactions(row),
    attachments: readAttachments(row),
  };
}

/** Each list item's facts, read again only when the item changed. */
const rowMemo = new RowMemo<Item>(A_SEL.rows.join(', '));

function messages(doc: Document, ctx: ReadContext): PageMessage[] {
  rowMemo.sync(doc);
  const found = rowMemo.matching(doc, A_SEL.rows);
  if (!found) throw ctx.fail(A_SEL.rows.join(', '), `no message rows matched ${A_SEL.rows.join(', ')}`);
  // The day of each day group, from its sticky header (outside the items, so read on every read).
  const days = new Map<Element, CalendarDate | null>();
  const dayOf = (row: Element): CalendarDate | null => {
    const group = row.closest(A_SEL.dateGroup);
    if (!group) return null;
    if (!days.has(group)) {
      const header = group.querySelector(A_SEL.stickyDate);
      days.set(group, header ? parseDayHeader(flatText(header), ctx.now) : null);
    }
    return days.get(group) ?? null;
  };

  const out: PageMessage[] = [];
  let run: Run | null = null;
  for (const row of outermost(found.elements)) {
    const item = rowMemo.get(row, readItem);
    if (item.kind === 'skip') continue;
    if (item.kind === 'event') {
      run = null;
      if (!item.text) continue;
      out.push({ ...blankMessage(out.length), messageId: item.id ?? ctx.derivedId('event', [item.text]), type: 'event', text: item.text, links: item.links });
      continue;
    }

    const own = item.own;
    // A run is one sender's consecutive messages: the 2025–26 sender-group wrapper, else the
    // `first-in-group` class that starts one (Message.tsx).
    const key = row.closest(A_SEL.senderGroup);
    const continues = run !== null && run.own === own && (key ? run.key === key : !item.firstInGroup);
    const current: Run = continues && run ? run : { key, own, sender: null };
    if (item.name) current.sender ??= item.name;
    run = current;

    const sender =
      ctx.kind === 'channel' ? (item.signature ?? ctx.title)
        : own ? SELF_NAME
          : (item.name ?? current.sender ?? (ctx.kind === 'direct' ? ctx.title : null));

    const clock = findClock(item.timeText);
    const day = dayOf(row);
    out.push({
      ...blankMessage(out.length),
      messageId: item.id ?? ctx.derivedId('msg', [day ? `${day.year}-${day.month}-${day.day}` : null, clock?.text ?? null, sender, item.text]),
      type: 'message',
      sender,
      fromSelf: own,
      sentAt: day && clock ? toSentAt(day, clock) : null,
      sentAtText: clock?.text ?? null,
      text: item.text,
      links: item.links,
      deleted: item.deleted,
      edited: item.edited,
      forwarded: item.forwarded,
      quote: item.quote ? { ...item.quote, messageId: null } : null,
      reactions: item.reactions,
      attachments: item.attachments,
      direction: item.direction,
    });
  }
  return out;
}

export const webA: TelegramReader = {
  client: 'a',
  present: (doc) => doc.querySelector(A_SEL.list) !== null || A_SEL.title.some((s) => doc.querySelector(s) !== null),
  titleSelectors: A_SEL.title,
  rowSelectors: A_SEL.rows,
  peerIdFromDom: () => null,
  channelSigns: (doc) =>
    Array.from(doc.querySelectorAll(`.${A_SEL.messageClass}.${A_SEL.viewsClass}`)).some((row) => row.querySelector(A_SEL.forwarded) === null),
  messages,
};
