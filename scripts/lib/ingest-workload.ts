/**
 * The ingest benchmark's workload, with no storage engine of its own: the real `ingestBatch`
 * (src/background/ingest.ts) on synthetic WhatsApp messages in batches of 200 (the content
 * runner's batch size), against a plain Dexie `bulkPut` of the very rows ingest wrote (message
 * rows and their version rows, one transaction per 200), on fresh databases with the
 * extension's schema, alternating, in the same run.
 *
 * `scripts/bench-ingest.ts` runs it inside Chromium, in an extension service worker on
 * Chromium's own IndexedDB (bundled by `scripts/bench-ingest-sw.ts`); the other benchmark parts
 * use the synthetic messages and rows to seed threads.
 */
import { openDb, type CaptureRow, type MessageRow, type ThreadkeeperDb, type ThreadRow, type VersionRow } from '../../src/db/schema';
import { contentOf, fingerprintOf, ingestBatch } from '../../src/background/ingest';
import type { CapturedAttachmentRef, CapturedMessage, CapturedThread } from '../../src/shared/model';
import type { ContentBatch } from '../../src/shared/protocol';
import { expectedMessages, LONG_THREAD_PEOPLE, LONG_THREAD_TITLE } from '../../test/fixtures/long-thread/whatsapp-long-thread';
import { captureRow } from '../../test/unit/factories';
import { median } from './stats';

export const BATCH_SIZE = 200;

export const benchThread: CapturedThread = {
  threadKey: `title:${LONG_THREAD_TITLE}`,
  title: LONG_THREAD_TITLE,
  kind: 'group',
  participants: [...LONG_THREAD_PEOPLE.map((name) => ({ name, self: false })), { name: 'You', self: true }],
};

/** n messages shaped as the WhatsApp adapter sends them (the long-thread fixture's content, no pictures). */
export function syntheticMessages(n: number): CapturedMessage[] {
  return expectedMessages({ n, media: 0 }).map((e, i) => ({
    messageId: e.messageId,
    type: 'message',
    sender: e.sender,
    fromSelf: e.fromSelf,
    sentAt: e.sentAt,
    sentAtText: e.sentAtText,
    text: e.text,
    links: e.links,
    deleted: false,
    edited: false,
    forwarded: false,
    quote: e.quote ? { author: e.quote.author, text: e.quote.text, messageId: null } : null,
    reactions: i % 23 === 4 ? [{ emoji: '👍', count: 2 }] : [],
    attachments: [],
    direction: null,
    pageOrder: i,
  }));
}

/** A running manual capture record, as the background creates one (the tests' factory, named for the benchmark). */
export function runningCapture(id: string): CaptureRow {
  return captureRow(id, { browser: 'bench' });
}

/** When the seeded threads were captured. */
export const SEEDED_AT = '2026-03-02T10:00:00.000Z';

/** A picture of `size` bytes, as a synthetic message carries it. */
export function pictureRef(sha256: string, size: number): CapturedAttachmentRef {
  return { kind: 'image', originalName: null, mediaType: 'image/jpeg', sha256, size, missingReason: null, thumbnail: false };
}

/** A synthetic message as the database keeps it after one capture: its row and its one version (row id `versionId`). */
export function storedRows(m: CapturedMessage, threadId: string, captureId: string, versionId: number): { row: MessageRow; version: VersionRow } {
  const content = contentOf(m);
  const fingerprint = fingerprintOf(content);
  return {
    row: {
      threadId, messageId: m.messageId, type: m.type, sentAt: m.sentAt, firstSeenAt: SEEDED_AT, lastSeenAt: SEEDED_AT, firstPageOrder: m.pageOrder,
      firstCaptureId: captureId, versionCount: 1, latestFingerprint: fingerprint, carriedVersion: 0, forwardedVersion: 0, forwardedAt: null,
    },
    version: { id: versionId, threadId, messageId: m.messageId, version: 1, kind: 'original', observedAt: SEEDED_AT, captureId, fingerprint, content },
  };
}

/** The benchmark thread's row and the one complete capture that kept its `messages` and `attachments`. */
export function seededThreadRows(threadId: string, captureId: string, messages: number, attachments: number): { thread: ThreadRow; capture: CaptureRow } {
  const at = SEEDED_AT;
  return {
    thread: {
      id: threadId, platform: 'whatsapp', threadKey: benchThread.threadKey, title: benchThread.title, kind: benchThread.kind,
      participants: benchThread.participants, firstCapturedAt: at, lastCapturedAt: at, bundles: [],
    },
    capture: {
      ...runningCapture(captureId), threadId, startedAt: at, finishedAt: at, status: 'complete', reachedBeginning: true, phase: null, endReason: 'beginning',
      counts: { messages, events: 0, newMessages: messages, newEvents: 0, newVersions: 0, attachments, attachmentsMissing: 0 },
    },
  };
}

/** Where the databases live: a factory and key ranges of one IndexedDB implementation. */
export interface IndexedDbEngine {
  indexedDB: IDBFactory;
  IDBKeyRange: typeof IDBKeyRange;
}

