/**
 * CaptureSession sends what is new or changed in a read and nothing else. A change it failed to
 * see would be a lost version, so every field a message is compared on is changed here, one at a
 * time, and must be sent again.
 */
import { describe, expect, it } from 'vitest';
import type { Adapter, PageMessage, PageRead } from '../../src/adapters/types';
import { CaptureSession, COMPARED_FIELDS } from '../../src/content/capture-session';
import type { ContentBatch } from '../../src/shared/protocol';
import { message, thread } from './factories';

const adapter = { id: 'whatsapp' } as Adapter;

function pageMessage(id: string, over: Partial<PageMessage> = {}): PageMessage {
  return { ...message(id), attachments: [], ...over };
}

function session() {
  const sent: ContentBatch[] = [];
  const s = new CaptureSession(adapter, 'c1', async (b) => {
    sent.push(b);
    return { ok: true, seq: b.seq, newMessages: b.messages.length, newVersions: 0 };
  });
  return { s, sent, ids: () => sent.flatMap((b) => b.messages.map((m) => m.messageId)) };
}

const read = (...messages: PageMessage[]): PageRead => ({ thread, messages });

/** A different value of the same type for every compared field. */
const CHANGES: { [K in (typeof COMPARED_FIELDS)[number]]: PageMessage[K] } = {
  messageId: 'another id',
  type: 'event',
  sender: 'Bruno',
  fromSelf: true,
  sentAt: '2026-09-28T10:31:00-04:00',
  text: 'edited text',
  links: ['https://example.org/'],
  deleted: true,
  edited: true,
  forwarded: true,
  reactions: [{ emoji: '👍', count: 1 }],
  direction: 'rtl',
  truncated: true,
};

describe('CaptureSession.push', () => {
  it('sends a message again when any compared field changes', async () => {
    for (const field of COMPARED_FIELDS) {
      const { s, ids } = session();
      const m = pageMessage('m1');
      await s.push(read(m));
      const changed = { ...m, [field]: CHANGES[field] };
      expect([field, await s.push(read(changed))]).toEqual([field, 1]);
      expect(ids()).toEqual(['m1', changed.messageId]);
    }
  });

  it('sends again when one element of a list changes, or one part of a quote or an attachment', async () => {
    const quote = { author: 'Ana', text: 'see above', messageId: null };
    const attachment = { kind: 'document' as const, originalName: 'a.pdf', mediaType: null, sourceUrl: null, thumbnail: false, missingReason: 'not downloaded in the page' };
    const m = pageMessage('m1', { links: ['https://a.example/', 'https://b.example/'], reactions: [{ emoji: '👍', count: 1 }, { emoji: '❤️', count: 2 }], quote, attachments: [attachment, { ...attachment, originalName: 'b.pdf' }] });
    const variants: [string, PageMessage][] = [
      ['second link', { ...m, links: ['https://a.example/', 'https://c.example/'] }],
      ['a reaction count', { ...m, reactions: [{ emoji: '👍', count: 1 }, { emoji: '❤️', count: 3 }] }],
      ['a reaction emoji', { ...m, reactions: [{ emoji: '👍', count: 1 }, { emoji: '😂', count: 2 }] }],
      ['quote author', { ...m, quote: { ...quote, author: 'Bruno' } }],
      ['quote text', { ...m, quote: { ...quote, text: 'see below' } }],
      ['quote removed', { ...m, quote: null }],
      ['attachment kind', { ...m, attachments: [attachment, { ...attachment, kind: 'image' }] }],
      ['attachment name', { ...m, attachments: [attachment, { ...attachment, originalName: 'c.pdf' }] }],
      ['attachment thumbnail', { ...m, attachments: [attachment, { ...attachment, originalName: 'b.pdf', thumbnail: true }] }],
      ['attachment missing reason', { ...m, attachments: [attachment, { ...attachment, originalName: 'b.pdf', missingReason: 'expired' }] }],
      ['attachment now loaded', { ...m, attachments: [attachment, { ...attachment, originalName: 'b.pdf', sourceUrl: 'blob:https://web.whatsapp.com/1' }] }],
      ['an attachment fewer', { ...m, attachments: [attachment] }],
    ];
    for (const [what, changed] of variants) {
      const { s } = session();
      await s.push(read(m));
      expect([what, await s.push(read(changed))]).toEqual([what, 1]);
    }
    const { s } = session();
    const plain = pageMessage('m2');
    await s.push(read(m, plain));
    // Lists, quote and attachments appearing on a message that had none.
    expect(await s.push(read(m, { ...plain, links: ['https://a.example/'] }))).toBe(1);
    expect(await s.push(read(m, { ...plain, links: ['https://a.example/'], quote }))).toBe(1);
  });

  it('does not send again for a new display time, order, quote link, media type or blob address', async () => {
    const { s } = session();
    const quote = { author: 'Ana', text: 'see above', messageId: null };
    const attachment = { kind: 'image' as const, originalName: null, mediaType: null, sourceUrl: 'blob:https://web.whatsapp.com/1', thumbnail: false, missingReason: null };
    const m = pageMessage('m1', { quote, attachments: [attachment] });
    await s.push(read(m));
    expect(await s.push(read({ ...m, sentAtText: '10:30', pageOrder: 7, quote: { ...quote, messageId: 'm0' }, attachments: [{ ...attachment, mediaType: 'image/jpeg', sourceUrl: 'blob:https://web.whatsapp.com/2' }] }))).toBe(0);
  });

  it('sends nothing for a read of unchanged messages, and keeps the oldest time seen', async () => {
    const { s, sent } = session();
    const older = pageMessage('m0', { sentAt: '2026-09-27T09:00:00-04:00' });
    await s.push(read(older, pageMessage('m1')));
    expect(await s.push(read(older, pageMessage('m1')))).toBe(0);
    expect(sent).toHaveLength(1);
    expect(s.oldestSentAt).toBe('2026-09-27T09:00:00-04:00');
    await s.push(read(pageMessage('m1'), pageMessage('m2', { sentAt: '2026-09-26T08:00:00-04:00' })));
    expect(s.oldestSentAt).toBe('2026-09-26T08:00:00-04:00');
  });
});
