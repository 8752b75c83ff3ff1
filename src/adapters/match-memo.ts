/**
 * `firstMatching(root, selectors)` (the rows of a pane: the first selector of an adapter's list
 * that matches anything, every element it matches, in document order), kept up to date from the
 * page's mutation records between reads instead of querying the whole pane again on every read.
 * Auto-capture reads after every burst of changes, usually one new row; that query walked every
 * element of the pane (about 900 on the WhatsApp fixture) and was the largest single cost of a
 * read that found one new message (docs/performance.md, "Auto-capture cost").
 *
 * For selectors made of tags, ids, classes, attributes and descendant or child combinators,
 * whether an element matches depends only on it and its ancestors. So between two reads:
 * - an element that matched and is not inside an element removed since (a move is a removal,
 *   then an addition) still matches, in the same order, unless an attribute the selectors name
 *   (or `id`, `class`) changed somewhere: then everything is queried again;
 * - an element that matches now and did not before, or moved, is inside an element added since;
 * - an earlier selector of the list can only start to match the same way, and then the list is
 *   queried again; so is a list left with no match (perhaps another selector matches now).
 * Selectors with pseudo-classes (`:has()`, `:nth-child()`, …) or sibling combinators (`+`, `~`)
 * are always queried whole: their matches depend on elements that are not ancestors.
 * RowMemo's observer gives each record to `consider`; `get` applies them. Checked against a fresh
 * query after thousands of random changes, in happy-dom and in Chromium (test/unit and
 * test/e2e match-memo.test.ts).
 */
import { firstMatching } from './dom';

/**
 * A mutation record's fields, read once per record (RowMemo.apply): every read of a record's
 * property is a call into the page's bindings, which in a content script's world costs more than
 * the work done with it. `added` and `removed` are null for records other than child-list ones.
 */
export interface Change {
  type: MutationRecordType;
  /** The record's target element (a text node's parent); null when detached. */
  target: Element | null;
  /** The changed attribute's name (attributes records only). */
  attributeName: string | null;
  added: NodeList | null;
  removed: NodeList | null;
}

interface Found {
  root: Node & ParentNode;
  selectors: readonly string[];
  /** Which selector of the list matched. */
  index: number;
  elements: Element[];
  /** Attribute names whose change anywhere may change what the selectors match. */
  watched: ReadonlySet<string>;
}

const dependencies = new Map<string, ReadonlySet<string> | null>();

/**
 * The attributes `selectors` depend on, or null when their matches may depend on more than an
 * element and its ancestors (then nothing is remembered).
 */
export function attributesOf(selectors: readonly string[]): ReadonlySet<string> | null {
  const key = selectors.join('\u0000');
  if (dependencies.has(key)) return dependencies.get(key)!;
  const names = new Set<string>(['id', 'class']);
  let simple = true;
  for (const selector of selectors) {
    const unquoted = selector.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
    const bare = unquoted.replace(/\[\s*([-\w]+)[^\]]*\]/g, (_, name: string) => {
      names.add(name.toLowerCase());
      return '';
    });
    if (/[:+~[\]\\]/.test(bare)) simple = false;
  }
  const result = simple ? names : null;
  dependencies.set(key, result);
  return result;
}

export class MatchMemo {
  private found: Found | null = null;
  /** Elements added since `found` (each may hold matches). */
  private added: Element[] = [];
  /** Elements removed since `found` (each may hold elements that matched). */
  private removed: Element[] = [];
  /** Whether `found` must be queried again (a watched attribute changed, or too much changed). */
  private stale = false;

  /** Elements added and removed kept between reads, at most: past this the next read queries again. */
  static readonly MAX_CHANGED = 1000;

  /** One mutation record of the document `found` is in, in the order they came. */
  consider(r: Change): void {
    const found = this.found;
    if (!found || this.stale) return;
    if (r.added && r.removed) {
      collectElements(r.added, this.added);
      collectElements(r.removed, this.removed);
      if (this.added.length + this.removed.length > MatchMemo.MAX_CHANGED) this.stale = true;
    } else if (r.type === 'attributes' && r.attributeName !== null && found.watched.has(r.attributeName.toLowerCase())) {
      this.stale = true;
    }
  }

