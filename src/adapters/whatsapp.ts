/**
 * WhatsApp Web adapter. Reads the open conversation of https://web.whatsapp.com/ in every
 * layout we have evidence for (2018–2026): rows → facts (whatsapp-rows.ts), then page-wide
 * passes that need more than one row: the day/month order, chip dates, direction and sender
 * of continuation rows, quote links and ids for rows that have none. Selectors live in
 * whatsapp-selectors.ts; docs/adapters.md explains the rules.
 */
import type { CapturedParticipant, CapturedThread } from '../shared/model';
import { AdapterReadError } from './types';
import type { Adapter, PageMessage, PageRead } from './types';
import { attr, flatText, outermostInOrder, queryAll, shortHash } from './dom';
import { readRow } from './whatsapp-rows';
import { RowMemo } from './row-memo';
import { linkPageQuotes } from '../shared/quote-match';
import type { MessageFacts, RowFacts } from './whatsapp-rows';
import { COMPOSER_LABEL, SEL, SELF_WORDS } from './whatsapp-selectors';
import { resolveChipDates } from './whatsapp-chips';
import { whatsappHistory } from './whatsapp-history';
import type { ChipSlot, DatedPoint } from './whatsapp-chips';
import { isoDay, resolveDayMonthOrder, resolveNumericDate, toSentAt } from './whatsapp-time';
import type { CalendarDate, DayMonthOrder, NumericDate } from './whatsapp-time';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('whatsapp', selector, `could not read the messages on this page: ${what}`);

interface Header {
  title: string;
  participants: CapturedParticipant[];
  /** The localized word the page uses for the account owner, when it shows one. */
  selfWord: string | null;
  composerKind: 'group' | 'direct' | null;
}

function readHeader(doc: Document): Header {
  // First span[title] / span[dir=auto] in the header, document order (idx 71042067677).
  const titleEl = doc.querySelector(SEL.title);
  const title = titleEl ? (attr(titleEl, 'title') ?? flatText(titleEl)) : '';
  if (!title) throw fail(SEL.title, `the conversation header has no title (${SEL.title})`);

  let participants: CapturedParticipant[] = [];
  let selfWord: string | null = null;
  for (const el of queryAll(doc, SEL.headerTitled)) {
    const names = (el.getAttribute('title') ?? '').split(',').map((n) => n.trim()).filter(Boolean);
    const last = names[names.length - 1];
    if (el === titleEl || names.length < 2 || last === undefined || !SELF_WORDS.includes(last)) continue;
    participants = names.map((name) => ({ name, self: SELF_WORDS.includes(name) }));
    selfWord = last;
    break;
  }
  let composerKind: Header['composerKind'] = null;
  for (const el of queryAll(doc, SEL.composer)) {
    const m = COMPOSER_LABEL.exec((el.getAttribute('aria-label') ?? '').trim());
    if (m) composerKind = m[1] ? 'group' : 'direct';
  }
  return { title, participants, selfWord, composerKind };
}

function threadOf(header: Header, jid: string | null): CapturedThread {
  let kind: CapturedThread['kind'] = 'unknown';
  if (jid?.endsWith('@g.us') || header.participants.length > 0) kind = 'group';
  else if (jid && /@(c\.us|lid|s\.whatsapp\.net)$/.test(jid)) kind = 'direct';
  else if (jid?.endsWith('@newsletter')) kind = 'channel';
  else if (header.composerKind) kind = header.composerKind;
  return {
    threadKey: jid ?? `title:${header.title}`,
    title: header.title,
    kind,
    participants: header.participants,
  };
}

function findRows(doc: Document): Element[] {
  const found = rowMemo.matching(doc, SEL.rows);
  if (!found) throw fail(SEL.rows.join(', '), `no message rows matched ${SEL.rows.join(', ')}`);
  return outermostInOrder(found.elements);
}

