/**
 * The deadline tally kept on thread rows (src/background/deadline-tally.ts) must always say what
 * reading every message would say. A scripted history of captures, edits, exports, receipts, a
 * purge and a capture again is checked against the full computation after every step.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/quiet-browser')).quietBrowser }));

const { db } = await import('../../src/background/context');
const { threadDeadlines } = await import('../../src/background/reminders');
const { ingestBatch } = await import('../../src/background/ingest');
const { markForwarded } = await import('../../src/background/exporter');
const { handlePopup } = await import('../../src/background/handlers');
const { threadDeadline } = await import('../../src/background/deadlines');
const { threadMarks, withMarks } = await import('../../src/background/marks');
const { threadAttachmentCount, threadTally, touchThreads } = await import('../../src/background/deadline-tally');
const { batch, captureRow, exportRow, message } = await import('./factories');

const T = 'whatsapp:120363025246125244@g.us';
const NOW = Date.parse('2026-11-26T18:00:00.000Z');
let captures = 0;

/** Six pictures; messages in the history refer to them, so the same bytes come back. */
const PICTURES = Array.from({ length: 6 }, (_, i) => {
  const bytes = Buffer.from(`picture ${i}`);
  return { sha256: createHash('sha256').update(bytes).digest('hex'), mediaType: 'image/png', base64: bytes.toString('base64'), size: bytes.length };
});

function withPicture(m: ReturnType<typeof message>, i: number): ReturnType<typeof message> {
  const p = PICTURES[i]!;
  return { ...m, attachments: [{ kind: 'image', originalName: null, mediaType: p.mediaType, sha256: p.sha256, size: p.size, missingReason: null, thumbnail: false }] };
}

async function ingest(messages: ReturnType<typeof message>[]): Promise<void> {
  const id = `c${captures++}`;
  await db.captures.add(captureRow(id));
  // Every picture a message refers to travels with the batch (ingest keeps the bytes once).
  const hashes = new Set(messages.flatMap((m) => m.attachments.map((a) => a.sha256)));
  const blobs = PICTURES.filter((p) => hashes.has(p.sha256)).map(({ sha256, mediaType, base64 }) => ({ sha256, mediaType, base64 }));
  await ingestBatch(db, batch(id, 0, messages, { blobs }), () => new Date(NOW - 3 * 86_400_000).toISOString());
}

/** What the popup shows as the thread's kept attachments. */
async function keptAttachments(): Promise<number> {
  return threadAttachmentCount(db, (await db.threads.get(T))!);
}

/** The kept counts against counting every version: what the popup shows as kept. */
async function expectKeptCounts(context: string): Promise<void> {
  const row = await db.threads.get(T);
  if (!row) return;
  const hashes = new Set<string>();
  await db.versions.where('threadId').equals(T).each((v) => v.content.attachments.forEach((a) => a.sha256 && hashes.add(a.sha256)));
  expect(await keptAttachments(), context).toBe(hashes.size);
  expect((await threadTally(db, row))?.tally.messages, context).toBe(await db.messages.where('threadId').equals(T).filter((m) => m.type === 'message').count());
}

/** What reading every message row and every export says, with nothing kept. */
async function fromScratch() {
  const out = [];
  for (const t of await db.threads.toArray()) {
    const rows = await db.messages.where('threadId').equals(t.id).toArray();
    out.push(threadDeadline(t, withMarks(rows, await threadMarks(db, t.id)), 20, NOW));
  }
  return out;
}

