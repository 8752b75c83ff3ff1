/**
 * Web K (https://web.telegram.org/k/, morethanwords/tweb): bubbles → records. Every bubble
 * carries `data-mid` (tweb's message id) and `data-timestamp` (server time, Unix seconds), so
 * ids and times need no guessing; senders are carried within tweb's per-author `.bubbles-group`.
 * Selectors are in telegram-selectors.ts (K_SEL).
 */
import type { CapturedQuote, CapturedReaction } from '../shared/model';
import type { PageAttachment, PageMessage } from './types';
import { attr, extractText, flatText, isWithin, outermost } from './dom';
import { attachment, blankMessage, findClock, parseCount } from './telegram-parts';
import type { ReadContext, TelegramReader } from './telegram-parts';
import { fromUnixSeconds } from './telegram-time';
import { K_SEL, SELF_NAME } from './telegram-selectors';
import { RowMemo } from './row-memo';

const has = (el: Element, cls: string): boolean => el.classList.contains(cls);

/** Matches of `selector` inside the bubble but not inside its reply box (whose parts belong to another message). */
function inBubble(bubble: Element, selector: string): Element[] {
  const replies = Array.from(bubble.querySelectorAll(K_SEL.reply));
  return Array.from(bubble.querySelectorAll(selector)).filter((el) => !isWithin(el, replies));
}

function readQuote(bubble: Element): Omit<CapturedQuote, 'messageId'> | null {
  const box = outermost(Array.from(bubble.querySelectorAll(K_SEL.reply)))[0];
  if (!box) return null;
  const title = box.querySelector(K_SEL.replyTitle);
  const subtitle = box.querySelector(K_SEL.replySubtitle);
  return { author: title ? flatText(title) || null : null, text: subtitle ? extractText(subtitle).text : '' };
}

/**
 * tweb draws a reaction as a static sticker, so the emoji is the image's alt text [U], else the
 * sticker box's own text; the count is the counter, else one avatar per reactor (shown instead
 * of a counter below four reactions, tweb reaction.ts), else 1.
 */
function readReactions(bubble: Element): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const el of outermost(inBubble(bubble, K_SEL.reaction))) {
    const sticker = el.querySelector(K_SEL.reactionEmoji);
    const img = sticker?.querySelector('img[alt]');
    const emoji = (img ? attr(img, 'alt') : null) ?? (sticker ? flatText(sticker) : '');
    if (!emoji) continue;
    const counter = el.querySelector(K_SEL.reactionCounter);
    const avatars = el.querySelectorAll(K_SEL.reactionAvatars).length;
    out.push({ emoji, count: (counter ? parseCount(flatText(counter)) : null) ?? (avatars || 1) });
  }
  return out;
}

const srcOf = (el: Element | null | undefined): string | null => (el ? attr(el, 'src') : null);

/** Pictures, videos, documents, voice notes and stickers, in page order; a link preview's picture is not one. */
function readAttachments(bubble: Element): PageAttachment[] {
  const found: { at: Element; ref: PageAttachment }[] = [];
  const media = (selector: string): Element[] => inBubble(bubble, selector).filter((el) => !el.closest(K_SEL.webpage));
  for (const img of media(K_SEL.photo)) found.push({ at: img, ref: attachment('image', srcOf(img)) });
  if (found.length === 0 && has(bubble, 'photo')) {
    // The picture is not downloaded yet: only tweb's blurred preview is there [U].
    const thumb = media(K_SEL.photoThumb)[0];
    if (thumb) found.push({ at: thumb, ref: attachment('image', srcOf(thumb), { thumbnail: true }) });
  }
  for (const video of media(K_SEL.video)) found.push({ at: video, ref: attachment('video', srcOf(video)) });
  for (const doc of outermost(inBubble(bubble, K_SEL.document))) {
    const name = doc.querySelector(K_SEL.documentName);
    const link = doc.querySelector('a[href^="blob:"]');
    found.push({ at: doc, ref: attachment('document', link ? attr(link, 'href') : null, { name: name ? flatText(name) || null : null }) });
  }
  for (const audio of inBubble(bubble, K_SEL.audio)) {
    found.push({ at: audio, ref: attachment('audio', srcOf(audio.querySelector('audio'))) });
  }
  if (has(bubble, K_SEL.stickerClass) && found.length === 0) {
    const pic = inBubble(bubble, '.attachment img, .attachment canvas, .attachment video')[0];
    found.push({ at: pic ?? bubble, ref: attachment('sticker', srcOf(pic)) });
  }
  // DOCUMENT_POSITION_FOLLOWING (4): b comes after a.
  found.sort((a, b) => (a.at === b.at ? 0 : a.at.compareDocumentPosition(b.at) & 4 ? -1 : 1));
  return found.map((f) => f.ref);
}

