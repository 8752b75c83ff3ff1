/**
 * What the content runner needs to scroll a WhatsApp conversation back to its beginning
 * (issue #3). Reading only: the runner scrolls and clicks.
 */
import type { HistoryNavigation } from './types';
import { flatText } from './dom';

/** The message pane's scroller, by its trace policy (Dec 2024–2026, idx 17814118389) or older test ids (2021–23). */
const SCROLLER_SELECTORS = [
  '#main [data-scrolltracepolicy="wa.web.conversation.messages"]',
  '#main [data-testid="conversation-panel-messages"]',
  '#main .copyable-area [tabindex="0"]',
];

/** "Click here to get older messages from your phone." (idx 68295778086) and its pt/es wording [U]. */
const OLDER_HISTORY = /get older messages from your phone|carregar mensagens mais antigas|mensagens mais antigas do seu celular|obtener mensajes anteriores/i;

/** Shown when the phone does not deliver older history [U: wording not confirmed by a source]. */
const REFUSED = /couldn't get older messages|não foi possível carregar mensagens mais antigas/i;

/** Shown at the very start of every chat: the end-to-end encryption notice (idx 71042067677, 17814118389). */
const ENCRYPTION_NOTICE = /end-to-end encrypted|protegidas com a criptografia de ponta a ponta|criptografia de ponta a ponta|cifrados de extremo a extremo/i;

function scrollable(el: Element): el is HTMLElement {
  const view = el.ownerDocument.defaultView;
  if (!view || !(el instanceof view.HTMLElement)) return false;
  const overflow = view.getComputedStyle(el).overflowY;
  return (overflow === 'auto' || overflow === 'scroll') && el.scrollHeight > el.clientHeight;
}

export const whatsappHistory: HistoryNavigation = {
  scroller(doc) {
    for (const sel of SCROLLER_SELECTORS) {
      const el = doc.querySelector(sel);
      if (el instanceof (doc.defaultView?.HTMLElement ?? HTMLElement)) return el as HTMLElement;
    }
    // Most robust fallback: the first descendant of #main that scrolls (idx 63105272466).
    for (const el of Array.from(doc.querySelectorAll('#main *'))) if (scrollable(el)) return el;
    return null;
  },

  olderHistoryControl(doc) {
    for (const el of Array.from(doc.querySelectorAll('#main [role="button"], #main button, #main [role="row"]'))) {
      if (OLDER_HISTORY.test(flatText(el))) {
        return (el.closest('button, [role="button"]') ?? el.querySelector('button, [role="button"]') ?? el) as HTMLElement;
      }
    }
    return null;
  },

  historyRefused(doc) {
    for (const el of Array.from(doc.querySelectorAll('#main [role="row"] [role="alert"], #main [role="alert"]'))) {
      const text = flatText(el);
      if (REFUSED.test(text)) return text;
    }
    return null;
  },

  atBeginning(doc) {
    // The first row of the list is the encryption notice only when nothing older exists.
    const first = doc.querySelector('#main [role="row"]');
    return first !== null && ENCRYPTION_NOTICE.test(flatText(first)) && this.olderHistoryControl(doc) === null;
  },
};
