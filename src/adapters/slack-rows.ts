/**
 * One Slack message container → the facts it shows by itself: its ts, sender (when shown),
 * time, text, edited mark, reactions and files. Anything that needs other rows (senders of
 * adjacent messages, the owner, thread links) is settled in slack.ts.
 */
import type { CapturedReaction } from '../shared/model';
import type { PageAttachment } from './types';
import { attr, closestWithin, extractText, flatText, isWithin, outermost, selfAndDescendants } from './dom';
import { toLocalIso } from '../shared/time';
import { DELETED_TEXT, NOT_DOWNLOADED, REACTION_LABEL, SEL, TS, TS_IN } from './slack-selectors';

export interface SlackRow {
  /** The message's ts ("1758633245.118409"), or null when the row shows none. */
  ts: string | null;
  /** Sender as shown; null on adjacent messages and tombstones. */
  sender: string | null;
  /** A join/leave notice (`type: 'event'`). */
  automated: boolean;
  sentAt: string | null;
  sentAtText: string | null;
  text: string;
  links: string[];
  dir: 'ltr' | 'rtl' | 'auto' | null;
  deleted: boolean;
  edited: boolean;
  reactions: CapturedReaction[];
  attachments: PageAttachment[];
}

/** ts → the instant it names, as ISO 8601 in the browser's offset; null when it is not a ts. */
export function tsToSentAt(ts: string): string | null {
  const m = TS.exec(ts);
  if (!m) return null;
  // Integer arithmetic: seconds × 1000 + whole milliseconds of the micro part (no float error).
  return toLocalIso(new Date(Number(m[1]) * 1000 + Math.floor(Number(m[2]) / 1000)));
}

/** Elements in `row` matching `selector`, outside link previews and app attachments (their own sender, text). */
function inRow(row: Element, selector: string): Element[] {
  return selfAndDescendants(row, selector).filter((el) => {
    const preview = el.closest('.c-message_attachment');
    return !(preview && row.contains(preview));
  });
}

/** The row's ts, most specific source first: the container, its list item, the timestamp link. */
function findTs(row: Element): string | null {
  const candidates = [
    attr(row, 'data-msg-ts'),
    ...['data-item-key', 'id'].map((name) => {
      const item = row.closest(SEL.listItem);
      const value = item ? attr(item, name) : null;
      return value ? (TS_IN.exec(value)?.[1] ?? null) : null;
    }),
    inRow(row, SEL.timestamp)[0]?.getAttribute('data-ts') ?? null,
  ];
  return candidates.find((v): v is string => v !== null && TS.test(v)) ?? null;
}

const notText = (el: Element): boolean => el.matches(SEL.notText);

function declaredDir(el: Element | null): SlackRow['dir'] {
  const dir = el?.closest('[dir]')?.getAttribute('dir')?.toLowerCase();
  return dir === 'ltr' || dir === 'rtl' || dir === 'auto' ? dir : null;
}

/** "2 reactions, react with …" or the count beside the emoji; the emoji as its `:name:` alt. */
function readReactions(row: Element): CapturedReaction[] {
  const out: CapturedReaction[] = [];
  for (const pill of outermost(inRow(row, SEL.reaction))) {
    const img = pill.querySelector('img[alt]');
    const emoji =
      attr(pill, 'data-stringify-emoji') ?? (img ? attr(img, 'data-stringify-emoji') ?? attr(img, 'alt') : null) ??
      flatText(pill, { skip: (el) => el.matches(SEL.reactionCount) });
    const fromLabel = REACTION_LABEL.exec(pill.getAttribute('aria-label') ?? '')?.[1];
    const countEl = pill.querySelector(SEL.reactionCount);
    const count = Number(fromLabel ?? (countEl ? flatText(countEl) : '1')) || 1;
    if (emoji) out.push({ emoji, count });
  }
  return out;
}

const IMAGE_NAME = /\.(png|jpe?g|gif|webp|heic|bmp|svg)$/i;
const VIDEO_NAME = /\.(mp4|mov|webm|m4v)$/i;
const AUDIO_NAME = /\.(mp3|m4a|wav|ogg|aac)$/i;

