// @vitest-environment happy-dom
/**
 * RowMemo.matching (MatchMemo): the rows of a pane, updated from the page's changes instead of
 * queried whole on every read. It must give exactly what a fresh query gives after any change (a
 * row it missed would be a message never captured): set against firstMatching after thousands of
 * random changes here, and in real Chromium with selectors that name an ancestor
 * (test/e2e/match-memo.test.ts; happy-dom does not match ancestors outside a queried element).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { attributesOf } from '../../src/adapters/match-memo';
import { RowMemo } from '../../src/adapters/row-memo';
import { CHAOS_PAGE, chaos } from '../helpers/match-memo-chaos';

/** Rows by role, else by data-id or class (no ancestor named: see above). */
const SELECTORS = ['[role="row"]', '[data-id], .item'] as const;

afterEach(() => {
  vi.restoreAllMocks();
});

function memoOnPage(): RowMemo<unknown> {
  document.body.innerHTML = CHAOS_PAGE;
  const memo = new RowMemo<unknown>(SELECTORS.join(', '));
  memo.sync(document);
  memo.matching(document, SELECTORS);
  return memo;
}

describe('RowMemo.matching', () => {
  it('gives what a fresh query gives after thousands of random changes, mostly without a query', () => {
    for (const seed of [1, 2, 3]) {
      const r = chaos(document, seed, 1000, SELECTORS);
      expect(r.failure).toBeNull();
      // Most reads follow changes that a watched attribute or an emptied list did not touch.
      expect(r.remembered).toBeGreaterThan(r.steps / 4);
    }
  });

  it('answers a new row from the changes, without querying the page', () => {
    const memo = memoOnPage();
    const row = document.createElement('div');
    row.setAttribute('role', 'row');
    document.querySelector('#main .list')!.append(row);
    document.querySelector('[data-id="r1"]')!.remove();
    const query = vi.spyOn(document, 'querySelectorAll');
    memo.sync(document);
    const found = memo.matching(document, SELECTORS);
    expect(query).not.toHaveBeenCalled();
    expect(found!.elements.map((el) => el.getAttribute('data-id'))).toEqual(['chat-1', 'r2', 'r3', null]);
  });

  it('queries again when an attribute the selectors name changes, or when the list is not the same', () => {
    const memo = memoOnPage();
    const query = vi.spyOn(document, 'querySelectorAll');
    document.querySelector('[data-id="r2"]')!.setAttribute('role', 'presentation');
    memo.sync(document);
    expect(memo.matching(document, SELECTORS)!.elements).toHaveLength(3);
    expect(query).toHaveBeenCalledTimes(1);
    memo.sync(document);
    expect(memo.matching(document, ['[data-id]'])!.elements).toHaveLength(4);
    expect(query).toHaveBeenCalledTimes(2);
    // A change of an attribute no selector names (a style, a text) keeps what it knows.
    document.querySelector('#main .list')!.setAttribute('style', 'height: 10px');
    document.querySelector('span')!.textContent = 'changed';
    memo.sync(document);
    expect(memo.matching(document, ['[data-id]'])!.elements).toHaveLength(4);
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('takes the next selector of the list when the first matches nothing any more, and back', () => {
    const memo = memoOnPage();
    for (const el of Array.from(document.querySelectorAll('[role="row"]'))) el.remove();
    document.querySelector('#main .list')!.append(Object.assign(document.createElement('div'), { className: 'item' }));
    memo.sync(document);
    expect(memo.matching(document, SELECTORS)).toMatchObject({ selector: SELECTORS[1], elements: [{ className: 'item' }] });
    const row = document.createElement('p');
    row.setAttribute('role', 'row');
    document.querySelector('.item')!.append(row);
    memo.sync(document);
    expect(memo.matching(document, SELECTORS)).toEqual({ selector: SELECTORS[0], elements: [row] });
  });

  it('remembers nothing for selectors whose matches depend on more than an element and its ancestors', () => {
    expect(attributesOf(['#main [role="row"]', 'li.item[data-id^="a:b"]'])).toEqual(new Set(['id', 'class', 'role', 'data-id']));
    expect(attributesOf(['.list > li:not(.x)'])).toBeNull();
    expect(attributesOf(['h2 + div'])).toBeNull();
    expect(attributesOf(['h2 ~ div'])).toBeNull();
    expect(attributesOf(['[class~="row"]'])).toEqual(new Set(['id', 'class']));
    // Such a list is queried on every read, and stays right.
    const sibling = ['h2 + [role="row"]'];
    const memo = memoOnPage();
    expect(memo.matching(document, sibling)).toBeNull();
    document.querySelector('#main .list')!.insertBefore(document.createElement('h2'), document.querySelector('[data-id="r3"]'));
    memo.sync(document);
    expect(memo.matching(document, sibling)!.elements.map((el) => el.getAttribute('data-id'))).toEqual(['r3']);
  });

  it('queries plainly a document it does not watch', () => {
    const memo = memoOnPage();
    const other = new DOMParser().parseFromString('<div id="main"><div role="row"></div></div>', 'text/html');
    expect(memo.matching(other, SELECTORS)!.elements).toHaveLength(1);
    memo.sync(other); // no window: nothing is watched
    const row = other.createElement('div');
    row.setAttribute('role', 'row');
    other.getElementById('main')!.append(row);
    expect(memo.matching(other, SELECTORS)!.elements).toHaveLength(2);
  });
});
