/**
 * Element adapter. Reads the open room of https://app.element.io/#/room/…: rows → facts
 * (element-tiles.ts), then the page-wide passes: the date each separator stands for, senders
 * of continuation tiles and of the account owner, and the room's identity. Selectors live in
 * element-selectors.ts, time rules in element-time.ts; docs/adapters/element.md explains them.
 */
import type { CapturedParticipant, CapturedThread } from '../shared/model';
import { AdapterReadError } from './types';
import type { Adapter, HistoryNavigation, PageMessage, PageRead } from './types';
import { flatText, outermost } from './dom';
import { SEL } from './element-selectors';
import { readSummary, readTile } from './element-tiles';
import { RowMemo } from './row-memo';
import type { TileFacts } from './element-tiles';
import { localDate, parseClock, parseFullDate, parseSeparator, resolveSeparator, toSentAt } from './element-time';
import type { CalendarDate, SeparatorDate } from './element-time';

const fail = (selector: string, what: string): AdapterReadError =>
  new AdapterReadError('element', selector, `could not read the messages on this page: ${what}`);

/** `#/room/!id:server[/$event]` names the room by id; `#/room/#alias:server` by alias. */
export function parseRoomRoute(url: string): { roomId: string | null; alias: string | null } | null {
  let hash: string;
  try {
    hash = new URL(url).hash;
  } catch {
    return null;
  }
  const m = /^#\/room\/([^/?]+)/.exec(hash);
  if (!m?.[1]) return null;
  let target = m[1];
  try {
    target = decodeURIComponent(target);
  } catch {
    // keep it as written
  }
  if (target.startsWith('!')) return { roomId: target, alias: null };
  if (target.startsWith('#')) return { roomId: null, alias: target };
  return null;
}

function readTitle(doc: Document): string {
  for (const selector of SEL.titles) {
    const el = doc.querySelector(selector);
    const text = el ? flatText(el) : '';
    if (text) return text;
  }
  throw fail(SEL.titles.join(', '), `the room header has no name (${SEL.titles.join(', ')})`);
}

const outsideOtherTimelines = (el: Element): boolean => el.closest(SEL.otherTimelines) === null;

type Row = { kind: 'separator'; value: SeparatorDate | null } | { kind: 'tile'; tile: TileFacts } | { kind: 'summary'; eventId: string; text: string };

/** The room timeline's rows and date separators, in page order. */
function readRows(doc: Document): Row[] {
  let rowSelector: string | null = null;
  for (const selector of SEL.rows) {
    if (Array.from(doc.querySelectorAll(selector)).some(outsideOtherTimelines)) {
      rowSelector = selector;
      break;
    }
  }
  if (!rowSelector) throw fail(SEL.rows.join(', '), `no timeline rows matched ${SEL.rows.join(', ')}`);
  const separators = SEL.separator.split(',').map((s) => `.mx_RoomView_MessageList ${s.trim()}`).join(', ');
  const found = Array.from(doc.querySelectorAll(`${rowSelector}, ${separators}`)).filter(outsideOtherTimelines);
  // An expanded membership summary shows its events as tiles: read those, not the summary.
  const expanded = found.filter((el) => el.matches(SEL.summary) && el.querySelector(SEL.tile) !== null);
  return outermost(found.filter((el) => !expanded.includes(el))).flatMap((el) => rowMemo.get(el, readEntry));
}

/** What one timeline element shows by itself (a separator, a collapsed summary or a tile): none, or one row. */
function readEntry(el: Element): Row[] {
  if (el.matches(SEL.separator)) {
    const label = el.getAttribute('aria-label') ?? flatText(el.querySelector(SEL.separatorHeading) ?? el);
    return [{ kind: 'separator', value: parseSeparator(label) }];
  }
  if (el.matches(SEL.summary)) {
    const summary = readSummary(el);
    return summary ? [{ kind: 'summary', ...summary }] : [];
  }
  const tile = readTile(el);
  return tile ? [{ kind: 'tile', tile }] : [];
}

/**
 * Each timeline element's rows (readEntry: only what is inside it), read again only when the
 * element changed (src/adapters/row-memo.ts). The selector covers every kind readEntry reads.
 */
const rowMemo = new RowMemo<Row[]>(`${SEL.rows.join(', ')}, ${SEL.separator}`);

/**
 * The date of each row's section (rows up to the next separator): an absolute separator says
 * it; a relative one ("Today", "Monday") takes the date of a full-date timestamp in its
 * section when one exists, else it is counted from the reader's clock; rows above the first
 * separator have only what their own section's timestamps say.
 */
function sectionDates(rows: readonly Row[], today: CalendarDate): (CalendarDate | null)[] {
  const evidence: (CalendarDate | null)[] = [];
  let section = 0;
  for (const row of rows) {
    if (row.kind === 'separator') section++;
    if (row.kind !== 'tile' || evidence[section]) continue;
    const full = row.tile.timeTitle ? parseFullDate(row.tile.timeTitle) : null;
    evidence[section] = full?.date ?? null;
  }
  section = 0;
  let current: CalendarDate | null = evidence[0] ?? null;
  return rows.map((row) => {
    if (row.kind === 'separator') {
      section++;
      const sep = row.value;
      current = sep === null ? (evidence[section] ?? null) : sep.kind === 'date' ? sep.date : (evidence[section] ?? resolveSeparator(sep, today));
    }
    return current;
  });
}

