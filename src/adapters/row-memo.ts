/**
 * What each message row shows, remembered between reads of the same page until the row changes.
 * Auto-capture reads the open conversation after every burst of page changes; re-reading every
 * mounted row each time (about 60, when a handful are new) was most of its cost on the page's
 * main thread (docs/performance.md, "Auto-capture cost"). Page-wide passes (dates, senders
 * carried over, quote links) still run over every row on every read; only the per-row reading is
 * remembered.
 *
 * A row's facts may depend on anything inside the row and on attributes of its ancestors (an
 * `aria-hidden` wrapper, say). So a mutation record forgets:
 * - every remembered row that contains its target (text, attribute or child changed inside it);
 * - for added nodes, the node and every row inside it (a row moved under another parent);
 * - everything, when an attribute changes on an element that holds rows.
 * Pending records are taken synchronously at the start of every read (`sync`), so a change made
 * in the same task as the read is never missed.
 */
export class RowMemo<T> {
  private cache = new WeakMap<Element, T>();
  private observer: MutationObserver | null = null;
  private root: Node | null = null;

  constructor(private readonly rowSelector: string) {}

  /** Call first in every read of `root`'s document: applies pending changes, or starts watching a new document. */
  sync(root: Document): void {
    if (this.root === root && this.observer) {
      this.apply(this.observer.takeRecords());
      return;
    }
    this.observer?.disconnect();
    this.cache = new WeakMap();
    this.root = root;
    const View = root.defaultView?.MutationObserver;
    if (!View) {
      this.observer = null; // no window (a parsed document): nothing is remembered
      return;
    }
    this.observer = new View((records) => this.apply(records));
    this.observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
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

  private apply(records: MutationRecord[]): void {
    for (const r of records) {
      const target = r.target.nodeType === 1 ? (r.target as Element) : r.target.parentElement;
      if (!target) continue;
      let inRow = false;
      for (let el: Element | null = target; el; el = el.parentElement) {
        if (this.cache.delete(el)) inRow = true;
      }
      if (r.type === 'childList') {
        for (const node of Array.from(r.addedNodes)) {
          if (node.nodeType !== 1) continue;
          const el = node as Element;
          this.cache.delete(el);
          for (const inner of Array.from(el.querySelectorAll(this.rowSelector))) this.cache.delete(inner);
        }
      } else if (r.type === 'attributes' && !inRow && target.querySelector(this.rowSelector)) {
        this.cache = new WeakMap();
      }
    }
  }
}
