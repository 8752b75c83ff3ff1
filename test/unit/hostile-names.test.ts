/**
 * Hostile attachment names (issue #6). A page decides what a file is called; the bundle never
 * uses that name as a path. Every stored file gets a generated ASCII path that is safe on every
 * operating system and unique in its thread (also ignoring case), the name as shown is kept
 * exactly in thread.json, and the writer's last guard refuses every such name if one ever
 * reached it. The rules: docs/security.md, "Hostile content"; docs/bundle-format.md.
 */
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/schema';
import { ingestBatch } from '../../src/background/ingest';
import { loadThreadRows } from '../../src/background/export';
import { buildThreadRecord, renderThreadFiles, type ThreadFiles, type ThreadRows } from '../../src/bundle/thread-record';
import { assertSafePayloadPath, writeBundle } from '../../src/bundle/bag-writer';
import { verifyBag } from '../../src/bundle/bag-verify';
import { contentBatchSchema } from '../../src/shared/protocol';
import { parse } from '../../src/shared/schema';
import { bytesToBase64, sha256Hex } from '../../src/shared/bytes';
import { readZip } from '../../cli/zip-reader';
import { webCryptoSigner } from '../helpers/signer';
import { batch, captureRow, message, thread } from './factories';

/** Names as a page may show them. The last two files have the bytes of 'Report.pdf' and of the first 'photo.jpg'. */
const NAMES = [
  '../../../etc/passwd',
  '/etc/passwd',
  'C:\\x',
  'C:\\Windows\\System32\\evil.dll',
  '\\\\server\\share\\x.png',
  'CON',
  'aux.txt',
  'LPT1',
  'con .txt',
  'CONIN$',
  `${'x'.repeat(496)}.png`,
  '‥/‥/evil.png', // U+2025 two dot leader
  'a／..／..／evil.png', // U+FF0F fullwidth solidus
  'ＣＯＮ', // fullwidth letters
  'nul\u0000.png',
  'tab\tnew\nline\rbell\u0007esc\u001B.png',
  'c1\u0085\u009B.png',
  'evil.png.',
  ' evil.png ',
  '%2e%2e%2fevil.png',
  '\u202Egpj.exe',
  '',
  '.',
  '..',
  'Report.pdf',
  'report.PDF',
  'photo.jpg',
  'photo.jpg',
  'same bytes as Report.pdf',
  'same bytes as photo.jpg',
];
const SAME_BYTES: Record<number, number> = { [NAMES.length - 2]: NAMES.length - 6, [NAMES.length - 1]: NAMES.length - 4 };
const bytesOf = (i: number) => new Uint8Array([0x25, 0x50, 0x44, 0x46, SAME_BYTES[i] ?? i]);
const MEDIA = ['application/pdf', 'image/png', 'application/octet-stream', 'image/svg+xml'];

const threadId = `whatsapp:${thread.threadKey}`;
let rendered: ThreadFiles;

beforeAll(async () => {
  const db = openDb('hostile-names');
  await db.captures.add(captureRow('c1'));
  const hashes = await Promise.all(NAMES.map((_, i) => sha256Hex(bytesOf(i))));
  const blobs = new Map(NAMES.map((_, i) => [hashes[i]!, { sha256: hashes[i]!, mediaType: MEDIA[i % MEDIA.length]!, base64: bytesToBase64(bytesOf(i)) }]));
  await ingestBatch(db, parse(contentBatchSchema, batch('c1', 0, NAMES.map((name, i) =>
    message(`M${i}`, {
      pageOrder: i,
      attachments: [{ kind: 'document', originalName: name, mediaType: MEDIA[i % MEDIA.length]!, sha256: hashes[i]!, size: 5, missingReason: null, thumbnail: false }],
    }),
  ), { blobs: [...blobs.values()] })));
  rendered = await renderThreadFiles(await loadThreadRows(db, threadId));
  db.close();
});