/** Day/month order, chip dates and the date of every row's section (rows up to the next chip). */
function datesOf(doc: Document, facts: readonly RowFacts[]): { order: DayMonthOrder; sectionDate: (CalendarDate | null)[] } {
  // Indexed loops over plain arrays: a read runs these over every row of the pane, and an
  // iterator costs more than the work while the read's code is not yet optimized.
  const numericDates: NumericDate[] = [];
  const longChipsMonthFirst: boolean[] = [];
  let twelveHour = false;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    if (f.kind === 'message') {
      const pre = f.facts.pre;
      if (pre) {
        numericDates.push(pre.date);
        twelveHour ||= pre.time.twelveHour;
      }
      twelveHour ||= f.facts.visibleTime?.time.twelveHour ?? false;
    } else if (f.kind === 'chip') {
      if (f.chip.kind === 'numeric') numericDates.push(f.chip.date);
      else if (f.chip.kind === 'long') longChipsMonthFirst.push(f.chip.monthFirst);
    }
  }
  const lang = doc.documentElement.getAttribute('lang');
  const { order } = resolveDayMonthOrder({ numericDates, longChipsMonthFirst, lang, twelveHour });

  const points: DatedPoint[] = [];
  const chips: ChipSlot[] = [];
  const section: number[] = []; // chip index per row, -1 before the first chip
  let topEvidence: CalendarDate | null = null;
  for (let position = 0; position < facts.length; position++) {
    const f = facts[position]!;
    if (f.kind === 'chip') chips.push({ value: f.chip, position, evidence: null });
    section.push(chips.length - 1);
    const date = f.kind === 'message' && f.facts.pre ? resolveNumericDate(f.facts.pre.date, order) : null;
    if (!date) continue;
    points.push({ position, date });
    const chip = chips[chips.length - 1];
    if (chip) chip.evidence ??= date;
    else topEvidence ??= date;
  }
  const chipDates = resolveChipDates(chips, points, order);
  const sectionDate: (CalendarDate | null)[] = new Array<CalendarDate | null>(section.length);
  for (let i = 0; i < section.length; i++) {
    const c = section[i]!;
    sectionDate[i] = c < 0 ? topEvidence : (chipDates[c] ?? null);
  }
  return { order, sectionDate };
}

function blankMessage(pageOrder: number): Omit<PageMessage, 'messageId' | 'type' | 'text'> {
  return {
    sender: null, fromSelf: false, sentAt: null, sentAtText: null, links: [], deleted: false,
    edited: false, forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder,
  };
}

/** What every row's record needs from the rest of the page. */
interface PageContext {
  order: DayMonthOrder;
  thread: CapturedThread;
  /** The owner's profile name: the pre-plain-text sender of rows that show they are outgoing. */
  selfName: string | null;
  /** How the page names the owner ("You", "Você"). */
  selfWord: string;
  derivedId: (prefix: string, parts: (string | null)[]) => string;
}

/** Ids for rows without data-id: hash of what they show plus their ordinal among identical rows. */
function idDeriver(): PageContext['derivedId'] {
  const seen = new Map<string, number>();
  return (prefix, parts) => {
    const key = parts.map((p) => p ?? '').join('\u0000');
    const ordinal = seen.get(key) ?? 0;
    seen.set(key, ordinal + 1);
    return `${prefix}-${shortHash(`${key}\u0000${ordinal}`)}`;
  };
}

/**
 * One message row as a record. `previous` is the message row before it in the same run (no
 * chip or event between), or null.
 */
