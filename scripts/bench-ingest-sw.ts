/**
 * The service worker of the ingest benchmark's own extension (built by scripts/bench-ingest.ts
 * into dist-bench/ingest/, never shipped): the ingest workload, bundled with the real
 * `ingestBatch`, Dexie and the extension's schema, run on Chromium's IndexedDB in an extension
 * service worker, where the shipped extension's ingest runs. The benchmark calls
 * `tkIngestBench` through the worker's DevTools session.
 */
import { ingestRounds, type IngestBench } from './lib/ingest-workload';

declare global {
  // eslint-disable-next-line no-var
  var tkIngestBench: (n: number, rounds: number) => Promise<{ result: IngestBench; lines: string[] }>;
}

globalThis.tkIngestBench = async (n, rounds) => {
  const lines: string[] = [];
  const result = await ingestRounds({ indexedDB, IDBKeyRange }, n, rounds, (line) => lines.push(line));
  return { result, lines };
};
