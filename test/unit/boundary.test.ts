import { describe, expect, it } from 'vitest';
import type { Runtime } from 'webextension-polyfill';
import { checkMessage } from '../../src/background/boundary';
import { batch, message } from './factories';

const self = { id: 'ext-id', origin: 'chrome-extension://ext-id/' };
const fromWhatsApp = (over: Partial<Runtime.MessageSender> = {}): Runtime.MessageSender => ({
  id: 'ext-id',
  url: 'https://web.whatsapp.com/',
  frameId: 0,
  tab: { id: 7, index: 0, highlighted: false, active: true, pinned: false, incognito: false },
  ...over,
});
const good = batch('c1', 0, [message('A')]);

describe('checkMessage: sender first, then schema', () => {
  it('accepts a well-formed batch from our content script on WhatsApp Web', () => {
    const r = checkMessage(good, fromWhatsApp(), self);
    expect(r).toMatchObject({ ok: true, kind: 'content', tabId: 7 });
  });

  it.each([
    ['another extension', { id: 'other' }, /not this extension/],
    ['a tab whose URL the adapter does not serve', { url: 'https://evil.example/' }, /does not serve/],
    ['a look-alike host', { url: 'https://web.whatsapp.com.evil.example/' }, /does not serve/],
    ['plain http', { url: 'http://web.whatsapp.com/' }, /does not serve/],
    ['a sub-frame', { frameId: 3 }, /top frame/],
    ['no frame id', { frameId: undefined }, /not sent from a frame/],
    ['no tab', { tab: undefined }, /not sent from a tab/],
    ['our own extension page', { url: 'chrome-extension://ext-id/src/ui/popup/index.html' }, /extension pages/],
  ])('refuses a content message from %s', (_label, over, reason) => {
    const r = checkMessage(good, fromWhatsApp(over as Partial<Runtime.MessageSender>), self);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  describe('Google Chat inside Gmail (a frame the adapter declares)', () => {
    const gcBatch = { ...good, adapter: 'googlechat' };
    const chatFrame = 'https://chat.google.com/u/0/frame?shell=9&origin=https%3A%2F%2Fmail.google.com#cb=gtn-brain-iframe-id&id=spareFrame4';
    const inGmail = (over: Partial<Runtime.MessageSender>) => fromWhatsApp({ frameId: 5, tab: { ...fromWhatsApp().tab!, url: 'https://mail.google.com/chat/u/0/#chat/space/AAAAbR7dKq0' }, ...over });

    it('accepts a batch from Chat\'s frame, keeping which frame sent it', () => {
      expect(checkMessage(gcBatch, inGmail({ url: chatFrame }), self)).toMatchObject({ ok: true, kind: 'content', tabId: 7, frameId: 5, url: chatFrame });
    });

    it.each([
      ['another chat.google.com frame', 'https://chat.google.com/app/chat/AAAAbR7dKq0'],
      ['a frame of another site', 'https://ads.example/frame'],
      ['a look-alike frame', 'https://chat.google.com.evil.example/u/0/frame'],
    ])('refuses %s', (_label, url) => {
      const r = checkMessage(gcBatch, inGmail({ url }), self);
      expect(r.ok).toBe(false);
    });

    it('does not let a WhatsApp sub-frame in, whatever its URL', () => {
      expect(checkMessage(good, fromWhatsApp({ frameId: 2, url: 'https://web.whatsapp.com/u/0/frame' }), self).ok).toBe(false);
    });
  });

  it('refuses payloads that fail the schema, naming the field', () => {
    const withExtra = { ...good, messages: [{ ...message('A'), injected: '<script>' }] };
    const r1 = checkMessage(withExtra, fromWhatsApp(), self);
    expect(!r1.ok && r1.reason).toMatch(/messages\[0\]: unexpected key "injected"/);
    const badTime = { ...good, messages: [message('A', { sentAt: 'yesterday' })] };
    const r2 = checkMessage(badTime, fromWhatsApp(), self);
    expect(!r2.ok && r2.reason).toMatch(/messages\[0\]\.sentAt/);
    const badHash = { ...good, blobs: [{ sha256: 'xyz', mediaType: 'image/png', base64: '' }] };
    expect(checkMessage(badHash, fromWhatsApp(), self).ok).toBe(false);
    expect(checkMessage({ ...good, adapter: 'slack' }, fromWhatsApp(), self).ok).toBe(false);
    expect(checkMessage({ type: 'content/write-anything' , adapter: 'whatsapp' }, fromWhatsApp(), self).ok).toBe(false);
    expect(checkMessage('hello', fromWhatsApp(), self).ok).toBe(false);
  });

  it('a message may say it was cut short (true) or leave the key out; nothing else', () => {
    const first = (r: ReturnType<typeof checkMessage>) => (r.ok && r.kind === 'content' && r.message.type === 'content/batch' ? r.message.messages[0] : undefined);
    expect(first(checkMessage({ ...good, messages: [message('A', { truncated: true })] }, fromWhatsApp(), self))?.truncated).toBe(true);
    const whole = first(checkMessage(good, fromWhatsApp(), self));
    expect(whole && 'truncated' in whole).toBe(false);
    expect(whole?.messageId).toBe('A');
    for (const bad of [false, 'yes', null, 1]) {
      const r = checkMessage({ ...good, messages: [{ ...message('A'), truncated: bad }] }, fromWhatsApp(), self);
      expect(!r.ok && r.reason).toMatch(/messages\[0\]\.truncated/);
    }
  });

  it('accepts popup requests only from our own pages', () => {
    const popup = { id: 'ext-id', url: 'chrome-extension://ext-id/src/ui/popup/index.html?tab=3' };
    expect(checkMessage({ type: 'popup/status', tabId: 3 }, popup, self)).toMatchObject({ ok: true, kind: 'popup' });
    expect(checkMessage({ type: 'popup/status', tabId: 3 }, fromWhatsApp(), self).ok).toBe(false);
    expect(checkMessage({ type: 'popup/status', tabId: 'all' }, popup, self).ok).toBe(false);
    expect(checkMessage({ type: 'popup/delete-everything' }, popup, self).ok).toBe(false);
  });
});