function toMessage(
  m: MessageFacts,
  day: CalendarDate | null,
  previous: PageMessage | null,
  ctx: PageContext,
  pageOrder: number,
): PageMessage {
  const preDate = m.pre ? resolveNumericDate(m.pre.date, ctx.order) : null;
  let sentAt: string | null = null;
  if (m.pre && preDate) sentAt = toSentAt(preDate, m.pre.time);
  else if (!m.pre && m.visibleTime && day) sentAt = toSentAt(day, m.visibleTime.time);

  // Direction: the row's own evidence; else a pre-plain sender equal to the owner's name;
  // else the run it continues; else incoming (outgoing rows nearly always show ticks).
  const fromSelf =
    m.ownDirection !== null ? m.ownDirection === 'out'
      : m.pre && ctx.selfName !== null && m.pre.sender === ctx.selfName ? true
        : (previous?.fromSelf ?? false);
  const continues = previous !== null && !m.tail && m.label === null && previous.fromSelf === fromSelf;
  const sender =
    m.pre?.sender ??
    (m.label !== null && !m.labelIsSelf ? m.label : null) ??
    (continues ? previous?.sender : null) ??
    (fromSelf ? (ctx.selfName ?? m.label ?? ctx.selfWord) : ctx.thread.kind === 'direct' ? ctx.thread.title : null);

  return {
    ...blankMessage(pageOrder),
    messageId: m.id?.messageId ?? ctx.derivedId('msg', [sentAt ?? (day ? isoDay(day) : null), sender, m.text]),
    type: 'message',
    sender,
    fromSelf,
    sentAt,
    sentAtText: m.pre?.bracket ?? m.visibleTime?.text ?? null,
    text: m.text,
    links: m.links,
    deleted: m.deleted,
    edited: m.edited,
    forwarded: m.forwarded,
    ...(m.truncated ? { truncated: true as const } : {}),
    quote: m.quote ? { ...m.quote, messageId: null } : null,
    reactions: m.reactions,
    attachments: m.attachments,
    direction: m.dir,
  };
}

/**
 * A message as the last read built it, and what it was built from besides its row's facts (which
 * are the same object only while the row did not change: RowMemo). A row whose facts and inputs
 * are the same gives the same message, so the read gives the same object again (its pageOrder
 * set, its quote link cleared and matched again), and CaptureSession.push passes over it without
 * comparing it field by field: a read after one new message builds one message, not sixty.
 * Only rows with a data-id: a derived id depends on the identical rows above it.
 */
interface Built {
  message: PageMessage;
  /**
   * The day of its section, the direction and sender of the message before it in the run (what
   * toMessage takes from it; none reads as an incoming message with no sender), and the page context.
   */
  inputs: { day: CalendarDate | null; fromSelf: boolean; sender: string | null; context: string };
}
let lastBuilt = new WeakMap<MessageFacts, Built>();

function contextKey(ctx: PageContext): string {
  return JSON.stringify([ctx.order, ctx.selfName, ctx.selfWord, ctx.thread.kind, ctx.thread.title]);
}

function sameInputs(a: Built['inputs'], b: Built['inputs']): boolean {
  const sameDay = a.day === b.day || (a.day !== null && b.day !== null && a.day.year === b.day.year && a.day.month === b.day.month && a.day.day === b.day.day);
  return sameDay && a.fromSelf === b.fromSelf && a.sender === b.sender && a.context === b.context;
}

/** Each row's facts, read again only when the row changed (auto-capture reads after every burst of changes). */
const rowMemo = new RowMemo<RowFacts>(SEL.rows.join(', '));
/** The header, read again only when the header or the composer (or the pane holding them) changed. */
const headerMemo = rowMemo.region<Header>(`header, footer, ${SEL.main}`);
/**
 * The whole read, served again while nothing in or around the conversation pane changed: the
 * chat list, presence and typing lines beside it change often, and auto-capture reads after
 * every burst of changes anywhere on the page.
 */
const paneMemo = rowMemo.region<PageRead>(SEL.main);

/** The elements readHeader reads from: every header and footer of the open conversation. */
function headerSources(doc: Document): Element[] {
  return queryAll(doc, `${SEL.header}, ${SEL.main} footer`);
}

