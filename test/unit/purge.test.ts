/**
 * Purge (the dashboard's, through the background's handler): a thread forwarded with a receipt
 * leaves the database, and its attachment bytes go with it unless another thread still refers to
 * the same file.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/quiet-browser')).quietBrowser }));

const { db } = await import('../../src/background/context');
const { ingestBatch } = await import('../../src/background/ingest');
const { markForwarded } = await import('../../src/background/exporter');
const { handlePopup } = await import('../../src/background/handlers');
const { batch, captureRow, exportRow, message, thread } = await import('./factories');
const { bytesToBase64, sha256Hex } = await import('../../src/shared/bytes');

const files = await Promise.all(['shared', 'only first', 'only second'].map(async (name) => {
  const bytes = new TextEncoder().encode(`picture: ${name}`);
  return { name, bytes, sha256: await sha256Hex(bytes) };
}));

/** A thread with one message per picture, each picture's bytes sent with the batch. */
async function capture(key: string, pictures: typeof files): Promise<string> {
  const id = `c-${key}`;
  await db.captures.add(captureRow(id));
  await ingestBatch(db, batch(id, 0, pictures.map((p, i) => message(`${key}-${i}`, {
    attachments: [{ kind: 'image', originalName: `${p.name}.png`, mediaType: 'image/png', sha256: p.sha256, size: p.bytes.length, missingReason: null, thumbnail: false }],
  })), { thread: { ...thread, threadKey: key, title: key }, blobs: pictures.map((p) => ({ sha256: p.sha256, mediaType: 'image/png', base64: bytesToBase64(p.bytes) })) }));
  return `whatsapp:${key}`;
}

/** Every message of the thread carried by an export that got a receipt. */
async function forward(threadId: string): Promise<void> {
  const rows = await db.messages.where('threadId').equals(threadId).toArray();
  const id = await db.exports.add(exportRow(rows.map((m) => [threadId, m.messageId, m.versionCount]), null, [threadId]));
  await markForwarded(id as number, { receiptId: `r-${threadId}` });
}

async function stored(): Promise<string[]> {
  const kept = new Set(await db.attachments.toCollection().primaryKeys());
  return files.filter((f) => kept.has(f.sha256)).map((f) => f.name);
}

describe('purge', () => {
  it('keeps a file another thread still refers to, and lets it go with the last thread that does', async () => {
    const first = await capture('first', [files[0]!, files[1]!]);
    const second = await capture('second', [files[0]!, files[2]!]);
    expect(await stored()).toEqual(['shared', 'only first', 'only second']);

    expect(await handlePopup({ type: 'popup/purge', threadId: first })).toMatchObject({ ok: false });
    expect(await stored()).toEqual(['shared', 'only first', 'only second']);

    await forward(first);
    expect(await handlePopup({ type: 'popup/purge', threadId: first })).toMatchObject({ ok: true, messages: 2 });
    expect(await db.messages.where('threadId').equals(first).count()).toBe(0);
    expect(await db.versions.where('threadId').equals(first).count()).toBe(0);
    expect(await stored()).toEqual(['shared', 'only second']);

    await forward(second);
    expect(await handlePopup({ type: 'popup/purge', threadId: second })).toMatchObject({ ok: true, messages: 2 });
    expect(await stored()).toEqual([]);
  });
});
