/** The toolbar badge says, per tab, whether Threadkeeper is capturing it. */
import browser from 'webextension-polyfill';

export type BadgeState = 'capturing' | 'auto' | null;

export async function setBadge(tabId: number, state: BadgeState): Promise<void> {
  // null clears the tab's own text, so the global deadline count shows again.
  const text = state === 'capturing' ? '…' : state === 'auto' ? 'REC' : (null as unknown as string);
  const title = state === 'capturing' ? 'Threadkeeper is preserving this thread' : state === 'auto' ? 'Threadkeeper is capturing this tab automatically' : 'Threadkeeper';
  try {
    await browser.action.setBadgeText({ tabId, text });
    await browser.action.setTitle({ tabId, title: state ? title : (null as unknown as string) });
    if (state) await browser.action.setBadgeBackgroundColor({ tabId, color: state === 'auto' ? '#a00' : '#0b5d5b' });
  } catch {
    /* the tab is gone */
  }
}
