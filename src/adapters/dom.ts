/**
 * DOM helpers shared by every adapter. They only read: no layout (happy-dom has none, and
 * a hidden tab lays out nothing), so text comes from walking nodes, never from innerText;
 * and nothing here touches innerHTML (Teams enforces Trusted Types, and scraped markup must
 * never be parsed again).
 */

/** Elements that start a new line of text when rendered (no layout to ask, so by tag). */
const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'blockquote', 'dd', 'div', 'dl', 'dt', 'figcaption', 'figure',
  'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p',
  'pre', 'section', 'table', 'tr', 'ul',
]);

/** Elements whose content is never shown as text. */
const SILENT_TAGS = new Set(['script', 'style', 'template', 'noscript', 'svg', 'audio', 'video']);

export interface TextOptions {
  /** Subtrees to leave out entirely, e.g. a quote box or the inline time inside a bubble. */
  skip?: (el: Element) => boolean;
}

export interface ExtractedText {
  /** Visible text: emoji images as their alt text, `<br>` and block boundaries as `\n`, trimmed. */
  text: string;
  /** `href` of every link inside, as written in the page, first occurrence order, no repeats. */
  links: string[];
}

/**
 * The text a reader sees in `root`.
 * - `[data-plain-text]` wrappers and `img[alt]` (emoji) stand for their plain text;
 * - `<br>` is a line break, and block elements start and end lines;
 * - whitespace-only text nodes that contain a newline are source formatting, not content
 *   (message text itself keeps its literal `\n`, which messengers render with pre-wrap).
 */
export function extractText(root: Element, options: TextOptions = {}): ExtractedText {
  const parts: string[] = [];
  const links: string[] = [];
  let pendingBreak = false;

  const endsWithBreak = (): boolean => {
    const last = parts[parts.length - 1];
    return last === undefined || last.endsWith('\n');
  };
  const emit = (s: string): void => {
    if (s === '') return;
    if (pendingBreak && !endsWithBreak()) parts.push('\n');
    pendingBreak = false;
    parts.push(s);
  };

  const walk = (node: Node): void => {
    if (node.nodeType === 3 /* TEXT_NODE */) {
      const value = node.nodeValue ?? '';
      if (/^\s*$/.test(value) && value.includes('\n')) return;
      emit(value);
      return;
    }
    if (node.nodeType !== 1 /* ELEMENT_NODE */) return;
    const el = node as Element;
    const tag = el.localName;
    if (SILENT_TAGS.has(tag) || (el !== root && options.skip?.(el))) return;
    const plain = el.getAttribute('data-plain-text');
    if (plain !== null) return emit(plain);
    if (tag === 'img') return emit(el.getAttribute('alt') ?? '');
    if (tag === 'br') {
      parts.push('\n');
      pendingBreak = false;
      return;
    }
    const block = BLOCK_TAGS.has(tag);
    if (block) pendingBreak = true;
    if (tag === 'a') {
      const href = el.getAttribute('href');
      if (href && !links.includes(href)) links.push(href);
    }
    // Sibling links rather than a copy of childNodes: nothing changes the page during a read.
    for (let child = el.firstChild; child; child = child.nextSibling) walk(child);
    if (block) pendingBreak = true;
  };

  walk(root);
  return { text: parts.join('').trim(), links };
}

/** The text of `el` alone (emoji as alt text), whitespace collapsed: for labels and chips. */
export function flatText(el: Element, options: TextOptions = {}): string {
  return extractText(el, options).text.replace(/\s+/g, ' ').trim();
}

/** Is `el` inside (or equal to) any of `roots`? */
export function isWithin(el: Element, roots: readonly Element[]): boolean {
  return roots.some((root) => root === el || root.contains(el));
}

/** Drops every element that sits inside another element of the list; keeps document order. */
export function outermost<T extends Element>(elements: readonly T[]): T[] {
  // Walk each element's ancestors against a set: linear in rows × depth, not rows².
  const members = new Set<Element>(elements);
  return elements.filter((el) => {
    for (let up = el.parentElement; up; up = up.parentElement) if (members.has(up)) return false;
    return true;
  });
}

/**
 * `outermost` for a list in document order (as querySelectorAll gives it), with one `contains`
 * per element instead of a walk to the root: an element inside members of the list follows the
 * outermost of them with only that one's descendants in between, so it is inside the last
 * element kept. For the rows of a whole pane, read after every burst of changes.
 */
export function outermostInOrder<T extends Element>(elements: readonly T[]): T[] {
  const kept: T[] = [];
  let last: T | undefined;
  for (const el of elements) {
    if (last?.contains(el)) continue;
    kept.push(el);
    last = el;
  }
  return kept;
}

/**
 * `root.querySelectorAll(selector)` as an array, copied by index: Array.from goes through the
 * NodeList's iterator, which in a content script's isolated world cost about as much again as the
 * query itself (60 rows: 36 µs against 19 µs). Every read of a pane runs dozens of queries.
 */
export function queryAll(root: ParentNode, selector: string): Element[] {
  const list = root.querySelectorAll(selector);
  const found: Element[] = [];
  for (let i = 0; i < list.length; i++) found.push(list[i]!);
  return found;
}

/** Elements under `root` (and `root` itself) matching `selector`, in document order. */
export function selfAndDescendants(root: Element, selector: string): Element[] {
  const found = queryAll(root, selector);
  if (root.matches(selector)) found.unshift(root);
  return found;
}

/** First selector of an ordered fallback list that matches anything under `root`, with its matches. */
export function firstMatching(
  root: ParentNode,
  selectors: readonly string[],
): { selector: string; elements: Element[] } | null {
  for (const selector of selectors) {
    const elements = queryAll(root, selector);
    if (elements.length > 0) return { selector, elements };
  }
  return null;
}

/** `el.closest(selector)`, but never looking past `boundary` (which may itself match). */
export function closestWithin(el: Element, selector: string, boundary: Element): Element | null {
  const found = el.closest(selector);
  return found && (found === boundary || boundary.contains(found)) ? found : null;
}

/**
 * The nearest element matching `selector` that comes before `el` in document order and does
 * not contain it: e.g. the date chip row above a message row.
 */
export function closestAbove(el: Element, selector: string): Element | null {
  const doc = el.ownerDocument;
  let best: Element | null = null;
  for (const candidate of Array.from(doc.querySelectorAll(selector))) {
    if (candidate === el || candidate.contains(el)) continue;
    // DOCUMENT_POSITION_FOLLOWING (4): `el` follows the candidate.
    if (candidate.compareDocumentPosition(el) & 4) best = candidate;
    else break;
  }
  return best;
}

/** Index of the last item before `from` that satisfies `test`, or -1. */
export function findPreviousIndex<T>(items: readonly T[], from: number, test: (item: T) => boolean): number {
  for (let i = from - 1; i >= 0; i--) {
    const item = items[i];
    if (item !== undefined && test(item)) return i;
  }
  return -1;
}

/** The attribute, trimmed, or null when absent or blank. */
export function attr(el: Element, name: string): string | null {
  const value = el.getAttribute(name)?.trim();
  return value ? value : null;
}

/**
 * 64-bit FNV-1a over UTF-8, as 16 hex digits: a stable, non-cryptographic id for rows the page
 * gives none (not a security measure; the bundle's integrity comes from its signed manifest).
 */
export function shortHash(input: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(input)) {
    h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  }
  return h.toString(16).padStart(16, '0');
}
