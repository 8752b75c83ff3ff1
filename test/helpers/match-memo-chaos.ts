/**
 * Random changes to a page, and after each burst RowMemo.matching set against a fresh query
 * (firstMatching). Plain DOM code with no test framework, so that it runs both in happy-dom
 * (test/unit/match-memo.test.ts) and bundled into real Chromium (test/e2e/match-memo.test.ts):
 * happy-dom does not match an element's ancestors outside the element it queries from
 * (`el.querySelectorAll('#main [role="row"]')` finds nothing there), so selectors that name an
 * ancestor are checked in the browser.
 */
import { firstMatching } from '../../src/adapters/dom';
import { RowMemo } from '../../src/adapters/row-memo';
import { random } from './random';

export { firstMatching, RowMemo };

export interface ChaosResult {
  steps: number;
  /** The first disagreement, described; null when there was none. */
  failure: string | null;
  /** Reads whose answer came from the changes alone (no query of the selectors). */
  remembered: number;
}

export const CHAOS_PAGE = `
  <div id="side"><div role="row" data-id="chat-1">a chat in the list</div></div>
  <div id="main">
    <header>Chat</header>
    <div class="list">
      <div role="row" data-id="r1"><span>one</span></div>
      <div class="group"><div role="row" data-id="r2"><span>two</span></div></div>
      <div role="row" data-id="r3"><span>three</span></div>
    </div>
    <footer></footer>
  </div>`;

function describeEl(el: Element | undefined): string {
  if (!el) return '(none)';
  return `<${el.tagName.toLowerCase()}${Array.from(el.attributes).map((a) => ` ${a.name}="${a.value}"`).join('')}>`;
}

/**
 * `steps` bursts of one to three random changes to `doc` (which gets CHAOS_PAGE), each followed
 * by a read: sync, then matching(root) compared with firstMatching(root) — the same selector, the
 * same elements in the same order. `root` defaults to the document.
 */