let dbCounter = 0;
function freshDb(engine: IndexedDbEngine, label: string): ThreadkeeperDb {
  return openDb(`tk-bench-${label}-${Date.now()}-${dbCounter++}`, engine.indexedDB, engine.IDBKeyRange);
}

async function drop(db: ThreadkeeperDb): Promise<void> {
  db.close();
  await db.delete().catch(() => undefined);
}

export interface TimedWrite {
  messages: number;
  seconds: number;
  rate: number;
}

/** ingestBatch over `messages` in batches of 200; returns the timing and the rows it wrote. */
async function timeIngest(engine: IndexedDbEngine, messages: CapturedMessage[]): Promise<{ timing: TimedWrite; rows: { messages: MessageRow[]; versions: VersionRow[] } }> {
  const db = freshDb(engine, 'ingest');
  try {
    await db.open();
    await db.captures.add(runningCapture('bench'));
    const t0 = performance.now();
    for (let seq = 0; seq * BATCH_SIZE < messages.length; seq++) {
      const batch: ContentBatch = {
        type: 'content/batch', captureId: 'bench', adapter: 'whatsapp', seq, thread: benchThread,
        messages: messages.slice(seq * BATCH_SIZE, (seq + 1) * BATCH_SIZE), blobs: [],
      };
      const r = await ingestBatch(db, batch);
      if (r.duplicateBatch || r.newMessages !== batch.messages.length) throw new Error(`ingest batch ${seq}: ${JSON.stringify(r)}`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const rows = { messages: await db.messages.toArray(), versions: await db.versions.toArray() };
    if (rows.messages.length !== messages.length || rows.versions.length !== messages.length) {
      throw new Error(`ingest wrote ${rows.messages.length} messages and ${rows.versions.length} versions, expected ${messages.length} of each`);
    }
    return { timing: { messages: messages.length, seconds, rate: messages.length / seconds }, rows };
  } finally {
    await drop(db);
  }
}

/** Dexie bulkPut of the same rows, one transaction per 200 messages (their message and version rows). */
async function timeBulkPut(engine: IndexedDbEngine, rows: { messages: MessageRow[]; versions: VersionRow[] }): Promise<TimedWrite> {
  const db = freshDb(engine, 'bulkput');
  try {
    await db.open();
    const versions = rows.versions.map(({ id: _id, ...v }) => v as VersionRow);
    const t0 = performance.now();
    for (let i = 0; i < rows.messages.length; i += BATCH_SIZE) {
      await db.transaction('rw', [db.messages, db.versions], async () => {
        await db.messages.bulkPut(rows.messages.slice(i, i + BATCH_SIZE));
        await db.versions.bulkPut(versions.slice(i, i + BATCH_SIZE));
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    const [m, v] = [await db.messages.count(), await db.versions.count()];
    if (m !== rows.messages.length || v !== rows.versions.length) throw new Error(`bulkPut wrote ${m} messages and ${v} versions, expected ${rows.messages.length} of each`);
    return { messages: rows.messages.length, seconds, rate: rows.messages.length / seconds };
  } finally {
    await drop(db);
  }
}

export interface IngestBench {
  n: number;
  rounds: number;
  ingest: TimedWrite[];
  bulkPut: TimedWrite[];
  ingestRate: number;
  bulkPutRate: number;
  ratio: number;
  /** Median seconds to fingerprint all n messages alone (the hashing step of ingestBatch), for the breakdown. */
  fingerprintSeconds: number;
}


/** Alternates ingest and bulkPut `rounds` times on fresh databases of `engine`; rates are medians. */
export async function ingestRounds(engine: IndexedDbEngine, n: number, rounds: number, log: (line: string) => void): Promise<IngestBench> {
  const messages = syntheticMessages(n);
  const ingest: TimedWrite[] = [];
  const bulkPut: TimedWrite[] = [];
  const fingerprints: number[] = [];
  const fmt = (t: TimedWrite) => `${t.messages} messages in ${t.seconds.toFixed(2)} s = ${t.rate.toFixed(0)}/s`;
  // Warm-up (JIT, the engine's first database), not timed.
  await timeBulkPut(engine, (await timeIngest(engine, messages.slice(0, 2 * BATCH_SIZE))).rows);
  for (let r = 0; r < rounds; r++) {
    const f0 = performance.now();
    for (const m of messages) fingerprintOf(contentOf(m));
    fingerprints.push((performance.now() - f0) / 1000);
    const { timing, rows } = await timeIngest(engine, messages);
    ingest.push(timing);
    log(`  round ${r + 1}: ingestBatch ${fmt(timing)}`);
    const put = await timeBulkPut(engine, rows);
    bulkPut.push(put);
    log(`  round ${r + 1}: bulkPut     ${fmt(put)}`);
  }
  const ingestRate = median(ingest.map((t) => t.rate));
  const bulkPutRate = median(bulkPut.map((t) => t.rate));
  return { n, rounds, ingest, bulkPut, ingestRate, bulkPutRate, ratio: ingestRate / bulkPutRate, fingerprintSeconds: median(fingerprints) };
}