function read(doc: Document): PageRead {
  if (!conversationOpen(doc)) throw fail(SEL.header, `no open conversation matched ${SEL.header}`);
  rowMemo.sync(doc);
  return paneMemo.get(() => ({ value: readPane(doc), from: queryAll(doc, SEL.main) }));
}

/** Everything `read` gives, read from the page (after the row memo's sync). */
function readPane(doc: Document): PageRead {
  const header = headerMemo.get(() => ({ value: readHeader(doc), from: headerSources(doc) }));
  const rows = findRows(doc);
  const facts: RowFacts[] = new Array<RowFacts>(rows.length);
  for (let i = 0; i < rows.length; i++) facts[i] = rowMemo.get(rows[i]!, readRow);
  const { order, sectionDate } = datesOf(doc, facts);
  // The first chat id, owner's name and owner's word the rows show (one pass, indexed: see datesOf).
  let chatJid: string | null = null;
  let selfName: string | null = null;
  let selfLabel: string | null = null;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    const id = f.kind === 'message' ? f.facts.id : f.kind === 'event' ? f.id : null;
    chatJid ??= id?.chatJid ?? null;
    if (f.kind !== 'message') continue;
    const m = f.facts;
    if (selfName === null && m.ownDirection === 'out' && m.pre) selfName = m.pre.sender;
    if (selfLabel === null && m.labelIsSelf) selfLabel = m.label;
  }
  const ctx: PageContext = {
    order,
    thread: threadOf(header, chatJid),
    selfName,
    selfWord: header.selfWord ?? selfLabel ?? 'You',
    derivedId: idDeriver(),
  };

  const messages: PageMessage[] = [];
  const context = contextKey(ctx);
  const built = new WeakMap<MessageFacts, Built>();
  let previous: PageMessage | null = null; // the run of bubbles the next row may continue
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    const day = sectionDate[i] ?? null;
    if (f.kind === 'message') {
      const inputs: Built['inputs'] = { day, fromSelf: previous?.fromSelf ?? false, sender: previous?.sender ?? null, context };
      const last = lastBuilt.get(f.facts);
      let message: PageMessage;
      if (last && f.facts.id?.messageId && sameInputs(last.inputs, inputs)) {
        message = last.message;
        message.pageOrder = messages.length;
        if (message.quote) message.quote.messageId = null; // linked again below, against this read's messages
      } else {
        message = toMessage(f.facts, day, previous, ctx, messages.length);
      }
      built.set(f.facts, { message, inputs });
      previous = message;
      messages.push(message);
    } else if (f.kind === 'event') {
      previous = null;
      messages.push({
        ...blankMessage(messages.length),
        messageId: f.id?.messageId ?? ctx.derivedId('event', [day ? isoDay(day) : null, f.text]),
        type: 'event',
        text: f.text,
        links: f.links,
        direction: f.dir,
      });
    } else if (f.kind === 'chip') {
      previous = null;
    } // 'skip' (unread divider, empty row) neither records nor breaks a run
  }

  // Rows were there but none was a message or a notice: a layout we do not know.
  if (messages.length === 0) throw fail(SEL.messageAnchors, `no message rows matched ${SEL.messageAnchors}`);
  lastBuilt = built;
  // The DOM carries no id for the quoted message (idx 53351297503): matched by text and author,
  // the owner's quotes saying "You" (or the page's word for it).
  linkPageQuotes(messages, (c, author) => (author === ctx.selfWord || SELF_WORDS.includes(author) ? c.fromSelf : c.sender === author));
  return { thread: ctx.thread, messages };
}

function conversationOpen(doc: Document): boolean {
  return doc.querySelector(SEL.header) !== null;
}

export const whatsappAdapter: Adapter = {
  id: 'whatsapp',
  name: 'WhatsApp Web',
  matches: ['https://web.whatsapp.com/*'],
  matchesUrl: (url) => url.protocol === 'https:' && url.hostname === 'web.whatsapp.com',
  conversationOpen,
  read,
  history: whatsappHistory,
  remembersRows: true,
};
