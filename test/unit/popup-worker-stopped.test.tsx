// @vitest-environment happy-dom
/**
 * The service worker stopped while it answered the popup: webextension-polyfill then resolves the
 * request as `undefined` (a port closed without an answer). The popup must not read that as "no
 * capture" and stop showing a capture that goes on in the page (the e2e test that stops the
 * worker mid-capture once caught the popup blank while the capture completed).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'preact/test-utils';
import type { CaptureView, TabStatus } from '../../src/shared/protocol';
import { mount, shown, unmount } from '../helpers/preact';

vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/scripted-browser')).scriptedBrowser }));
const { scripted } = await import('../helpers/scripted-browser');
const asked = scripted.asked;
const { Popup } = await import('../../src/ui/popup/popup');

const status: TabStatus = {
  kind: 'messenger', adapter: 'whatsapp', adapterName: 'WhatsApp Web', conversationOpen: true, thread: { threadId: 'whatsapp:1@g.us', title: 'Permits', participants: 3 },
  readError: null, stored: null, autoCapturing: false, canPreservePage: true, exportState: null,
};
const capture = (status: CaptureView['status'], messages: number): CaptureView => ({
  captureId: 'c1', status, phase: null, threadTitle: 'Permits', threadId: 'whatsapp:1@g.us', messages, events: 0, attachments: 0, attachmentsMissing: 0,
  truncated: 0, newMessages: messages, newVersions: 0, oldestSentAt: null, reachedBeginning: true, reason: null, selector: null,
});

/** Opens the popup and clicks Preserve thread. */
async function preserve(): Promise<HTMLElement> {
  const root = await mount(<Popup />);
  const button = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Preserve thread')!;
  await act(() => button.click());
  return root;
}

afterEach(async () => {
  await unmount();
  asked.length = 0;
});

describe('popup when the worker stops while answering', () => {
  it('keeps following a capture whose progress request went unanswered, to its result', async () => {
    scripted.script = {
      'popup/status': [status],
      'popup/preserve': [{ ok: true, captureId: 'c1' }],
      // Before the click: no capture. Then running, no answer (a stopped worker), running, done.
      'popup/progress': [null, capture('running', 400), undefined, capture('running', 890), capture('complete', 1500)],
    };
    const root = await preserve();
    const result = await shown(root, '[data-testid="preserve-result"]');
    expect(result.textContent).toContain('1500 messages');
    expect(root.querySelector('[data-testid="follow-error"]')).toBeNull();
    expect(asked.filter((t) => t === 'popup/progress').length).toBeGreaterThanOrEqual(5);
  });

  it('shows a capture that did start although its start went unanswered, instead of "Nothing was kept"', async () => {
    scripted.script = {
      'popup/status': [status],
      'popup/preserve': [undefined],
      'popup/progress': [null, capture('running', 120), capture('complete', 300)],
    };
    const root = await preserve();
    const result = await shown(root, '[data-testid="preserve-result"]');
    expect(result.textContent).toContain('300 messages');
    expect(root.querySelector('[data-testid="preserve-error"]')).toBeNull();
  });

  it('says the background stopped when no capture is running after an unanswered start', async () => {
    scripted.script = { 'popup/status': [status], 'popup/preserve': [undefined], 'popup/progress': [null] };
    const root = await preserve();
    const error = await shown(root, '[data-testid="preserve-error"]');
    expect(error.textContent).toMatch(/background stopped before it answered/);
  });
});
