import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openDb, type ThreadkeeperDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { loadThreadRows } from '../../src/background/export';
import { attachmentFileName, buildThreadRecord, renderThreadFiles } from '../../src/bundle/thread-record';
import { csvCell } from '../../src/bundle/csv';
import { bytesToBase64, sha256Hex } from '../../src/shared/bytes';
import { batch, captureRow, message } from './factories';

let db: ThreadkeeperDb;
const threadId = 'whatsapp:120363025246125244@g.us';
const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 9, 9]);
let pngSha: string;

beforeAll(async () => {
  db = openDb('thread-record');
  pngSha = await sha256Hex(png);
  await db.captures.bulkAdd([captureRow('c1', { startedAt: '2026-10-01T10:00:00.000Z' }), captureRow('c2', { startedAt: '2026-10-02T10:00:00.000Z' })]);
  const image = { kind: 'image' as const, originalName: 'site plan.png', mediaType: 'image/png', sha256: pngSha, size: png.length, missingReason: null, thumbnail: false };
  const doc = { kind: 'document' as const, originalName: '../../etc/passwd', mediaType: null, sha256: null, size: null, missingReason: 'not downloaded in the page', thumbnail: false };
  await ingestBatch(db, batch('c1', 0, [
    message('E1', { type: 'event', sender: null, text: 'Ana created group "Permits"', sentAt: null, sentAtText: null, pageOrder: 0 }),
    message('M2', { text: 'second', sentAt: '2026-09-28T10:31:00-04:00', pageOrder: 2 }),
    message('M1', { text: 'first <b>bold</b>', sentAt: '2026-09-28T10:30:00-04:00', pageOrder: 1, attachments: [image] }),
    message('M3', { text: '=HYPERLINK("http://evil")', sentAt: '2026-09-28T10:31:00-04:00', pageOrder: 3, attachments: [doc], truncated: true }),
  ], { blobs: [{ sha256: pngSha, mediaType: 'image/png', base64: bytesToBase64(png) }] }));
  await ingestBatch(db, batch('c2', 0, [message('M2', { text: 'This message was deleted', deleted: true, sentAt: '2026-09-28T10:31:00-04:00' })]));
});

describe('thread record', () => {
  it('orders by send time, keeping page order for equal minutes and events in place', async () => {
    const record = buildThreadRecord(await loadThreadRows(db, threadId));
    expect(record.messages.map((m) => m.id)).toEqual(['E1', 'M1', 'M2', 'M3']);
  });

  it('keeps every version, newest on top, and names attachments safely', async () => {
    const record = buildThreadRecord(await loadThreadRows(db, threadId));
    const m2 = record.messages.find((m) => m.id === 'M2')!;
    expect(m2.deleted).toBe(true);
    expect(m2.versions.map((v) => [v.kind, v.text])).toEqual([['original', 'second'], ['deleted', 'This message was deleted']]);
    expect(record.attachments[0]).toMatchObject({ path: attachmentFileName(pngSha, 'image/png'), originalName: 'site plan.png', messageIds: ['M1'] });
    expect(record.attachments[0]!.path).toMatch(/^attachments\/[0-9a-f]{16}\.png$/);
    expect(record.attachments[1]).toMatchObject({ path: null, originalName: '../../etc/passwd', missingReason: 'not downloaded in the page' });
    expect(record.captures.map((c) => c.id)).toEqual(['c1', 'c2']);
  });

  it('matches the published JSON Schema', async () => {
    const record = buildThreadRecord(await loadThreadRows(db, threadId));
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync('docs/thread.schema.json', 'utf8')));
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...record, messages: [{ ...record.messages[0], extra: 1 }] })).toBe(false);
  });

  it('renders the same bytes for the same rows', async () => {
    const a = await renderThreadFiles(await loadThreadRows(db, threadId));
    const b = await renderThreadFiles(await loadThreadRows(db, threadId));
    expect(a.files.map((f) => f.path)).toEqual(['thread.json', 'transcript.html', 'messages.csv', a.record.attachments[0]!.path]);
    expect(a.files.map((f) => Buffer.from(f.bytes).toString('base64'))).toEqual(b.files.map((f) => Buffer.from(f.bytes).toString('base64')));
  });

  it('escapes scraped text in the transcript and marks deletions with the earlier text', async () => {
    const { files } = await renderThreadFiles(await loadThreadRows(db, threadId));
    const html = Buffer.from(files.find((f) => f.path === 'transcript.html')!.bytes).toString('utf8');
    expect(html).toContain('first &lt;b&gt;bold&lt;/b&gt;');
    expect(html).not.toContain('<b>bold');
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(html).toContain('deleted by sender');
    expect(html).toContain('second');
    expect(html).toContain('not preserved (<bdi>not downloaded in the page</bdi>)');
  });

  it('neutralises spreadsheet formulas in the CSV', async () => {
    const { files } = await renderThreadFiles(await loadThreadRows(db, threadId));
    const csv = Buffer.from(files.find((f) => f.path === 'messages.csv')!.bytes).toString('utf8');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    // The last column says which message the page showed cut short.
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]!.split(',').at(-1)).toBe('truncated');
    expect(lines.slice(1).map((l) => [l.split(',')[1], l.split(',').at(-1)])).toEqual([['E1', 'false'], ['M1', 'false'], ['M2', 'false'], ['M3', 'true']]);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('plain')).toBe('plain');
  });
});

describe('incremental exports', () => {
  it('carry only messages with a version no earlier bundle carried, and name the earlier bundles', async () => {
    await db.messages.where('[threadId+messageId]').anyOf([[threadId, 'E1'], [threadId, 'M1'], [threadId, 'M3']]).modify({ carriedVersion: 1 });
    await db.messages.where('[threadId+messageId]').equals([threadId, 'M2']).modify({ carriedVersion: 1 });
    await db.threads.update(threadId, { bundles: ['urn:threadkeeper:bundle:first'] });
    // M2 has two versions (original, deleted); only its deleted version is new.
    const rows = await loadThreadRows(db, threadId, 'incremental');
    expect(rows.messages.map((m) => m.messageId)).toEqual(['M2']);
    const record = buildThreadRecord(rows);
    expect(record.previousBundles).toEqual(['urn:threadkeeper:bundle:first']);
    expect(record.messages[0]!.versions.map((v) => v.kind)).toEqual(['original', 'deleted']);
  });
});