describe('hostile attachment names', () => {
  it('become generated ASCII paths that the writer\'s guard accepts, unique even ignoring case', () => {
    const paths = rendered.record.attachments.map((a) => a.path!);
    expect(paths).toHaveLength(NAMES.length - Object.keys(SAME_BYTES).length);
    for (const path of paths) {
      expect(path).toMatch(/^attachments\/[0-9a-f]{16}\.(pdf|png|bin|svg)$/);
      expect(() => assertSafePayloadPath(`threads/whatsapp-1a2b3c4d5e6f/${path}`)).not.toThrow();
    }
    expect(new Set(paths.map((p) => p.toLowerCase())).size).toBe(paths.length);
    expect(rendered.files.map((f) => f.path).filter((p) => p.startsWith('attachments/')).sort()).toEqual([...paths].sort());
  });

  it('are kept exactly in thread.json, each with its own message, also where two names share their bytes', () => {
    const record = JSON.parse(new TextDecoder().decode(rendered.files.find((f) => f.path === 'thread.json')!.bytes)) as ThreadFiles['record'];
    expect(record.messages.map((m) => m.attachments[0]!.originalName)).toEqual(NAMES);
    const pathOf = (i: number) => record.attachments.find((a) => a.sha256 === record.messages[i]!.attachments[0]!.sha256)!;
    for (const [copy, original] of Object.entries(SAME_BYTES)) {
      expect(pathOf(Number(copy))).toBe(pathOf(original));
      expect(pathOf(original).messageIds).toEqual([`M${original}`, `M${copy}`]);
    }
  });

  it('never reach the transcript\'s links, and the transcript names each file as text', () => {
    const html = new TextDecoder().decode(rendered.files.find((f) => f.path === 'transcript.html')!.bytes);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    // Every attachment but the SVG drawings (a quarter of them), which could run script if opened.
    const svgs = NAMES.filter((_, i) => MEDIA[i % MEDIA.length] === 'image/svg+xml').length;
    expect(svgs).toBeGreaterThan(0);
    expect(hrefs).toHaveLength(NAMES.length - svgs);
    for (const href of hrefs) expect(href).toMatch(/^attachments\/[0-9a-f]{16}\.(pdf|png|bin)$/);
    const named = [...html.matchAll(/<code>(attachments\/[0-9a-f]{16}\.svg)<\/code> \(not linked: /g)].map((m) => m[1]);
    expect(named).toHaveLength(svgs);
    for (const path of named) expect(rendered.files.some((f) => f.path === path)).toBe(true);
    expect(html).toContain('“<bdi>..</bdi>”');
    expect(html).toContain('“<bdi>\u202Egpj.exe\u202C</bdi>”');
  });

  it('give a bundle whose every ZIP entry is safe to extract and which the verifier accepts', async () => {
    const folder = 'threads/whatsapp-1a2b3c4d5e6f';
    const bundle = await writeBundle({
      bagName: 'threadkeeper-whatsapp-hostile-names',
      payload: rendered.files.map((f) => ({ path: `${folder}/${f.path}`, bytes: f.bytes })),
      info: { externalIdentifier: 'urn:threadkeeper:bundle:hostile-names', baggingDate: '2026-10-01', softwareAgent: 'Threadkeeper test' },
      signer: await webCryptoSigner(),
    });
    const { files } = readZip(bundle.zip); // throws on any name unsafe to extract
    const report = await verifyBag(files);
    expect(report.problems).toEqual([]);
    expect(report.summary).toMatchObject({ threads: 1, messages: NAMES.length, attachments: NAMES.length - Object.keys(SAME_BYTES).length });
  });
});

describe('attachment paths stay unique when two files share the first 16 hex digits of their SHA-256', () => {
  // Finding such a pair costs about 2^32 hashes: within reach of someone who wants to make a
  // thread impossible to export. Their paths must still differ.
  const shas = ['0123456789abcdef' + '0'.repeat(48), '0123456789abcdef' + 'f'.repeat(48), 'fedcba9876543210' + '1'.repeat(48)];
  const rows = (): ThreadRows => {
    const at = '2026-10-01T10:00:00.000Z';
    return {
      thread: { id: threadId, platform: 'whatsapp', threadKey: thread.threadKey, title: 'Permits', kind: 'group', participants: [], firstCapturedAt: at, lastCapturedAt: at, bundles: [] },
      captures: [captureRow('c1', { startedAt: at })],
      attachments: new Map(shas.map((sha256, i) => [sha256, { sha256, mediaType: 'image/png', size: 1, bytes: new Uint8Array([i]), firstSeenAt: at }])),
      messages: shas.map((_, i) => ({
        threadId, messageId: `M${i}`, type: 'message', sentAt: null, firstSeenAt: at, lastSeenAt: at, firstPageOrder: i, firstCaptureId: 'c1',
        versionCount: 1, latestFingerprint: '', carriedVersion: 0, forwardedVersion: 0, forwardedAt: null,
      })),
      versions: shas.map((sha256, i) => {
        const { messageId: _id, type: _type, pageOrder: _order, ...content } = message(`M${i}`, {
          attachments: [{ kind: 'image', originalName: 'photo.png', mediaType: 'image/png', sha256, size: 1, missingReason: null, thumbnail: false }],
        });
        return { threadId, messageId: `M${i}`, version: 1, kind: 'original', observedAt: at, captureId: 'c1', fingerprint: '', content };
      }),
    };
  };

  it('gives each file its own path (the full hash for the two that collide), and the bag can be written', async () => {
    const record = buildThreadRecord(rows());
    expect(record.attachments.map((a) => [a.sha256, a.path])).toEqual([
      [shas[0], `attachments/${shas[0]}.png`],
      [shas[1], `attachments/${shas[1]}.png`],
      [shas[2], 'attachments/fedcba9876543210.png'],
    ]);
    const { files } = await renderThreadFiles(rows());
    await expect(writeBundle({
      bagName: 'bag',
      payload: files.map((f) => ({ path: `threads/t/${f.path}`, bytes: f.bytes })),
      info: { externalIdentifier: 'urn:x', baggingDate: '2026-10-01', softwareAgent: 'test' },
      signer: await webCryptoSigner(),
    })).resolves.toMatchObject({ bagName: 'bag' });
  });
});

describe('the writer\'s last guard refuses every hostile name as a payload path', () => {
  it.each([
    '../x', 'a/../../x', '/etc/passwd', 'C:\\x', 'C:x', '\\\\server\\share', 'CON', 'con', 'aux.txt', 'LPT1', 'lpt9.log', 'COM1.tar.gz',
    'con .txt', 'NUL  .png', 'CONIN$', 'conout$.txt', 'x'.repeat(500), '‥/x', 'a／b', 'ＣＯＮ', 'nul\u0000', 'a\u0001b', 'a\u0085b',
    'a\u202Eb', 'evil.', ' lead', 'trail ', '%2e%2e', 'a:b', 'a*b', 'a?b', 'a|b', 'a"b', 'a<b>', '', '.', '..',
  ])('%j', (name) => {
    expect(() => assertSafePayloadPath(name)).toThrow(/payload path/);
    expect(() => assertSafePayloadPath(`threads/t/attachments/${name}`)).toThrow(/payload path/);
  });
});
