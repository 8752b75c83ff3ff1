/**
 * One Discord row → what it is (message or system event) and the facts it shows by itself.
 * Senders of continuation rows, self detection and ordering are settled page-wide in
 * discord.ts. The reply context inside a row shows another message (the parent), so every
 * reader here looks outside it.
 */
import type { CapturedQuote, CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { attr, extractText, flatText, isWithin, outermost, selfAndDescendants } from './dom';
import type { ExtractedText } from './dom';
import { avatarUserId, idAfter, parseRowId } from './discord-ids';
import type { RowId } from './discord-ids';
import { readAttachments } from './discord-media';
import { SEL, hashed } from './discord-selectors';

export interface RowFacts {
  kind: 'message' | 'event';
  id: RowId;
  /** The group's first message, named by this row's aria-labelledby (idx 58651099670); null when unknown. */
  headId: string | null;
  /** The name this row shows itself (a group's first message). */
  ownName: string | null;
  /**
   * The name the row's aria-labelledby points to, wherever on the page it is: set by `withHead`
   * on every read (readRow leaves it null), since that element may be outside the row.
   */
  labelledName: string | null;
  /**
   * A row that shows no name, no body, no attachment and no system mark: a message when its
   * group head is on the page (a continuation), else a notice (`withHead` decides, reading the
   * notice's text from `eventText`).
   */
  bare: boolean;
  /** The row's sentence, should `bare` make it a notice. */
  eventText: string | null;
  /** The author's user id, from the avatar of a group's first message (idx 56912638504). */
  authorId: string | null;
  /** The time as shown ("Today at 10:12 AM", "10:13 AM"); the absolute time comes from the id. */
  timeText: string | null;
  /** `time[datetime]`, used only when the id is not a snowflake. */
  datetime: string | null;
  text: string;
  links: string[];
  edited: boolean;
  forwarded: boolean;
  quote: CapturedQuote | null;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
}

interface Scope {
  article: Element;
  /** Reply contexts: they show the parent message's author, text and time. */
  replies: Element[];
}

/** Matches of `selector` in the article (itself included), outside reply contexts. */
function within(scope: Scope, selector: string): Element[] {
  return selfAndDescendants(scope.article, selector).filter((el) => !isWithin(el, scope.replies));
}

/**
 * Inline times, the "(edited)" mark and screen-reader copies: never message text. Not
 * `aria-hidden` as such: a spoiler's text is hidden from screen readers until revealed, and
 * it is still part of the message.
 */
function furniture(el: Element): boolean {
  return el.localName === 'time' || el.matches(SEL.timestampWrap) || el.matches(SEL.edited) || el.matches(SEL.hiddenVisually);
}

/** Furniture plus decorations (icons, separators) hidden from screen readers: for names, times and notices. */
function decoration(el: Element): boolean {
  return furniture(el) || el.getAttribute('aria-hidden') === 'true' || el.localName === 'svg';
}

/** A display name: the `data-text` Discord puts on the name span (idx 59665783548), else its text without tags. */
export function nameOf(el: Element): string | null {
  const dataText = selfAndDescendants(el, '[data-text]')[0]?.getAttribute('data-text')?.trim();
  if (dataText) return dataText;
  const text = flatText(el, { skip: (e) => decoration(e) || e.matches(SEL.botTag) });
  return text || null;
}

/** `aria-labelledby="message-username-<headId> … message-content-<id> … message-timestamp-<id>"`. */
function labelledHead(article: Element): string | null {
  for (const token of (article.getAttribute('aria-labelledby') ?? '').split(/\s+/)) {
    const id = idAfter(SEL.usernamePrefix, token);
    if (id) return id;
  }
  return null;
}

function readQuote(context: Element): CapturedQuote {
  const parentContent = context.querySelector(SEL.anyContent);
  const nameEl = context.querySelector(`[data-text], ${hashed('username')}`);
  const rawAuthor = nameEl ? nameOf(nameEl) : null;
  // The reply bar writes the parent's author as a mention ("@Ana Lima"); the sender is "Ana Lima".
  const author = rawAuthor ? rawAuthor.replace(/^@/, '') || null : null;
  if (parentContent) {
    return {
      author,
      text: extractText(parentContent, { skip: furniture }).text,
      messageId: idAfter(SEL.contentPrefix, parentContent.id),
    };
  }
  // No parent content: a deleted parent ("Original message was deleted", shown without a name)
  // or an attachment-only one ("Click to see attachment").
  const text = flatText(context, { skip: (e) => decoration(e) || e === nameEl || e.localName === 'img' });
  return { author, text, messageId: null };
}

/** "👍 2": the emoji (image alt or text) and its count, per reaction (`reaction_…`, `reactionCount_…` [U]). */
function readReactions(scope: Scope): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const box of within(scope, SEL.reactions)) {
    for (const el of outermost(selfAndDescendants(box, SEL.reaction))) {
      const countEl = el.querySelector(SEL.reactionCount);
      const count = countEl ? Number(flatText(countEl)) : Number.NaN;
      // The "add reaction" button has no count.
      if (!countEl || !Number.isInteger(count)) continue;
      const img = el.querySelector('img[alt]');
      const emoji = img?.getAttribute('alt')?.trim() || flatText(el, { skip: (e) => e === countEl });
      if (!emoji) continue;
      const seen = out.find((r) => r.emoji === emoji);
      if (seen) seen.count += count;
      else out.push({ emoji, count });
    }
  }
  return out;
}