/** The bubble's visible time parts: the first `.time-inner` (or 2021 `.inner`) outside the reply box. */
function timeInner(bubble: Element): Element | null {
  for (const selector of K_SEL.timeInner) {
    const el = inBubble(bubble, selector)[0];
    if (el) return el;
  }
  return inBubble(bubble, K_SEL.time)[0] ?? null;
}

/** What one bubble shows by itself; the sender of a bubble that shows none is settled in `messages`. */
type Bubble =
  | { kind: 'skip' }
  | { kind: 'event'; mid: string | null; timestamp: string | null; text: string; links: string[] }
  | {
    kind: 'message';
    mid: string | null;
    timestamp: string | null;
    fromSelf: boolean;
    forwarded: boolean;
    edited: boolean;
    /** The name the bubble shows (a group's first bubble), or null. */
    name: string | null;
    /** A channel post's author signature, or null. */
    signature: string | null;
    clockText: string | null;
    text: string;
    links: string[];
    direction: PageMessage['direction'];
    quote: Omit<CapturedQuote, 'messageId'> | null;
    reactions: CapturedReaction[];
    attachments: PageAttachment[];
  };

/** Reads one bubble: only what is inside it (so it can be remembered until it changes: src/adapters/row-memo.ts). */
function readBubble(bubble: Element): Bubble {
  if (has(bubble, K_SEL.dateBubble)) return { kind: 'skip' }; // the day header: every bubble has its own timestamp
  if (K_SEL.pendingClasses.some((c) => has(bubble, c))) return { kind: 'skip' }; // not on the server yet (see docs)
  const mid = attr(bubble, 'data-mid');
  const timestamp = attr(bubble, 'data-timestamp');
  if (has(bubble, K_SEL.serviceClass)) {
    const textEl = bubble.querySelector(K_SEL.serviceText) ?? bubble;
    return { kind: 'event', mid, timestamp, ...extractText(textEl) };
  }
  const forwarded = has(bubble, K_SEL.forwardedClass) || inBubble(bubble, K_SEL.forwardedName).length > 0;
  const inner = timeInner(bubble);
  const clock = inner ? findClock(flatText(inner, { skip: (el) => el.matches(K_SEL.postAuthor) })) : null;
  const nameEl = forwarded ? null : (inBubble(bubble, K_SEL.name)[0] ?? null);
  const signatureEl = inner?.querySelector(K_SEL.postAuthor);
  const textEl = inBubble(bubble, K_SEL.text)[0] ?? null;
  const body = textEl ? extractText(textEl, { skip: (el) => el.matches(K_SEL.furniture) }) : { text: '', links: [] };
  const dirEl = textEl?.closest('[dir]');
  const dir = body.text && dirEl && isWithin(dirEl, [bubble]) ? dirEl.getAttribute('dir') : null;
  return {
    kind: 'message',
    mid,
    timestamp,
    fromSelf: has(bubble, K_SEL.outClass),
    forwarded,
    edited: has(bubble, K_SEL.editedClass) || inBubble(bubble, K_SEL.edited).length > 0 || K_SEL.editedTitle.test(inner?.getAttribute('title') ?? ''),
    name: nameEl ? flatText(nameEl) || null : null,
    signature: signatureEl ? flatText(signatureEl).replace(/,$/, '').trim() || null : null,
    clockText: clock?.text ?? null,
    text: body.text,
    links: body.links,
    direction: dir === 'ltr' || dir === 'rtl' || dir === 'auto' ? dir : null,
    quote: readQuote(bubble),
    reactions: readReactions(bubble),
    attachments: readAttachments(bubble),
  };
}