/** The same history every run: a small linear congruential generator. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe('deadline tally', () => {
  it('serves the kept tally until a write that changes the deadlines, and not after', async () => {
    await db.delete();
    await db.open();
    await ingest([message('A', { sentAt: '2026-11-10T12:00:00.000Z' }), message('B', { sentAt: '2026-11-12T12:00:00.000Z' })]);
    const first = await threadDeadlines(NOW);
    expect(first[0]).toMatchObject({ messages: 2, notForwarded: 2, earliestDeadline: '2026-11-30T12:00:00.000Z' });
    expect((await db.threads.get(T))?.deadlineTally).toMatchObject({ messages: 2, notForwarded: 2 });

    // A change behind the tally's back (no write of ours does this) is not seen: the tally is used.
    await db.messages.update([T, 'A'], { sentAt: '2026-11-01T12:00:00.000Z' });
    expect((await threadDeadlines(NOW))[0]!.earliestDeadline).toBe('2026-11-30T12:00:00.000Z');
    // Once the thread's revision moves on, it is made again from the rows.
    await db.transaction('rw', db.threads, () => touchThreads(db, [T]));
    expect((await threadDeadlines(NOW))[0]!.earliestDeadline).toBe('2026-11-21T12:00:00.000Z');

    // A batch of new messages carries the tally forward without reading the thread again.
    await db.messages.update([T, 'B'], { sentAt: '2026-10-01T12:00:00.000Z' }); // behind its back again
    await ingest([message('C', { sentAt: '2026-11-15T12:00:00.000Z' }), message('D', { sentAt: null })]);
    expect((await threadDeadlines(NOW))[0]).toMatchObject({ messages: 4, notForwarded: 4, earliestDeadline: '2026-11-21T12:00:00.000Z' });
    // A new version of a stored message, while nothing in the thread is forwarded, changes no
    // deadline: the tally is carried forward (B's change behind its back is still not seen).
    await ingest([message('A', { text: 'edited', sentAt: '2026-11-10T12:00:00.000Z' })]);
    expect((await threadDeadlines(NOW))[0]).toMatchObject({ messages: 4, notForwarded: 4, earliestDeadline: '2026-11-21T12:00:00.000Z' });
    // One that gives an undated message its send time drops it: read again (B's row is seen now).
    await ingest([message('D', { text: 'edited', sentAt: '2026-11-20T12:00:00.000Z' })]);
    expect((await threadDeadlines(NOW))[0]!.earliestDeadline).toBe('2026-10-21T12:00:00.000Z');
    // Once a message is forwarded, an edit may make it pending again: the tally is dropped.
    const exportId = (await db.exports.add(exportRow([[T, 'C', 1]], null, [T]))) as number;
    await markForwarded(exportId, { receiptId: 'r1' });
    expect((await threadDeadlines(NOW))[0]).toMatchObject({ messages: 4, notForwarded: 3 });
    await db.messages.update([T, 'B'], { sentAt: '2026-09-01T12:00:00.000Z' }); // behind its back
    await ingest([message('A', { text: 'edited again', sentAt: '2026-11-10T12:00:00.000Z' })]);
    expect((await threadDeadlines(NOW))[0]!.earliestDeadline).toBe('2026-09-21T12:00:00.000Z');
  });

  it('keeps the attachment count: new pictures are added to it, a picture stored before makes it count again', async () => {
    await db.delete();
    await db.open();
    await ingest([withPicture(message('A'), 0), withPicture(message('B'), 1)]);
    expect(await keptAttachments()).toBe(2);
    // Behind its back: a version referring to a third picture. The kept count does not see it.
    const v = (await db.versions.where('threadId').equals(T).first())!;
    await db.versions.add({ ...v, id: undefined, messageId: 'ghost', content: { ...v.content, attachments: [{ ...v.content.attachments[0]!, sha256: PICTURES[5]!.sha256 }] } });
    expect(await keptAttachments()).toBe(2);
    // A batch with a picture never stored before adds to the kept count (still not seeing the ghost)…
    await ingest([withPicture(message('C'), 2)]);
    expect(await keptAttachments()).toBe(3);
    // …and a receipt carries it forward.
    await db.transaction('rw', db.threads, () => touchThreads(db, [T]));
    expect(await keptAttachments()).toBe(3);
    // A picture stored before (it may or may not be this thread's already): counted again from the versions.
    await ingest([withPicture(message('D'), 0)]);
    expect(await keptAttachments()).toBe(4);
  });

  it('always agrees with reading every message: captures, edits, exports, receipts, a purge and a capture again', async () => {
    await db.delete();
    await db.open();
    const next = random(7);
    const pick = <X,>(xs: X[]): X => xs[Math.floor(next() * xs.length)]!;
    let ids = 0;
    const stored = new Map<string, number>(); // messageId → edits so far
    const history: string[] = [];
    let purged = 0;
    for (let step = 0; step < 120; step++) {
      const roll = next();
      let op: string;
      if (roll < 0.35 || stored.size === 0) {
        op = 'new';
        const fresh = Array.from({ length: 1 + Math.floor(next() * 4) }, () => {
          // After the purge, some ids come back (the same chat captured again).
          const id = ids > 20 && next() < 0.3 ? `m${Math.floor(next() * 20)}` : `m${ids++}`;
          stored.set(id, stored.get(id) ?? 0);
          const day = 1 + Math.floor(next() * 25);
          const m = message(id, { type: next() < 0.15 ? 'event' : 'message', sentAt: next() < 0.2 ? null : `2026-11-${String(day).padStart(2, '0')}T09:00:00.000Z` });
          return next() < 0.3 ? withPicture(m, Math.floor(next() * PICTURES.length)) : m;
        });
        await ingest(fresh);
      } else if (roll < 0.5) {
        op = 'edit';
        const id = pick([...stored.keys()]);
        stored.set(id, stored.get(id)! + 1);
        // Some edits show a send time the first sight lacked (the row then learns it).
        const edited = message(id, { text: `edit ${stored.get(id)}`, sentAt: next() < 0.3 ? `2026-11-${String(1 + Math.floor(next() * 25)).padStart(2, '0')}T10:00:00.000Z` : null });
        await ingest([next() < 0.3 ? withPicture(edited, Math.floor(next() * PICTURES.length)) : edited]);
      } else if (roll < 0.6) {
        op = 'repeat';
        const id = pick([...stored.keys()]);
        const row = await db.messages.get([T, id]);
        if (row) {
          const latest = await db.versions.where('[threadId+messageId+version]').equals([T, id, row.versionCount]).first();
          await ingest([{ ...message(id), ...latest!.content, type: row.type, messageId: id, pageOrder: 0 }]);
        }
      } else if (roll < 0.75) {
        op = 'export';
        const rows = await db.messages.where('threadId').equals(T).toArray();
        if (rows.length) {
          const carried = rows.filter(() => next() < 0.8).map((m): [string, string, number] => [T, m.messageId, m.versionCount]);
          await db.exports.add(exportRow(carried, null, [T], { route: 'download', messages: rows.length }));
        }
      } else if (roll < 0.92) {
        op = 'receipt';
        const open = (await db.exports.toArray()).filter((e) => !e.receipt);
        if (open.length) await markForwarded(pick(open).id!, next() < 0.8 ? { receiptId: `r${step}` } : { kind: 'email-confirmed-by-user' });
      } else {
        op = 'purge';
        // Everything forwarded with a receipt first, or the purge is refused.
        const rows = await db.messages.where('threadId').equals(T).toArray();
        const id = await db.exports.add(exportRow(rows.map((m) => [T, m.messageId, m.versionCount]), null, [T]));
        if (next() < 0.5) expect(await threadDeadlines(NOW)).toEqual(await fromScratch());
        await markForwarded(id as number, { receiptId: `r${step}` });
        const r = (await handlePopup({ type: 'popup/purge', threadId: T })) as { ok: boolean };
        if (r.ok) {
          stored.clear();
          purged++;
        }
      }
      history.push(op);
      // Read after some steps only, so that kept tallies live across several writes.
      if (next() < 0.5 || step === 119) {
        expect(await threadDeadlines(NOW), `after ${history.join(', ')}`).toEqual(await fromScratch());
        await expectKeptCounts(`after ${history.join(', ')}`);
      }
    }
    // The history exercised every kind of step, and a purge that went through.
    expect(new Set(history)).toEqual(new Set(['new', 'edit', 'repeat', 'export', 'receipt', 'purge']));
    expect(purged).toBeGreaterThan(0);
  });
});
