/** The verifier checks the hash chain of the audit log a bundle carries, even in a correctly signed bag. */
import { afterEach, describe, expect, it } from 'vitest';
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

  describe('read a line at a time', () => {
    const realDecode = TextDecoder.prototype.decode;
    afterEach(() => {
      TextDecoder.prototype.decode = realDecode;
    });

    it('never as one string of the whole log, which V8 caps at about 512 MiB', async () => {
      const bag = await bagWith(log(200));
      const logBytes = bag.get('b/data/audit-log.jsonl')!.length;
      expect(logBytes).toBeGreaterThan(20_000);
      // V8's limit, scaled down: no decode of more than 4 KiB (every other file of this bag is smaller).
      TextDecoder.prototype.decode = function (this: TextDecoder, input?: AllowSharedBufferSource, options?: TextDecodeOptions) {
        if (input && input.byteLength > 4096) throw new RangeError('Invalid string length');
        return realDecode.call(this, input, options);
      };
      expect((await verifyBag(bag)).problems).toEqual([]);
    });

    it('says what is wrong: a line that is not JSON and bytes that are not UTF-8 as before, and now a byte order mark (which the decoder used to strip)', async () => {
      const bag = await bagWith(log(3));
      const path = 'b/data/audit-log.jsonl';
      const lines = new TextDecoder().decode(bag.get(path)).split('\n');
      const enc = new TextEncoder();
      const withLog = (bytes: Uint8Array) => unsignedProblems(new Map(bag).set(path, bytes), path);
      expect(await withLog(enc.encode([lines[0], 'not json', lines[1], lines[2], ''].join('\n')))).toEqual(['line 2 is not JSON']);
      expect(await withLog(new Uint8Array([...enc.encode(lines[0] + '\n'), 0xc3, 0x28, 0x0a]))).toEqual(['not UTF-8 text']);
      expect(await withLog(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(lines.join('\n'))]))).toEqual(['not UTF-8 text']);
    });
  });
});

/** The audit log's own problems when `bag` carries changed bytes for it (its manifest line no longer matching is left out). */
async function unsignedProblems(bag: Map<string, Uint8Array>, path: string): Promise<string[]> {
  return (await verifyBag(bag)).problems.filter((p) => p.file === path && !/SHA-512|checksum|manifest|Oxum/i.test(p.message)).map((p) => p.message);
}