/** The file's name: the link's aria-label, else the last path segment of its files-pri URL. */
function fileName(link: Element): string | null {
  const label = attr(link, 'aria-label');
  if (label) return label;
  const href = link.getAttribute('href') ?? '';
  const last = href.split(/[?#]/)[0]?.split('/').filter(Boolean).pop();
  if (!last) return null;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/** A `blob:`/`data:` picture the page holds; Slack's own files.slack.com URLs need the session. */
function pageHeldSource(el: Element): string | null {
  const img = selfAndDescendants(el, 'img[src^="blob:"], img[src^="data:image/"], video[src^="blob:"]')[0];
  return img?.getAttribute('src') ?? null;
}

/**
 * Files under `.c-files_container`: one per distinct files-pri link (a picture's thumbnail link
 * and its name link are one file), then any page-held picture outside those links.
 */
function readFiles(row: Element): PageAttachment[] {
  const out: PageAttachment[] = [];
  for (const container of outermost(inRow(row, SEL.files))) {
    const byHref = new Map<string, Element[]>();
    for (const link of Array.from(container.querySelectorAll(SEL.fileLink))) {
      const href = link.getAttribute('href') ?? '';
      byHref.set(href, [...(byHref.get(href) ?? []), link]);
    }
    const claimed: Element[] = [];
    for (const links of byHref.values()) {
      claimed.push(...links);
      const name = links.map(fileName).find((n) => n) ?? null;
      const hasPicture = links.some((l) => l.querySelector('img:not(.c-emoji)') !== null);
      const source = links.map(pageHeldSource).find((s) => s) ?? null;
      const kind: PageAttachment['kind'] =
        hasPicture || (name && IMAGE_NAME.test(name)) ? 'image'
          : name && VIDEO_NAME.test(name) ? 'video'
            : name && AUDIO_NAME.test(name) ? 'audio' : 'document';
      out.push({ kind, originalName: name, mediaType: null, sourceUrl: source, thumbnail: false, missingReason: source ? null : NOT_DOWNLOADED });
    }
    for (const img of Array.from(container.querySelectorAll('img[src^="blob:"], img[src^="data:image/"]'))) {
      if (isWithin(img, claimed)) continue;
      const src = img.getAttribute('src');
      out.push({ kind: 'image', originalName: attr(img, 'alt'), mediaType: null, sourceUrl: src, thumbnail: false, missingReason: null });
    }
  }
  return out;
}

export function readSlackRow(row: Element): SlackRow {
  const ts = findTs(row);
  const senderEl = inRow(row, SEL.sender)[0];
  const stamp = inRow(row, SEL.timestamp)[0];
  const label = stamp ? selfAndDescendants(stamp, SEL.timestampLabel)[0] : undefined;

  // Text roots: outermost text containers that are not themselves inside furniture.
  const roots = outermost(inRow(row, SEL.text)).filter((el) => {
    for (let up: Element | null = el; up && up !== row; up = up.parentElement) if (notText(up)) return false;
    return true;
  });
  const parts = roots.map((el) => extractText(el, { skip: notText }));
  const text = parts.map((p) => p.text).filter(Boolean).join('\n');
  // The text's own declared direction (Slack: dir="auto" on the rich-text block), not the layout's.
  const first = roots[0];
  const firstDir = first ? (first.matches('[dir]') ? first : (first.querySelector('[dir]') ?? closestWithin(first, '[dir]', row))) : null;

  return {
    ts,
    sender: senderEl ? flatText(senderEl) || null : null,
    automated: inRow(row, SEL.automated).length > 0,
    sentAt: ts ? tsToSentAt(ts) : null,
    sentAtText: label ? flatText(label) || null : stamp ? flatText(stamp) || null : null,
    text,
    links: [...new Set(parts.flatMap((p) => p.links))],
    dir: text ? declaredDir(firstDir) : null,
    deleted: DELETED_TEXT.test(text),
    edited: inRow(row, SEL.edited).length > 0,
    reactions: readReactions(row),
    attachments: readFiles(row),
  };
}
