/**
 * Service worker entry: wires listeners, synchronously at top level (a woken worker must have
 * its listeners before the event that woke it is dispatched). All state lives in IndexedDB;
 * nothing here survives the worker being stopped, and nothing needs to.
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { checkMessage } from './boundary';
import { handleContent, handlePopup } from './handlers';
import { audit, db } from './context';

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
  const checked = checkMessage(message, sender, { id: browser.runtime.id, origin: browser.runtime.getURL('') });
  if (!checked.ok) {
    console.warn('Threadkeeper refused a message:', checked.reason);
    void audit('message-refused', { reason: checked.reason, senderUrl: sender.url ?? null });
    return Promise.resolve({ ok: false, error: `refused: ${checked.reason}` });
  }
  return checked.kind === 'content' ? handleContent(checked.message, checked.tabId, checked.url) : handlePopup(checked.message);
});

// Open the database early so a schema upgrade runs before the first capture needs it.
void db.open().catch((err: unknown) => console.error('Threadkeeper could not open its database', err));
