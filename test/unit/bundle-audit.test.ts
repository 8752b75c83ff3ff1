/** The verifier checks the hash chain of the audit log a bundle carries, even in a correctly signed bag. */
import { describe, expect, it } from 'vitest';
import { writeBundle } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { GENESIS, entryHash, type ChainedEntry } from '../../src/shared/audit-chain';
import { unzipAll } from '../helpers/zip';
import { webCryptoSigner } from '../helpers/signer';


function log(n: number): ChainedEntry[] {
  let prevHash = GENESIS;
  return Array.from({ length: n }, (_, i) => {
    const e = { seq: i + 1, at: '2026-11-26T00:00:00.000Z', action: 'capture-finished', details: { i }, prevHash };
    prevHash = entryHash(e);
    return { ...e, hash: prevHash };
  });
}

async function bagWith(entries: ChainedEntry[]): Promise<Map<string, Uint8Array>> {
  const enc = new TextEncoder();
  const { zip } = await writeBundle({
    bagName: 'b',
    signer: await webCryptoSigner(),
    info: { externalIdentifier: 'urn:x', baggingDate: '2026-11-26', softwareAgent: 'test' },
    payload: [
      { path: 'audit-log.jsonl', bytes: enc.encode(entries.map((e) => JSON.stringify(e)).join('\n') + '\n') },
      { path: 'threads/t/thread.json', bytes: enc.encode(JSON.stringify({ messages: [], attachments: [] })) },
    ],
  });
  return unzipAll(zip);
}

describe('audit log in a bundle', () => {
  it('an unbroken chain verifies', async () => {
    expect((await verifyBag(await bagWith(log(4)))).problems).toEqual([]);
  });

  it('an entry edited or removed before signing is reported, naming the file', async () => {
    const edited = log(4);
    edited[2] = { ...edited[2]!, action: 'nothing-to-see' };
    const r1 = await verifyBag(await bagWith(edited));
    expect(r1.ok).toBe(false);
    expect(r1.problems).toContainEqual({ file: 'b/data/audit-log.jsonl', message: 'audit log chain broken: entry 3: its content does not match its hash (edited)' });
    const gap = log(4);
    gap.splice(1, 1);
    const r2 = await verifyBag(await bagWith(gap));
    expect(r2.problems.map((p) => p.message).join(' ')).toMatch(/entry 3: expected entry 2/);
  });
});
