import { MatchMemo } from './match-memo';
import type { Change } from './match-memo';

/**
 * What each message row shows, remembered between reads of the same page until the row changes.
 * Auto-capture reads the open conversation after every burst of page changes; re-reading every
 * mounted row each time (about 60, when a handful are new) was most of its cost on the page's
 * main thread (docs/performance.md, "Auto-capture cost"). Page-wide passes (dates, senders
 * carried over, quote links) still run over every row on every read that follows a change in the
 * pane; values read from elements outside the rows (a header, or a whole read of a pane that did
 * not change) can be kept the same way with `region` (RegionMemo, below), and the list of the
 * pane's rows itself with `matching` (MatchMemo, src/adapters/match-memo.ts).
 *
 * A row's facts may depend on anything inside the row and on attributes of its ancestors (an
 * `aria-hidden` wrapper, say). So a mutation record forgets:
 * - every remembered row that contains its target (text, attribute or child changed inside it);
 * - for added nodes, the node and every row inside it (a row moved under another parent);
 * - everything, when an attribute changes on an element that holds rows.
 * Records are applied at the start of every read (`sync`): those the observer delivered since
 * the last read, then the pending ones taken synchronously, so a change made in the same task as
 * the read is never missed. The observer's callback only keeps the records: it runs inside the
 * page's own task after every change, while a read applies a whole burst at once and walks each
 * changed node's ancestors once.
 *
 * Applying a record late is as safe as applying it at once: a node that leaves a row after it
 * changed leaves through a child-list change whose target is still inside that row (or is the
 * row), and a row that moves is an added node.
 */
export class RowMemo<T> {
  private cache = new WeakMap<Element, T>();
  private readonly matches = new MatchMemo();
  private readonly regions: RegionMemo<unknown>[] = [];
  private observer: MutationObserver | null = null;
  private root: Node | null = null;
  /** Record lists delivered since the last read, not applied yet. */
  private kept: MutationRecord[][] = [];
  private keptCount = 0;

  /**
   * Records kept between reads, at most: past this (a page that changes for a long time with no
   * read) everything is forgotten instead, which costs the next read a full re-read but no memory.
   */
  static readonly MAX_KEPT = 5000;

  constructor(private readonly rowSelector: string) {}

  /** Call first in every read of `root`'s document: applies pending changes, or starts watching a new document. */
  sync(root: Document): void {
    if (this.root === root && this.observer) {
      this.flush();
      return;
    }
    this.observer?.disconnect();
    this.forget();
    this.root = root;
    const View = root.defaultView?.MutationObserver;
    if (!View) {
      this.observer = null; // no window (a parsed document): nothing is remembered
      return;
    }
    this.observer = new View((records) => this.keep(records));
    this.observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  }

  /** Applies every record not applied yet. */
  private flush(): void {
    const walked = new Map<Element, boolean>();
    for (const records of this.kept) this.apply(records, walked);
    this.kept = [];
    this.keptCount = 0;
    if (this.observer) this.apply(this.observer.takeRecords(), walked);
  }

  /**
   * `firstMatching(root, selectors)` (the rows of the pane), updated from the changes since the
   * last call rather than queried again (MatchMemo); a plain query when `root` is not in the
   * document of this memo's last `sync`.
   */
  matching(root: Node & ParentNode, selectors: readonly string[]): { selector: string; elements: Element[] } | null {
    const watched = this.observer !== null && this.root !== null && (root === this.root || root.ownerDocument === this.root);
    if (watched) this.flush();
    return this.matches.get(root, selectors, watched);
  }

  /**
   * A page-wide value read from a few elements outside the rows (a conversation header), kept
   * by this memo's observer: see RegionMemo. `shapes` selects any element whose arrival anywhere
   * could change the value (e.g. `header, footer, #main`).
   */
  region<V>(shapes: string): RegionMemo<V> {
    const region = new RegionMemo<V>(shapes);
    this.regions.push(region as RegionMemo<unknown>);
    return region;
  }

