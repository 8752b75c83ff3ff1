/**
 * The ingest benchmark's workload (scripts/lib/ingest-workload.ts) stays runnable: `npm run bench`
 * runs it in Chromium, which the tests do not; here it runs on fake-indexeddb with a few batches.
 * It checks itself (every batch new, every row written by both sides); this test checks it
 * measured what it says.
 */
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { BATCH_SIZE, ingestRounds } from '../../scripts/lib/ingest-workload';

describe('ingest benchmark workload', () => {
  it('times ingestBatch and a bulkPut of the same rows, on fresh databases of the engine it is given', async () => {
    const lines: string[] = [];
    const n = 3 * BATCH_SIZE;
    const r = await ingestRounds({ indexedDB, IDBKeyRange }, n, 2, (line) => lines.push(line));
    expect(r.ingest.map((t) => t.messages)).toEqual([n, n]);
    expect(r.bulkPut.map((t) => t.messages)).toEqual([n, n]);
    for (const t of [...r.ingest, ...r.bulkPut]) expect(t.rate).toBeCloseTo(n / t.seconds, 6);
    expect(r.ratio).toBeCloseTo(r.ingestRate / r.bulkPutRate, 9);
    expect(lines).toHaveLength(4);
    // Each round's databases are deleted afterwards: nothing of the benchmark is left behind.
    expect((await indexedDB.databases()).filter((d) => d.name?.startsWith('tk-bench-'))).toEqual([]);
  });
});