  forget(): void {
    this.found = null;
    this.reset();
  }

  /**
   * `firstMatching(root, selectors)`. `watched`: whether every record of root's document since
   * the last call has been given to `consider` (false: a plain query, nothing remembered).
   */
  get(root: Node & ParentNode, selectors: readonly string[], watched: boolean): { selector: string; elements: Element[] } | null {
    const found = this.found;
    const kept = watched && found && found.root === root && sameList(found.selectors, selectors) && !this.stale ? this.update(found) : null;
    if (kept) {
      found!.elements = kept;
      this.reset();
      return { selector: selectors[found!.index]!, elements: kept.slice() };
    }
    this.forget();
    const result = firstMatching(root, selectors);
    const attributes = attributesOf(selectors);
    if (watched && result && attributes) {
      this.found = { root, selectors: [...selectors], index: selectors.indexOf(result.selector), elements: result.elements.slice(), watched: attributes };
    }
    return result;
  }

  private reset(): void {
    this.added = [];
    this.removed = [];
    this.stale = false;
  }

  /**
   * The matches now, from `found` and what was added and removed since; null: query again.
   *
   * Inserting an element that had a parent first removes it there, and the record says so. So an
   * element of `found` that is not inside an element removed since was never moved (a removal
   * lists it or an ancestor, and it stays inside that one unless a later removal lists it
   * again): it is still in root, in the same order, and still matches (its ancestors are the
   * same, and no watched attribute changed). Those inside a removed element are dropped; the
   * ones that are back in root and still match are among the added elements' matches ("fresh"),
   * put in order.
   */
  private update(found: Found): Element[] | null {
    const { root, selectors, index } = found;
    const selector = selectors[index]!;
    const fresh = new Set<Element>();
    for (const el of this.added) {
      if (!root.contains(el)) continue; // gone again, or outside root
      for (let j = 0; j < index; j++) if (el.matches(selectors[j]!) || el.querySelector(selectors[j]!)) return null;
      if (el.matches(selector)) fresh.add(el);
      const inner = el.querySelectorAll(selector);
      for (let i = 0; i < inner.length; i++) fresh.add(inner[i]!);
    }
    let elements = found.elements;
    if (this.removed.length > 0) {
      const gone = inside(elements, this.removed);
      if (gone.size > 0) elements = elements.filter((el) => !gone.has(el));
    }
    if (fresh.size > 0) {
      elements = elements.filter((el) => !fresh.has(el)); // none, by the above; but never twice
      elements = mergeInOrder(elements, [...fresh].sort(inDocumentOrder));
    }
    return elements.length > 0 ? elements : null; // none left: perhaps another selector of the list matches now
  }
}

function collectElements(nodes: NodeList, into: Element[]): void {
  for (let i = 0, n = nodes.length; i < n; i++) {
    const node = nodes[i]!;
    if (node.nodeType === 1) into.push(node as Element);
  }
}

/**
 * Those of `elements` that are, or are inside, one of `holders`: found by walking the holders'
 * subtrees (usually one new row and one removed), not every element's ancestors.
 */
function inside(elements: readonly Element[], holders: readonly Element[]): Set<Element> {
  const known = new Set(elements);
  const found = new Set<Element>();
  for (const h of holders) {
    if (known.has(h)) found.add(h);
    const all = h.querySelectorAll('*');
    for (let i = 0, n = all.length; i < n; i++) if (known.has(all[i]!)) found.add(all[i]!);
  }
  return found;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function inDocumentOrder(a: Element, b: Element): number {
  if (a === b) return 0;
  return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
}

/** Both lists in document order, each already in it and with no element in common. */
function mergeInOrder(kept: readonly Element[], fresh: readonly Element[]): Element[] {
  const out: Element[] = [];
  let from = 0;
  for (const el of fresh) {
    // The first kept element that follows `el` (binary search from where the last one went).
    let lo = from;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) lo = mid + 1;
      else hi = mid;
    }
    for (let i = from; i < lo; i++) out.push(kept[i]!);
    out.push(el);
    from = lo;
  }
  for (let i = from; i < kept.length; i++) out.push(kept[i]!);
  return out;
}
