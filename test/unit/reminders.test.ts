import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';

const store: Record<string, unknown> = {};
const notifications: { id: string; message: string }[] = [];
const badge: { text?: string } = {};
vi.mock('webextension-polyfill', () => ({
  default: {
    storage: {
      local: { get: async (k: string) => ({ [k]: store[k] }), set: async (v: Record<string, unknown>) => Object.assign(store, v) },
      managed: { get: async () => { throw new Error('no policy'); } },
    },
    action: { setBadgeText: async ({ text }: { text: string }) => { badge.text = text; }, setBadgeBackgroundColor: async () => undefined },
    notifications: { create: async (id: string, o: { message: string }) => void notifications.push({ id, message: o.message }) },
    runtime: { getURL: (p: string) => p },
  },
}));

const { db } = await import('../../src/background/context');
const { refreshReminders } = await import('../../src/background/reminders');
const { ingestBatch } = await import('../../src/background/ingest');
const { batch, captureRow, message } = await import('./factories');

describe('deadline reminders', () => {
  it('badge counts threads due within three days; one notification a day, not a stream', async () => {
    await db.captures.add(captureRow('c1'));
    await ingestBatch(db, batch('c1', 0, [message('A', { sentAt: '2026-11-07T12:00:00.000Z' })]));
    const now = Date.parse('2026-11-26T18:00:00.000Z'); // due 2026-11-27 12:00: within a day
    await refreshReminders(now);
    expect(badge.text).toBe('1');
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.message).toContain('“Permits”: 1 message due');
    await refreshReminders(now + 3_600_000);
    await refreshReminders(now + 7_200_000);
    expect(notifications).toHaveLength(1);
    await refreshReminders(now + 86_400_000); // the next day: overdue, one more
    expect(notifications).toHaveLength(2);
    expect(notifications[1]!.message).toContain('overdue');
  });

  it('describes a full disk plainly instead of a raw error', async () => {
    vi.resetModules();
    const { describeError } = await import('../../src/background/errors');
    expect(describeError(new DOMException('quota', 'QuotaExceededError'))).toMatch(/no more storage space for Threadkeeper/);
    expect(describeError(new Error('boom'))).toBe('boom');
  });
});
