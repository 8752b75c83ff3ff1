/**
 * One WhatsApp row → what it is (message, notice, date chip, or furniture to skip) and the
 * facts it shows by itself. Anything that needs other rows (dates from chips, continuation
 * senders, quote links, derived ids) is settled page-wide in whatsapp.ts.
 */
import type { CapturedQuote, CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { flatText, isWithin, shortHash } from './dom';
import {
  hasEditedCaption, hasLabelPrefix, inRow, readAttachments, readBody, readLooseText, readQuote,
  readReactions, readSenderLabel, readVisibleTime, scopeOf, textIn,
} from './whatsapp-parts';
import type { BodyText, RowScope } from './whatsapp-parts';
import { NOT_A_RECORD, READ_MORE_LABELS, SEL, SELF_DELETED, SELF_WORDS, STATUS_WORDS } from './whatsapp-selectors';
import { parseChip } from './whatsapp-chips';
import type { ChipValue } from './whatsapp-chips';
import { parsePrePlainText } from './whatsapp-time';
import type { ClockTime, PrePlainText } from './whatsapp-time';

/** A `data-id` value, in either era. */
export interface ParsedId {
  /** The bare message id, the same in every era. */
  messageId: string;
  /** Classic ids only: `true_` = sent by the account owner. */
  fromSelf: boolean | null;
  /** Classic ids only: the chat JID, e.g. `120363025246125244@g.us`. */
  chatJid: string | null;
}

/**
 * Classic: `<fromMe>_<chatJid>_<msgId>[_<participant>]` (participant `@c.us` or, since ~2024,
 * `@lid`); 2026: the bare id, 20–32 characters (research §1 "Stable id", idx 71042067677).
 * Unknown shapes are kept whole rather than lose the row's identity.
 */
export function parseDataId(value: string): ParsedId {
  const v = value.trim();
  const classic = /^(true|false)_([^_@]+@(?:c\.us|g\.us|lid|s\.whatsapp\.net|broadcast|newsletter))_([A-Za-z0-9]+)(?:_.+)?$/.exec(v);
  if (classic?.[2] && classic[3]) {
    return { messageId: classic[3], fromSelf: classic[1] === 'true', chatJid: classic[2] };
  }
  // The protocol caps ids at 512 characters; an id that long is not WhatsApp's, so keep a digest.
  return { messageId: v.length > 256 ? `id-${shortHash(v)}` : v, fromSelf: null, chatJid: null };
}

export interface MessageFacts {
  id: ParsedId | null;
  pre: PrePlainText | null;
  /** The bubble's visible time text and its parse, for rows without pre-plain-text. */
  visibleTime: { text: string; time: ClockTime } | null;
  /** Sender label as shown ("Ana Lima", "You"), without the colon. */
  label: string | null;
  labelIsSelf: boolean;
  /** The row starts a run (it has a bubble tail). */
  tail: boolean;
  /** Direction the row shows by itself; null when only neighbours can tell. */
  ownDirection: 'out' | 'in' | null;
  text: string;
  links: string[];
  dir: 'ltr' | 'rtl' | 'auto' | null;
  deleted: boolean;
  edited: boolean;
  forwarded: boolean;
  /** The bubble shows "Read more": the text is only its start. */
  truncated: boolean;
  quote: Omit<CapturedQuote, 'messageId'> | null;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
}

export type RowFacts =
  | { kind: 'skip' }
  | { kind: 'chip'; chip: ChipValue }
  | { kind: 'event'; id: ParsedId | null; text: string; links: string[]; dir: 'ltr' | 'rtl' | 'auto' | null }
  | { kind: 'message'; facts: MessageFacts };

const STATUS = STATUS_WORDS.map((w) => w.toLowerCase());

function findDataId(scope: RowScope): ParsedId | null {
  const el = inRow(scope, SEL.dataId)[0];
  const value = el?.getAttribute('data-id');
  return value ? parseDataId(value) : null;
}

/** Direction classes and bubble tails, asked for in one query: most rows have one or none. */
const DIRECTION_MARKS = [SEL.classOut, SEL.classIn, SEL.tailOut, SEL.tailIn].join(', ');

/** Whether the row has a direction mark matching `selector` (one of DIRECTION_MARKS's). */
function hasMark(scope: RowScope, selector: string): boolean {
  return inRow(scope, DIRECTION_MARKS).some((el) => el.matches(selector));
}

/** Direction evidence in the row itself, most reliable first (research §1 "Direction"). */
function ownDirection(scope: RowScope, id: ParsedId | null, label: string | null, text: string): 'out' | 'in' | null {
  const has = (selector: string): boolean => inRow(scope, selector).length > 0;
  if (id?.fromSelf != null) return id.fromSelf ? 'out' : 'in';
  if (hasMark(scope, SEL.classOut)) return 'out';
  if (hasMark(scope, SEL.classIn)) return 'in';
  if (hasMark(scope, SEL.tailOut)) return 'out';
  if (hasMark(scope, SEL.tailIn)) return 'in';
  if (label !== null) return SELF_WORDS.includes(label) ? 'out' : 'in';
  if (hasLabelPrefix(scope, SELF_WORDS)) return 'out';
  const statuses = inRow(scope, '[aria-label]').map((el) => (el.getAttribute('aria-label') ?? '').trim().toLowerCase());
  if (statuses.some((s) => STATUS.includes(s)) || has(SEL.ticks)) return 'out';
  if (has(SEL.recalledOut) || SELF_DELETED.test(text)) return 'out';
  if (has(SEL.recalledIn)) return 'in';
  return null;
}

/** Signs that a row is somebody's message rather than a notice: a time, a bubble, media. */
const MESSAGE_SIGNS = [
  SEL.prePlain, SEL.classIn, SEL.classOut, SEL.tailIn, SEL.tailOut, SEL.ticks, SEL.recalled,
  SEL.imageOpener, SEL.blobImage, SEL.video, SEL.audio, SEL.document, SEL.sticker,
].join(', ');

function looksLikeMessage(scope: RowScope): boolean {
  return readVisibleTime(scope, []) !== null || inRow(scope, MESSAGE_SIGNS).length > 0;
}

function readMessage(scope: RowScope, id: ParsedId | null): MessageFacts {
  const preEl = inRow(scope, SEL.prePlain)[0] ?? null;
  const pre = preEl ? parsePrePlainText(preEl.getAttribute('data-pre-plain-text') ?? '') : null;
  const label = readSenderLabel(scope);
  const recalled = inRow(scope, SEL.recalled)[0] ?? null;
  const attachments = readAttachments(scope);

  // Text, most specific source first: the selectable-text spans; else the pre-plain-text
  // wrapper; else, for a deleted message, the notice beside the recalled icon; else (a poll,
  // a location, a type we do not know) what the bubble shows, minus its furniture.
  let body: BodyText | null = readBody(scope);
  const sender = pre?.sender ?? label;
  if (!body && preEl) body = readLooseText(preEl, scope, sender);
  if (!body && recalled) {
    for (let el = recalled.parentElement; el && isWithin(el, [scope.row]); el = el.parentElement) {
      body = readLooseText(el, scope, sender);
      if (body.text) break;
    }
  }
  if (!body?.text && attachments.length === 0 && !recalled) body = readLooseText(scope.row, scope, sender);

  const bodyEls = body?.elements ?? [];
  const time = readVisibleTime(scope, bodyEls);
  const text = body?.text ?? '';
  const quoteBox = scope.quotes[0];
  return {
    id,
    pre,
    visibleTime: time ? { text: time.text, time: time.time } : null,
    label,
    labelIsSelf: label !== null && SELF_WORDS.includes(label),
    tail: hasMark(scope, SEL.tailIn) || hasMark(scope, SEL.tailOut),
    ownDirection: ownDirection(scope, id, label, text),
    text,
    links: body?.links ?? [],
    dir: text ? (body?.dir ?? null) : null,
    deleted: recalled !== null,
    edited: (time?.edited ?? false) || hasEditedCaption(scope, bodyEls),
    forwarded: inRow(scope, SEL.forwarded).length > 0,
    truncated: inRow(scope, SEL.readMore).length > 0 || inRow(scope, '[role=button]').some((el) => READ_MORE_LABELS.test(textIn(scope, el))),
    quote: quoteBox ? readQuote(quoteBox) : null,
    reactions: readReactions(scope),
    attachments,
  };
}

/** Classifies one row and reads what it shows by itself. */
export function readRow(row: Element): RowFacts {
  const scope = scopeOf(row);
  const id = findDataId(scope);
  if (looksLikeMessage(scope)) return { kind: 'message', facts: readMessage(scope, id) };

  const text = flatText(row, { skip: (el) => el.hasAttribute('data-icon') || el.getAttribute('aria-hidden') === 'true' });
  if (!text) return { kind: 'skip' };
  const label = (row.getAttribute('aria-label') ?? '').trim();
  if (NOT_A_RECORD.some((re) => re.test(text) || re.test(label))) return { kind: 'skip' };
  const chip = id ? null : parseChip(text);
  if (chip) return { kind: 'chip', chip };
  const event = readLooseText(row, scope, null);
  return { kind: 'event', id, text, links: event.links, dir: event.dir };
}
