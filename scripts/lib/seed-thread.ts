/**
 * Seeds the built extension's database, through its service worker, with one preserved WhatsApp
 * thread of n synthetic messages (the long-thread fixture's content, as the benchmarks use) and
 * `files` attachments of `fileBytes` pseudo-random bytes each (incompressible, like media), in
 * the rows and shapes ingest writes. The attachments are made and stored inside the worker one
 * at a time (no megabytes cross the test protocol); the message rows are sent in batches.
 * Shared by test/e2e/export-large.test.ts and scripts/bench-export.ts.
 */
import type { Worker } from 'playwright-core';
import type { MessageRow, VersionRow } from '../../src/db/schema';
import { threadIdOf } from '../../src/background/ingest';
import { benchThread, pictureRef, SEEDED_AT, seededThreadRows, storedRows, syntheticMessages } from './ingest-workload';

export interface SeededThread {
  threadId: string;
  messages: number;
  attachments: number;
  attachmentBytes: number;
}

/** Makes and stores attachment `index` in the worker; returns its SHA-256. Runs in the service worker. */
async function storeAttachmentInWorker([index, size, at]: [number, number, string]): Promise<string> {
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer, 0, size >>> 2);
  let s = (index + 1) * 0x9e3779b1;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    words[i] = s >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) bytes[i] = index & 0xff;
  // No named helpers in here: this function runs in the worker as its own source, without
  // imports (a `const f = () => …` would make tsx insert a helper the worker does not have).
  const sha256 = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  // As ingest stores them (AttachmentRow): the SHA-512 and CRC-32 of the bytes.
  const sha512 = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-512', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  let crc = ~0;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  const crc32 = ~crc >>> 0;
  const open = indexedDB.open('threadkeeper');
  const db: IDBDatabase = await new Promise((res, rej) => {
    open.onsuccess = () => res(open.result);
    open.onerror = () => rej(open.error);
  });
  const tx = db.transaction('attachments', 'readwrite');
  tx.objectStore('attachments').put({ sha256, mediaType: 'image/jpeg', size, bytes, firstSeenAt: at, sha512, crc32 });
  await new Promise((res, rej) => {
    tx.oncomplete = res;
    tx.onerror = () => rej(tx.error);
  });
  db.close();
  return sha256;
}

/** Puts rows into stores in one transaction. Runs in the service worker. */
async function putRowsInWorker(rows: [store: string, values: unknown[]][]): Promise<void> {
  const open = indexedDB.open('threadkeeper');
  const db: IDBDatabase = await new Promise((res, rej) => {
    open.onsuccess = () => res(open.result);
    open.onerror = () => rej(open.error);
  });
  const tx = db.transaction(rows.map(([s]) => s), 'readwrite');
  for (const [store, values] of rows) for (const v of values) tx.objectStore(store).put(v);
  await new Promise((res, rej) => {
    tx.oncomplete = res;
    tx.onerror = () => rej(tx.error);
  });
  db.close();
}

export async function seedThread(worker: Worker, opts: { messages: number; files: number; fileBytes: number }, log: (line: string) => void = () => undefined): Promise<SeededThread> {
  const threadId = threadIdOf('whatsapp', benchThread.threadKey);
  const hashes: string[] = [];
  for (let i = 0; i < opts.files; i++) {
    hashes.push(await worker.evaluate(storeAttachmentInWorker, [i, opts.fileBytes, SEEDED_AT] as [number, number, string]));
    if ((i + 1) % 50 === 0) log(`  seeded ${i + 1} of ${opts.files} attachments`);
  }

  const messages = syntheticMessages(opts.messages);
  const every = Math.max(1, Math.floor(opts.messages / Math.max(1, opts.files)));
  let next = 0;
  const BATCH = 2000;
  for (let start = 0; start < messages.length; start += BATCH) {
    const rows: MessageRow[] = [];
    const versions: VersionRow[] = [];
    for (const [j, m] of messages.slice(start, start + BATCH).entries()) {
      const i = start + j;
      if (i % every === every - 1 && next < hashes.length) m.attachments = [pictureRef(hashes[next++]!, opts.fileBytes)];
      const { row, version } = storedRows(m, threadId, 'seed', i + 1);
      rows.push(row);
      versions.push(version);
    }
    await worker.evaluate(putRowsInWorker, [['messages', rows], ['versions', versions]] as [string, unknown[]][]);
  }
  if (next !== opts.files) throw new Error(`attached ${next} of ${opts.files} attachments: too few messages`);

  const { thread, capture } = seededThreadRows(threadId, 'seed', opts.messages, opts.files);
  await worker.evaluate(putRowsInWorker, [['threads', [thread]], ['captures', [capture]]] as [string, unknown[]][]);
  log(`  seeded ${opts.messages} messages and ${opts.files} attachments of ${opts.fileBytes} bytes`);
  return { threadId, messages: opts.messages, attachments: opts.files, attachmentBytes: opts.files * opts.fileBytes };
}