function readBody(content: Element | null): ExtractedText {
  return content ? extractText(content, { skip: furniture }) : { text: '', links: [] };
}

/**
 * Reads what one row shows by itself (so it can be remembered until the row changes:
 * src/adapters/row-memo.ts); null when the row carries no message id. What depends on its group
 * head elsewhere on the page is settled by `withHead`.
 */
export function readRow(row: Element): RowFacts | null {
  const article = row.matches(SEL.article) ? row : (row.querySelector(SEL.article) ?? row);
  const id = parseRowId(row.id) ?? parseRowId(article.getAttribute('data-list-item-id') ?? '');
  if (!id) return null;
  const scope: Scope = { article, replies: outermost(selfAndDescendants(article, SEL.replyContext)) };
  const byId = (prefix: string, selector: string): Element | null =>
    within(scope, `[id="${prefix}${id.message}"]`)[0] ?? within(scope, selector)[0] ?? null;

  const content = byId(SEL.contentPrefix, `[id^="${SEL.contentPrefix}"]`);
  const nameEl = byId(SEL.usernamePrefix, `[id^="${SEL.usernamePrefix}"]`);
  const headId = labelledHead(article) ?? (nameEl ? id.message : null);
  const time =
    within(scope, `time[id="${SEL.timestampPrefix}${id.message}"]`)[0] ??
    within(scope, SEL.time).find((t) => !t.closest(SEL.edited) && !(content && isWithin(t, [content]))) ??
    null;
  const timeText = time ? flatText(time, { skip: (e) => e.getAttribute('aria-hidden') === 'true' }) || attr(time, 'aria-label') : null;
  const avatar = within(scope, SEL.avatar)[0];
  const attachments = readAttachments(within(scope, SEL.accessories));

  // System messages (joins, pins, boosts): marked by class [U], or showing neither a name nor
  // a message body nor an attachment, only a sentence and a time, and no group head (withHead).
  const marked = within(scope, SEL.systemMessage).length > 0;
  const bare = !marked && content === null && nameEl === null && attachments.length === 0;
  const eventText = (): string => flatText(article, { skip: (e) => decoration(e) || isWithin(e, scope.replies) });
  const facts = {
    id,
    headId,
    ownName: nameEl ? nameOf(nameEl) : null,
    labelledName: null,
    bare,
    eventText: bare ? eventText() : null,
    authorId: avatar ? avatarUserId(avatar.getAttribute('src') ?? '') : null,
    timeText,
    datetime: time?.getAttribute('datetime') ?? null,
    edited: within(scope, SEL.edited).length > 0,
    forwarded: within(scope, SEL.forwarded).length > 0,
    reactions: readReactions(scope),
  };
  if (marked) return { ...facts, kind: 'event', text: eventText(), links: [], quote: null, attachments: [] };
  const body = readBody(content);
  const context = scope.replies[0];
  return {
    ...facts,
    kind: 'message',
    text: body.text,
    links: body.links,
    quote: context ? readQuote(context) : null,
    attachments,
  };
}

/**
 * The row with what its group head says, looked up in `doc` now: the name it shows, and for a
 * bare row whether it is a message at all (no head on the page: a notice, its sentence its text).
 */
export function withHead(doc: Document, f: RowFacts): RowFacts {
  const headEl = f.headId ? doc.getElementById(`${SEL.usernamePrefix}${f.headId}`) : null;
  const labelledName = headEl ? nameOf(headEl) : null;
  if (f.bare && headEl === null) return { ...f, kind: 'event', labelledName, text: f.eventText ?? '', links: [], quote: null, attachments: [] };
  return labelledName === null ? f : { ...f, labelledName };
}
