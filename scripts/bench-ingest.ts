/**
 * Benchmark part 2: background ingest, in Chromium. The workload (scripts/lib/ingest-workload.ts:
 * the real `ingestBatch` against a plain Dexie `bulkPut` of the rows it wrote) runs in the service
 * worker of a small extension made for the benchmark alone: the workload bundled by Vite into
 * dist-bench/ingest/ with a manifest that asks for no permission. The shipped extension has no
 * hook for it (its bundled `ingestBatch` cannot be reached from outside, and a MV3 service worker
 * cannot import a module at run time); this one runs the same source in the same kind of worker,
 * on Chromium's own IndexedDB (a database per round, deleted after it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'vite';
import { startFixtureServer } from './lib/fixture-server';
import { launchWithExtension } from './lib/browser';
import type { IngestBench } from './lib/ingest-workload';

export { BATCH_SIZE, type IngestBench } from './lib/ingest-workload';

const OUT = resolve('dist-bench/ingest');

/** Bundles the workload into a service worker and writes the extension's manifest. */
async function buildIngestExtension(): Promise<string> {
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: OUT,
      emptyOutDir: true,
      target: 'chrome120',
      minify: false,
      sourcemap: false,
      lib: { entry: resolve('scripts/bench-ingest-sw.ts'), formats: ['es'], fileName: () => 'sw.js' },
    },
  });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(
    resolve(OUT, 'manifest.json'),
    JSON.stringify({ manifest_version: 3, name: 'Threadkeeper ingest benchmark', version: '0.0.0', background: { service_worker: 'sw.js', type: 'module' } }, null, 2),
  );
  return OUT;
}

export async function ingestBench(n: number, rounds: number, log: (line: string) => void): Promise<IngestBench> {
  const dist = await buildIngestExtension();
  const server = await startFixtureServer([]);
  const b = await launchWithExtension(server, { dist });
  try {
    const { result, lines } = await b.worker.evaluate(
      ([count, times]) => globalThis.tkIngestBench(count, times),
      [n, rounds] as [number, number],
    );
    lines.forEach((line) => log(line));
    return result;
  } finally {
    await b.close().catch(() => undefined);
    await server.close();
  }
}