/** Each bubble's facts, read again only when the bubble changed. */
const rowMemo = new RowMemo<Bubble>(K_SEL.rows.join(', '));

function messages(doc: Document, ctx: ReadContext): PageMessage[] {
  rowMemo.sync(doc);
  const found = rowMemo.matching(doc, K_SEL.rows);
  if (!found) throw ctx.fail(K_SEL.rows.join(', '), `no message rows matched ${K_SEL.rows.join(', ')}`);
  const out: PageMessage[] = [];
  // The sender of each `.bubbles-group` (tweb groups one author's bubbles), learned from its named bubble.
  const groupSender = new Map<Element, string>();
  let previous: PageMessage | null = null; // for bubbles outside any group
  for (const bubble of outermost(found.elements)) {
    const b = rowMemo.get(bubble, readBubble);
    if (b.kind === 'skip') continue;
    if (b.kind === 'event') {
      previous = null;
      if (!b.text) continue;
      out.push({
        ...blankMessage(out.length),
        messageId: b.mid ?? ctx.derivedId('event', [b.timestamp, b.text]),
        type: 'event',
        sentAt: fromUnixSeconds(b.timestamp),
        text: b.text,
        links: b.links,
      });
      continue;
    }
    const group = bubble.closest(K_SEL.senderGroup);
    const runSender = group
      ? (groupSender.get(group) ?? null)
      : previous && previous.fromSelf === b.fromSelf ? previous.sender : null;
    const sender =
      ctx.kind === 'channel' ? (b.signature ?? ctx.title)
        : b.fromSelf ? SELF_NAME
          : (b.name ?? runSender ?? (ctx.kind === 'direct' ? ctx.title : null));
    const m: PageMessage = {
      ...blankMessage(out.length),
      messageId: b.mid ?? ctx.derivedId('msg', [b.timestamp, sender, b.text]),
      type: 'message',
      sender,
      fromSelf: b.fromSelf,
      sentAt: fromUnixSeconds(b.timestamp),
      sentAtText: b.clockText,
      text: b.text,
      links: b.links,
      edited: b.edited,
      forwarded: b.forwarded,
      quote: b.quote ? { ...b.quote, messageId: null } : null,
      reactions: b.reactions,
      attachments: b.attachments,
      direction: b.direction,
    };
    if (group && m.sender && !m.forwarded && !groupSender.has(group)) groupSender.set(group, m.sender);
    out.push(m);
    previous = m;
  }
  return out;
}

export const webK: TelegramReader = {
  client: 'k',
  present: (doc) => doc.querySelector('.bubbles') !== null || K_SEL.title.some((s) => doc.querySelector(s) !== null),
  titleSelectors: K_SEL.title,
  rowSelectors: K_SEL.rows,
  // Every bubble carries the chat's peer id (tweb bubbles.ts: `bubble.dataset.peerId = chat.peerId`).
  peerIdFromDom: (doc) => {
    const el = doc.querySelector('.bubbles-inner .bubble[data-peer-id]') ?? doc.querySelector('.bubble[data-peer-id]');
    return el ? attr(el, 'data-peer-id') : null;
  },
  channelSigns: (doc) =>
    Array.from(doc.querySelectorAll(`.bubble.${K_SEL.channelPostClass}`)).some((b) => !has(b, K_SEL.forwardedClass)),
  messages,
};
