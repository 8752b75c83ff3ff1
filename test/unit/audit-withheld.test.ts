/**
 * A bundle carries the audit log with entries about other conversations withheld: their details
 * (thread ids, titles in title-keyed ids, page addresses) are not in the bundle, and the verifier
 * still checks the whole chain — committed entries' time and action too.
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb, type AuditRow, type ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { exportThreads } from '../../src/background/export';
import { auditForBundle, auditScope, concerns } from '../../src/background/audit-scope';
import { MemorySink } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { readZip } from '../../cli/zip-reader';
import { GENESIS, checkChain, commitEntry, entryHash, type ChainedEntry } from '../../src/shared/audit-chain';
import type { Settings } from '../../src/background/settings';
import { webCryptoSigner } from '../helpers/signer';
import { batch, captureRow, message, thread } from './factories';

const ours = 'whatsapp:title:Budget committee';
const theirs = 'whatsapp:title:Informant Rosa';
const settings = { sourceOrganization: 'Dept. of Parks', contactName: '', contactEmail: '' } as Settings;
const now = new Date(2026, 10, 27, 12);
let db: ThreadkeeperDb;

/** An audit log as the background writes it: one plain entry from before committed entries, then committed ones. */
function auditLog(): AuditRow[] {
  const log: AuditRow[] = [];
  const plain = { seq: 1, at: '2026-10-01T09:00:00.000Z', action: 'capture-finished', details: { captureId: 'c-theirs-old', threadId: theirs }, prevHash: GENESIS };
  log.push({ ...plain, hash: entryHash(plain) });
  const add = (action: string, details: Record<string, unknown>): void => {
    const last = log[log.length - 1]!;
    log.push(commitEntry(last.seq! + 1, `2026-10-0${log.length + 1}T09:00:00.000Z`, action, details, last.hash));
  };
  add('capture-started', { captureId: 'c-ours', pageUrl: 'https://web.whatsapp.com/', adapter: 'whatsapp', mode: 'manual' });
  add('capture-started', { captureId: 'c-theirs', pageUrl: 'https://web.whatsapp.com/#rosa', adapter: 'whatsapp', mode: 'manual' });
  add('capture-finished', { captureId: 'c-theirs', threadId: theirs, mode: 'manual', status: 'complete' });
  add('settings-changed', { settings: ['autoCapture'] });
  add('export', { exportId: 7, threadIds: [theirs], scope: 'full', route: 'upload', bagName: 'threadkeeper-rosa' });
  add('upload-receipt', { exportId: 7, bagName: 'threadkeeper-rosa', receiptId: 'r-1' });
  add('message-refused', { reason: 'not from a messenger page', senderUrl: 'https://evil.example/' });
  add('capture-finished', { captureId: 'c-ours', threadId: ours, mode: 'manual', status: 'complete' });
  add('purge', { threadId: theirs, messages: 2 });
  return log;
}

beforeAll(async () => {
  db = openDb('audit-withheld');
  await db.captures.add(captureRow('c-ours', { startedAt: '2026-10-02T09:00:00.000Z', threadId: ours }));
  await ingestBatch(db, batch('c-ours', 0, [message('M1', { pageOrder: 0, text: 'Minutes attached' })], { thread: { ...thread, threadKey: 'title:Budget committee', title: 'Budget committee' } }));
});

