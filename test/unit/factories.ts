/** Builders for test data shaped like what the WhatsApp adapter sends. */
import type { CapturedMessage, CapturedThread } from '../../src/shared/model';
import type { ContentBatch } from '../../src/shared/protocol';

export const thread: CapturedThread = {
  threadKey: '120363025246125244@g.us',
  title: 'Permits',
  kind: 'group',
  participants: [{ name: 'Ana', self: false }, { name: 'You', self: true }],
};

export function message(id: string, over: Partial<CapturedMessage> = {}): CapturedMessage {
  return {
    messageId: id,
    type: 'message',
    sender: 'Ana',
    fromSelf: false,
    sentAt: '2026-09-28T10:30:00-04:00',
    sentAtText: '[10:30 AM, 9/28/2026]',
    text: `text of ${id}`,
    links: [],
    deleted: false,
    edited: false,
    forwarded: false,
    quote: null,
    reactions: [],
    attachments: [],
    direction: null,
    pageOrder: 0,
    ...over,
  };
}

export function batch(captureId: string, seq: number, messages: CapturedMessage[], over: Partial<ContentBatch> = {}): ContentBatch {
  return { type: 'content/batch', captureId, adapter: 'whatsapp', seq, thread, messages, blobs: [], ...over };
}