export function chaos(doc: Document, seed: number, steps: number, selectors: readonly string[], rootOf: (doc: Document) => (Node & ParentNode) | null = (d) => d): ChaosResult {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T | undefined => (xs.length ? xs[Math.floor(next() * xs.length)] : undefined);
  doc.body.innerHTML = CHAOS_PAGE;
  const memo = new RowMemo<unknown>(selectors.join(', '));
  let n = 0;
  const newEl = (kind: 'row' | 'id' | 'item' | 'box'): Element => {
    const el = doc.createElement('div');
    if (kind === 'row') el.setAttribute('role', 'row');
    if (kind === 'row' || kind === 'id') el.setAttribute('data-id', `n${n++}`);
    if (kind === 'item') el.className = 'item';
    if (kind === 'box') el.className = 'group';
    el.append(doc.createElement('span'));
    return el;
  };
  const all = (selector: string) => Array.from(doc.querySelectorAll(selector));
  const holders = () => all('#main .list, #main .group, #side, #main [role="row"], #main, section');
  const anyEl = () => Array.from(doc.body.querySelectorAll('*'));
  const insertSomewhere = (el: Element) => {
    const parent = pick(holders().filter((h) => !el.contains(h))) ?? doc.body;
    parent.insertBefore(el, pick([...Array.from(parent.children), null]) ?? null);
  };
  const changes: (() => void)[] = [
    () => insertSomewhere(newEl('row')),
    () => insertSomewhere(newEl('row')),
    () => insertSomewhere(newEl('id')),
    () => insertSomewhere(newEl('item')),
    () => {
      const box = newEl('box');
      box.append(newEl('row'), newEl('id'));
      insertSomewhere(box);
    },
    () => pick(anyEl().filter((el) => el.id !== 'main'))?.remove(),
    () => pick(all('[role="row"]'))?.remove(),
    () => {
      const el = pick(anyEl().filter((e) => e.id !== 'main'));
      if (el) insertSomewhere(el); // a move, perhaps into or out of #main
    },
    () => {
      // Wrap a row, a group or the pane in a new element (which may move later): their ancestors change.
      const row = pick(all('[role="row"], [data-id], .group, .list'));
      if (!row?.parentNode) return;
      const wrap = doc.createElement('section');
      row.parentNode.insertBefore(wrap, row);
      wrap.append(row);
    },
    () => pick(anyEl())?.setAttribute('role', pick(['row', 'presentation'])!),
    () => pick(anyEl())?.removeAttribute('role'),
    () => pick(anyEl())?.setAttribute('data-id', `x${n++}`),
    () => pick(anyEl())?.removeAttribute('data-id'),
    () => pick(anyEl())?.classList.toggle('item'),
    () => {
      const main = doc.getElementById('main') ?? doc.getElementById('elsewhere');
      if (main) main.id = main.id === 'main' ? 'elsewhere' : 'main';
    },
    () => {
      const span = pick(all('span'));
      if (span) span.textContent = `text ${n++}`;
    },
    () => pick(anyEl())?.setAttribute('style', `height: ${n++}px`),
    () => {
      // Every role=row row gone at once: the second selector takes over (and back when one returns).
      for (const el of all('[role="row"]')) el.removeAttribute('role');
    },
    () => {
      const list = doc.querySelector('#main .list');
      if (list) list.innerHTML = '<div role="row" data-id="fresh"><span>fresh</span></div><div data-id="fresh2"></div>';
    },
  ];
  // Counts the memo's own queries of the selectors in the whole root (not the reference's).
  let counting: (Node & ParentNode) | null = null;
  let queried = false;
  const query = doc.querySelectorAll.bind(doc);
  const elementQuery = Element.prototype.querySelectorAll;
  const wanted = new Set(selectors);
  const counted = function (this: ParentNode, selector: string) {
    if (this === counting && wanted.has(selector)) queried = true;
    return this === doc ? query(selector) : elementQuery.call(this as Element, selector);
  };
  doc.querySelectorAll = counted as Document['querySelectorAll'];
  Element.prototype.querySelectorAll = counted as Element['querySelectorAll'];
  let remembered = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const count = 1 + Math.floor(next() * 3);
      // #main renamed by the last burst comes back: a page without it matches nothing, and teaches nothing.
      if (!doc.getElementById('main')) doc.getElementById('elsewhere')?.setAttribute('id', 'main');
      for (let k = 0; k < count; k++) {
        // The page stays small (a read of a long one proves no more, and takes longer): past 150 elements, one goes.
        if (doc.body.getElementsByTagName('*').length > 150) pick(anyEl().filter((el) => el.id !== 'main'))?.remove();
        else pick(changes)!();
      }
      memo.sync(doc);
      const root = rootOf(doc);
      if (!root) continue;
      counting = root;
      queried = false;
      const got = memo.matching(root, selectors);
      counting = null;
      if (!queried) remembered++;
      const want = firstMatching(root, selectors);
      const gotEls = got?.elements ?? [];
      const wantEls = want?.elements ?? [];
      const differs = got?.selector !== want?.selector || gotEls.length !== wantEls.length || gotEls.some((el, i) => el !== wantEls[i]);
      if (differs) {
        const i = gotEls.findIndex((el, k) => el !== wantEls[k]);
        return {
          steps: step + 1,
          remembered,
          failure: `step ${step} (seed ${seed}): got ${got?.selector ?? 'null'} with ${gotEls.length} elements, a query gives ${want?.selector ?? 'null'} with ${wantEls.length}; first difference at ${i < 0 ? gotEls.length : i}: ${describeEl(gotEls[i])} against ${describeEl(wantEls[i < 0 ? gotEls.length : i])}`,
        };
      }
    }
    return { steps, remembered, failure: null };
  } finally {
    delete (doc as { querySelectorAll?: unknown }).querySelectorAll;
    Element.prototype.querySelectorAll = elementQuery;
  }
}