  /** `row`'s facts: remembered when nothing in or around it changed since they were read. */
  get(row: Element, read: (row: Element) => T): T {
    if (!this.observer) return read(row);
    const known = this.cache.get(row);
    if (known !== undefined) return known;
    const facts = read(row);
    this.cache.set(row, facts);
    return facts;
  }

  private forget(): void {
    for (const region of this.regions) region.forget();
    this.matches.forget();
    this.cache = new WeakMap();
    this.kept = [];
    this.keptCount = 0;
  }

  private keep(records: MutationRecord[]): void {
    this.keptCount += records.length;
    if (this.keptCount > RowMemo.MAX_KEPT) this.forget();
    else this.kept.push(records);
  }

  /**
   * `walked`: elements whose ancestors were already walked in this sync, and whether one of them
   * was a remembered row (the walk forgets them, so a second walk would not find them).
   */
  private apply(records: MutationRecord[], walked: Map<Element, boolean>): void {
    for (let k = 0; k < records.length; k++) {
      const record = records[k]!;
      const type = record.type;
      const source = record.target;
      const target = source.nodeType === 1 ? (source as Element) : source.parentElement;
      const list = type === 'childList';
      const r: Change = {
        type,
        target,
        attributeName: type === 'attributes' ? record.attributeName : null,
        added: list ? record.addedNodes : null,
        removed: list ? record.removedNodes : null,
      };
      for (const region of this.regions) region.consider(r);
      this.matches.consider(r);
      if (!target) continue;
      let inRow = walked.get(target);
      if (inRow === undefined) {
        inRow = false;
        for (let el: Element | null = target; el; el = el.parentElement) {
          if (this.cache.delete(el)) inRow = true;
        }
        walked.set(target, inRow);
      }
      if (r.added) {
        // Indexed loops: a NodeList's iterator costs as much again in a content script's world (dom.ts, queryAll).
        const addedNodes = r.added;
        for (let i = 0, n = addedNodes.length; i < n; i++) {
          const node = addedNodes[i]!;
          if (node.nodeType !== 1) continue;
          const el = node as Element;
          this.cache.delete(el);
          const inner = el.querySelectorAll(this.rowSelector);
          for (let j = 0; j < inner.length; j++) this.cache.delete(inner[j]!);
        }
      } else if (type === 'attributes' && !inRow && target.querySelector(this.rowSelector)) {
        this.cache = new WeakMap();
      }
    }
  }
}

/**
 * A value read from a few elements (`from`), remembered until a change may alter it. A mutation
 * record forgets it when:
 * - its target is one of those elements, inside one, or holds one (text, attributes, children);
 * - it adds an element that is, or contains, one of `shapes` (a second header, a new pane);
 * - it changes an `id` anywhere (selectors such as `#main header` start from an id).
 * And `get` reads again when one of the elements left the document. Changes elsewhere, such as
 * the rows of the message list or a spacer's style, keep it.
 */
export class RegionMemo<V> {
  private kept: { value: V; from: Element[] } | null = null;

  /** Made by RowMemo.region; read only after the RowMemo's `sync`, which forgets it on every read of a document it cannot watch. */
  constructor(private readonly shapes: string) {}

  /** The value, read again unless nothing that could change it changed since it was read. */
  get(read: () => { value: V; from: Element[] }): V {
    const kept = this.kept;
    if (kept && kept.from.every((el) => el.isConnected)) return kept.value;
    this.kept = read();
    return this.kept.value;
  }

  forget(): void {
    this.kept = null;
  }

  /** Applies one record. */
  consider(r: Change): void {
    const kept = this.kept;
    if (!kept) return;
    if (r.attributeName === 'id') return this.forget();
    const target = r.target;
    if (!target) return;
    for (const el of kept.from) {
      if (el.contains(target) || target.contains(el)) return this.forget();
    }
    const added = r.added;
    if (!added) return;
    for (let i = 0, n = added.length; i < n; i++) {
      const node = added[i]!;
      if (node.nodeType !== 1) continue;
      const el = node as Element;
      if (el.matches(this.shapes) || el.querySelector(this.shapes)) return this.forget();
    }
  }
}