describe('audit chain with committed entries', () => {
  const log = auditLog() as ChainedEntry[];

  it('a chain of plain then committed entries holds, whole or with entries withheld', () => {
    expect(checkChain(log)).toEqual([]);
    const scope = { threadIds: new Set([ours]), captureIds: new Set(['c-ours']), exportIds: new Set<number>() };
    const carried = auditForBundle(log, scope);
    expect(checkChain(carried)).toEqual([]);
    expect(carried.map((e) => ('withheld' in e ? 'withheld' : 'full'))).toEqual(['withheld', 'full', 'withheld', 'withheld', 'full', 'withheld', 'withheld', 'withheld', 'full', 'withheld']);
    // A withheld committed entry keeps its time and action; a withheld plain one only its hashes.
    expect(carried[2]).toEqual({ seq: 3, withheld: true, at: log[2]!.at, action: 'capture-started', detailsHash: log[2]!.detailsHash, prevHash: log[2]!.prevHash, hash: log[2]!.hash });
    expect(carried[0]).toEqual({ seq: 1, withheld: true, prevHash: GENESIS, hash: log[0]!.hash });
  });

  it('detects edited details, time or action, a withheld entry that carries details, and a removed withheld entry', () => {
    const scope = { threadIds: new Set([ours]), captureIds: new Set(['c-ours']), exportIds: new Set<number>() };
    const details = auditForBundle(log, scope);
    details[1] = { ...(details[1] as ChainedEntry), details: { captureId: 'c-other' } };
    expect(checkChain(details)).toEqual(['entry 2: its details do not match their hash (edited)']);

    const salt = auditForBundle(log, scope);
    salt[1] = { ...(salt[1] as ChainedEntry), salt: '0'.repeat(32) };
    expect(checkChain(salt)).toEqual(['entry 2: its details do not match their hash (edited)']);

    const action = auditForBundle(log, scope);
    action[2] = { ...action[2]!, action: 'settings-changed' };
    expect(checkChain(action)).toEqual(['entry 3: its content does not match its hash (edited)']);

    const time = auditForBundle(log, scope);
    time[3] = { ...time[3]!, at: '2030-01-01T00:00:00.000Z' };
    expect(checkChain(time)).toEqual(['entry 4: its content does not match its hash (edited)']);

    const leaky = auditForBundle(log, scope);
    leaky[3] = { ...leaky[3]!, details: { threadId: theirs } } as never;
    expect(checkChain(leaky)).toEqual(['entry 4: withheld, yet carries details']);

    const gap = auditForBundle(log, scope);
    gap.splice(0, 1);
    expect(checkChain(gap)).toEqual(['entry 2: expected entry 1 here (an entry is missing or out of order)', 'entry 2: does not link to the entry before it']);
  });

  it('says which entries concern a bundle: its threads, their captures and exports, and settings', () => {
    const scope = { threadIds: new Set([ours]), captureIds: new Set(['c-ours']), exportIds: new Set([9]) };
    expect(concerns({ action: 'purge', details: { threadId: ours } }, scope)).toBe(true);
    expect(concerns({ action: 'export', details: { threadIds: [theirs, ours] } }, scope)).toBe(true);
    expect(concerns({ action: 'batch-refused', details: { captureId: 'c-ours' } }, scope)).toBe(true);
    expect(concerns({ action: 'upload-receipt', details: { exportId: 9 } }, scope)).toBe(true);
    expect(concerns({ action: 'settings-changed', details: { settings: ['x'] } }, scope)).toBe(true);
    expect(concerns({ action: 'upload-receipt', details: { exportId: 7 } }, scope)).toBe(false);
    expect(concerns({ action: 'page-preserved', details: { url: 'https://x/' } }, scope)).toBe(false);
    expect(concerns({ action: 'something-new', details: {} }, scope)).toBe(false);
  });

  it('decides an entry that names a thread by that thread alone, even when it names an export of the bundle\'s thread too', () => {
    // An export of both threads together (export 9 carried ours) writes one entry per thread.
    const scope = { threadIds: new Set([ours]), captureIds: new Set(['c-ours']), exportIds: new Set([9]) };
    expect(concerns({ action: 'export', details: { exportId: 9, threadId: theirs } }, scope)).toBe(false);
    expect(concerns({ action: 'export', details: { exportId: 9, threadId: ours } }, scope)).toBe(true);
    expect(concerns({ action: 'export-failed', details: { threadId: theirs, threadsInBundle: 2 } }, scope)).toBe(false);
    expect(concerns({ action: 'capture-finished', details: { captureId: 'c-ours', threadId: theirs } }, scope)).toBe(false);
    expect(concerns({ action: 'export', details: { exportId: 9, threadIds: [theirs] } }, scope)).toBe(false);
    // A capture that kept nothing has no thread: its capture decides.
    expect(concerns({ action: 'capture-finished', details: { captureId: 'c-ours', threadId: null } }, scope)).toBe(true);
  });
});

describe('a bundle of one thread', () => {
  it('carries the other thread\'s entries withheld, and the real verifier accepts the chain', async () => {
    const log = auditLog();
    const sink = new MemorySink();
    const r = await exportThreads(db, [ours], { settings, signer: await webCryptoSigner(), softwareAgent: 'Threadkeeper test', now, sink, auditLog: log });
    const zip = sink.bytes();
    const files = readZip(zip).files;
    const report = await verifyBag(files, { pinnedKey: r.bundle.keyThumbprint });
    expect(report.problems).toEqual([]);
    const text = new TextDecoder().decode(files.get(`${r.bundle.bagName}/data/audit-log.jsonl`)!);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(log.length);
    for (const secret of ['Informant Rosa', 'c-theirs', '#rosa', 'threadkeeper-rosa', 'r-1', 'evil.example']) expect(text).not.toContain(secret);
    // What concerns this thread is there in full.
    expect(lines.filter((l) => !l.withheld).map((l) => l.action)).toEqual(['capture-started', 'settings-changed', 'capture-finished']);
    expect(text).toContain(ours);

    // The scope comes from the database: this thread's captures.
    expect(await auditScope(db, [ours])).toEqual({ threadIds: new Set([ours]), captureIds: new Set(['c-ours']), exportIds: new Set() });
  });

  it('a bundle whose withheld entry was edited before signing is reported invalid', async () => {
    const log = auditLog();
    // Someone with the database changed the time of an entry about the other thread.
    log[3] = { ...log[3]!, at: '2026-12-31T00:00:00.000Z' };
    const sink = new MemorySink();
    await exportThreads(db, [ours], { settings, signer: await webCryptoSigner(), softwareAgent: 'Threadkeeper test', now, sink, auditLog: log });
    const report = await verifyBag(readZip(sink.bytes()).files);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.message)).toContain('audit log chain broken: entry 4: its content does not match its hash (edited)');
  });
});