function sentAtOf(tile: TileFacts, day: CalendarDate | null): string | null {
  const full = tile.timeTitle ? parseFullDate(tile.timeTitle) : null;
  if (full) return toSentAt(full.date, full.time);
  const clock = tile.timeText ? parseClock(tile.timeText) : null;
  return clock && day ? toSentAt(day, clock) : null;
}

function blank(pageOrder: number): Omit<PageMessage, 'messageId' | 'type' | 'text'> {
  return {
    sender: null, fromSelf: false, sentAt: null, sentAtText: null, links: [], deleted: false, edited: false,
    forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder,
  };
}

function read(doc: Document): PageRead {
  rowMemo.sync(doc);
  const route = parseRoomRoute(doc.URL);
  if (!route || !conversationOpen(doc)) throw fail(SEL.roomView, `no open room matched ${SEL.roomView}`);
  const title = readTitle(doc);
  const rows = readRows(doc);
  const days = sectionDates(rows, localDate(new Date()));
  const tiles = rows.flatMap((r) => (r.kind === 'tile' ? [r.tile] : []));

  // The owner's name, from an own tile that shows one (group and IRC layouts do; bubble does
  // not), else from a quote of one of the owner's messages (a reply shows its author's name).
  const ownIds = new Set(tiles.filter((t) => t.self).map((t) => t.eventId));
  const selfName =
    tiles.find((t) => t.self && t.name)?.name ??
    tiles.find((t) => t.quote?.messageId && ownIds.has(t.quote.messageId) && t.quote.author)?.quote?.author ??
    null;
  // Bubble layout shows no names at all in a one-to-one room: the other person is the room.
  const bubbleDm = tiles.some((t) => t.layout === 'bubble') && !tiles.some((t) => !t.self && t.name);

  const messages: PageMessage[] = [];
  let previous: PageMessage | null = null;
  for (const [i, row] of rows.entries()) {
    if (row.kind === 'separator') continue;
    if (row.kind === 'summary') {
      previous = null;
      messages.push({ ...blank(messages.length), messageId: row.eventId, type: 'event', text: row.text });
      continue;
    }
    const t = row.tile;
    const common = {
      ...blank(messages.length),
      messageId: t.eventId,
      sentAt: sentAtOf(t, days[i] ?? null),
      sentAtText: t.timeText || null,
      text: t.text,
      links: t.links,
      reactions: t.reactions,
    };
    if (t.kind === 'event') {
      previous = null;
      messages.push({ ...common, type: 'event' });
      continue;
    }
    const carried = t.continuation && previous?.fromSelf === t.self ? previous.sender : null;
    const sender = t.name ?? carried ?? (t.self ? selfName : bubbleDm ? title : null);
    const message: PageMessage = {
      ...common, type: 'message', sender, fromSelf: t.self, deleted: t.deleted, edited: t.edited, quote: t.quote,
      attachments: t.attachments, direction: t.direction,
    };
    messages.push(message);
    previous = message;
  }
  if (messages.length === 0) throw fail(SEL.rows.join(', '), `no timeline rows matched ${SEL.rows.join(', ')}`);
  return { thread: threadOf(doc, route, title, tiles, selfName, bubbleDm), messages };
}

function threadOf(
  doc: Document,
  route: { roomId: string | null; alias: string | null },
  title: string,
  tiles: readonly TileFacts[],
  selfName: string | null,
  bubbleDm: boolean,
): CapturedThread {
  // The URL names the room by id, or by alias: then a permalink on the page names its id.
  const roomId = route.roomId ?? tiles.flatMap((t) => t.roomIds)[0] ?? null;
  const names: string[] = [];
  for (const el of Array.from(doc.querySelectorAll(SEL.memberNames))) {
    const name = flatText(el);
    if (name && !names.includes(name)) names.push(name);
  }
  const participants: CapturedParticipant[] = names.map((name) => ({ name, self: name === selfName }));
  let kind: CapturedThread['kind'] = 'unknown';
  if (doc.querySelector(SEL.selectedInPeople) || bubbleDm) kind = 'direct';
  else if (doc.querySelector(SEL.selectedInRooms)) kind = 'group';
  return { threadKey: roomId ?? route.alias ?? `title:${title}`, title, kind, participants };
}

function conversationOpen(doc: Document): boolean {
  return parseRoomRoute(doc.URL) !== null && doc.querySelector(SEL.roomView) !== null;
}

function mainList(doc: Document): Element | null {
  return Array.from(doc.querySelectorAll(SEL.list)).find(outsideOtherTimelines) ?? null;
}

const history: HistoryNavigation = {
  scroller(doc) {
    const pane = mainList(doc)?.closest(SEL.scroller) ?? null;
    const view = doc.defaultView;
    return view && pane instanceof view.HTMLElement ? pane : null;
  },
  // Element loads older events as the timeline scrolls up; there is nothing to click.
  olderHistoryControl: () => null,
  atBeginning(doc) {
    // The room's start is rendered above its first event, inside the timeline's pane.
    const list = mainList(doc);
    const pane = list?.closest(SEL.scroller) ?? list;
    return pane ? Array.from(pane.querySelectorAll(SEL.beginning)).some(outsideOtherTimelines) : false;
  },
};

export const elementAdapter: Adapter = {
  id: 'element',
  name: 'Element',
  matches: ['https://app.element.io/*'],
  matchesUrl: (url) => url.protocol === 'https:' && url.hostname === 'app.element.io',
  conversationOpen,
  read,
  history,
  remembersRows: true,
  // A local echo ("~…") gets its event id when the server has it.
  watchedAttributes: ['data-event-id', 'data-scroll-tokens'],
};
