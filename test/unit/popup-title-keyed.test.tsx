// @vitest-environment happy-dom
/**
 * A thread the adapter can only key by its name (WhatsApp's 2026 layout shows no chat id) is a
 * records risk: same-named chats merge, a renamed chat splits. The popup says so, and only then.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TabStatus } from '../../src/shared/protocol';
import { mount, unmount } from '../helpers/preact';

let status: TabStatus;
vi.mock('webextension-polyfill', () => ({
  default: {
    runtime: {
      sendMessage: async (m: { type: string }) => (m.type === 'popup/status' ? status : m.type === 'popup/threads' ? [] : null),
      getURL: (p: string) => `chrome-extension://x/${p}`,
    },
    tabs: { query: async () => [{ id: 7 }], getCurrent: async () => undefined },
  },
}));
const { Popup } = await import('../../src/ui/popup/popup');

const on = (threadId: string): TabStatus => ({
  kind: 'messenger', adapter: 'whatsapp', adapterName: 'WhatsApp Web', conversationOpen: true, thread: { threadId, title: 'Permits', participants: 3 },
  readError: null, stored: null, autoCapturing: false, canPreservePage: true, exportState: null,
});

afterEach(unmount);

describe('popup on a thread keyed by its name', () => {
  it('warns that same-named chats are kept together', async () => {
    status = on('whatsapp:title:Permits');
    const root = await mount(<Popup />);
    expect(root.querySelector('[data-testid="title-keyed"]')?.textContent).toMatch(/two chats with the same name are kept as one thread/);
  });

  it('says nothing when the page gives the chat an id', async () => {
    status = on('whatsapp:120363025246125244@g.us');
    const root = await mount(<Popup />);
    expect(root.querySelector('[data-testid="thread-title"]')?.textContent).toBe('Permits');
    expect(root.querySelector('[data-testid="title-keyed"]')).toBeNull();
  });
});
