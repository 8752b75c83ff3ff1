/**
 * What the content runner needs to scroll a Telegram Web conversation back to its beginning
 * (issue #3). Reading only: the runner scrolls. Both clients load older history when the list
 * is scrolled up (tweb trims bubbles outside the viewport, idx 4135305108; telegram-tt keeps a
 * window of 40–60 messages, idx 69626711160), so there is no button to click.
 */
import type { HistoryNavigation } from './types';
import { flatText } from './dom';
import { A_SEL, CHAT_START, K_SEL } from './telegram-selectors';

const isElement = (doc: Document, el: Element | null): el is HTMLElement =>
  el !== null && el instanceof (doc.defaultView?.HTMLElement ?? HTMLElement);

/** The first record row of the list, date headers and local notices left out. */
function firstRow(doc: Document): Element | null {
  for (const el of Array.from(doc.querySelectorAll(`${K_SEL.rows[0]}, ${A_SEL.rows[0]}`))) {
    if (el.classList.contains(K_SEL.dateBubble) || el.classList.contains(A_SEL.localActionClass)) continue;
    return el;
  }
  return null;
}

export const telegramHistory: HistoryNavigation = {
  scroller(doc) {
    for (const sel of [...K_SEL.scroller, A_SEL.list]) {
      const el = doc.querySelector(sel);
      if (isElement(doc, el)) return el;
    }
    // Web K: whatever holds `.bubbles-inner` (idx 61629076746).
    const inner = doc.querySelector(K_SEL.list)?.parentElement ?? null;
    return isElement(doc, inner) ? inner : null;
  },

  olderHistoryControl: () => null,

  /**
   * The very start of a group or channel is its creation notice ("Ana created the group «X»",
   * "Channel created") [U: English wording only]; a one-to-one chat has none, so its start is
   * not recognised and the runner stops when scrolling brings nothing new.
   */
  atBeginning(doc) {
    const first = firstRow(doc);
    if (!first) return false;
    const isService = first.classList.contains(K_SEL.serviceClass) || first.classList.contains(A_SEL.actionClass);
    return isService && CHAT_START.test(flatText(first));
  },
};
