/**
 * Benchmark part: an attachment over 24 MiB (sent in 8 MiB parts, put together in the worker).
 *
 *  - Threadkeeper: Preserve thread on the long WhatsApp fixture (200 messages, one picture),
 *    once with the picture padded to `MiB` (`big=`), once without, each in a fresh browser with
 *    dist/ loaded, alternating; rate = the padded file's bytes / (padded time − plain time), so
 *    the chat's own capture is left out.
 *  - Baseline: storing the same number of bytes in the extension's IndexedDB with one put, in
 *    the worker (bytes made there): the floor of keeping the file at all.
 * No target: the issue sets none; the line shows what a large file costs and whether it changes.
 */
import type { Worker } from 'playwright-core';
import { startFixtureServer } from './lib/fixture-server';
import { launchWithExtension } from './lib/browser';
import { longThreadPage } from '../test/fixtures/long-thread/whatsapp-long-thread';
import { preserveInPopup } from '../test/e2e/helpers';
import { median } from './lib/stats';

export interface LargeAttachmentBench {
  mib: number;
  rounds: number;
  /** Preserve thread, seconds, with and without the large file. */
  withFile: number[];
  without: number[];
  /** Seconds the large file added (median with − median without). */
  addedSeconds: number;
  rate: number;
  /** The worker storing the same bytes with one put: seconds per round, and MB/s of the median. */
  putSeconds: number[];
  putRate: number;
  ratio: number;
  result: string;
}

const MiB = 1024 * 1024;

/** One put of `bytes` random bytes into a scratch store of its own database, in the worker; seconds. */
function putInWorker(worker: Worker, bytes: number): Promise<number> {
  return worker.evaluate(async (n) => {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(data.subarray(i, Math.min(n, i + 65536)));
    const open = indexedDB.open('tk-bench-large', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('files');
    const db: IDBDatabase = await new Promise((res, rej) => {
      open.onsuccess = () => res(open.result);
      open.onerror = () => rej(open.error);
    });
    try {
      const t0 = performance.now();
      await new Promise<void>((res, rej) => {
        const tx = db.transaction('files', 'readwrite');
        tx.objectStore('files').put(data, 'file');
        tx.oncomplete = () => res();
        tx.onerror = () => rej(tx.error);
      });
      return (performance.now() - t0) / 1000;
    } finally {
      db.close();
      indexedDB.deleteDatabase('tk-bench-large');
    }
  }, bytes);
}

export async function largeAttachmentBench(mib: number, rounds: number, log: (line: string) => void): Promise<LargeAttachmentBench> {
  const server = await startFixtureServer(['web.whatsapp.com']);
  server.route('web.whatsapp.com', '/', { body: longThreadPage() });
  const withFile: number[] = [];
  const without: number[] = [];
  const putSeconds: number[] = [];
  let result = '';
  let fileBytes = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const big of [0, mib]) {
        const b = await launchWithExtension(server);
        try {
          const chat = await b.context.newPage();
          await chat.goto(`https://web.whatsapp.com/?n=200&media=199&initial=200&cached=200&big=${big}`);
          await chat.waitForSelector('#main [role=row]');
          if (big > 0) {
            fileBytes = await chat.evaluate(async () => {
              const imgs = [...document.querySelectorAll<HTMLImageElement>('#main img[src^="blob:"]')];
              return (await (await fetch(imgs[imgs.length - 1]!.src)).blob()).size;
            });
          }
          const popup = await b.openPopup(await b.tabIdOf(chat));
          const t0 = performance.now();
          const shown = await preserveInPopup(popup, 600_000);
          const seconds = (performance.now() - t0) / 1000;
          if (!shown.result.includes('Kept: 200 messages, 1 attachment')) throw new Error(`unexpected capture result: ${shown.result}`);
          (big > 0 ? withFile : without).push(seconds);
          if (big > 0) {
            result = shown.result;
            putSeconds.push(await putInWorker(b.worker, fileBytes));
          }
          log(`  round ${round + 1}, ${big > 0 ? `${big} MiB picture` : 'no large file'}: ${seconds.toFixed(2)} s${big > 0 ? `; one put of the same bytes in the worker ${putSeconds.at(-1)!.toFixed(2)} s` : ''}`);
        } finally {
          await b.close();
        }
      }
    }
  } finally {
    await server.close();
  }
  const addedSeconds = median(withFile) - median(without);
  const rate = fileBytes / MiB / addedSeconds;
  const putRate = fileBytes / MiB / median(putSeconds);
  return { mib, rounds, withFile, without, addedSeconds, rate, putSeconds, putRate, ratio: rate / putRate, result };
}
