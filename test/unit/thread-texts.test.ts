/**
 * The export writes a thread's text files a message at a time (renderThreadTexts); they must be
 * byte for byte what the whole-record renderers make (renderThreadFiles), for hostile text too,
 * and the rows must be let go as the messages are written.
 */
import { describe, expect, it } from 'vitest';
import { planThread, renderThreadFiles, type ThreadRows } from '../../src/bundle/thread-record';
import { renderThreadTexts } from '../../src/bundle/thread-texts';
import { prepareText, type PreparedText } from '../../src/bundle/bag-writer';
import type { CapturedMessage } from '../../src/shared/model';
import { captureRow, message, thread } from './factories';

const threadId = `whatsapp:${thread.threadKey}`;
const at = '2026-10-01T10:00:00.000Z';
const MARKER = '\u0000threadkeeper:messages\u0000';

type Spec = Partial<CapturedMessage> & { versions?: Partial<CapturedMessage>[] };

/** Thread rows as the database holds them: one message row and one or more version rows per spec. */
function rowsOf(specs: Spec[], over: Partial<ThreadRows['thread']> = {}): ThreadRows {
  const sha = 'ab'.repeat(32);
  const messages: ThreadRows['messages'] = [];
  const versions: ThreadRows['versions'] = [];
  specs.forEach((spec, i) => {
    const id = spec.messageId ?? `M${i}`;
    const { versions: later = [], ...first } = spec;
    const all = [first, ...later];
    messages.push({
      threadId, messageId: id, type: first.type ?? 'message', sentAt: first.sentAt ?? null, firstSeenAt: at, lastSeenAt: at,
      firstPageOrder: i, firstCaptureId: 'c1', versionCount: all.length, latestFingerprint: '', carriedVersion: 0, forwardedVersion: 0, forwardedAt: null,
    });
    all.forEach((v, k) => {
      const { messageId: _id, type: _type, pageOrder: _order, ...content } = message(id, { ...first, ...v });
      versions.push({ threadId, messageId: id, version: k + 1, kind: k === 0 ? 'original' : v.deleted ? 'deleted' : 'edited', observedAt: at, captureId: 'c1', fingerprint: '', content });
    });
  });
  return {
    thread: { id: threadId, platform: 'whatsapp', threadKey: thread.threadKey, title: 'Permits', kind: 'group', participants: thread.participants, firstCapturedAt: at, lastCapturedAt: at, bundles: ['urn:threadkeeper:bundle:0123'], ...over },
    captures: [captureRow('c1', { startedAt: at, status: 'complete' })],
    attachments: new Map([[sha, { sha256: sha, mediaType: 'image/png', size: 3, bytes: new Uint8Array([1, 2, 3]), firstSeenAt: at }]]),
    messages,
    versions,
  };
}

/**
 * The files, held whole (the default threshold) and streamed (`streamAbove` small enough that
 * each file streams, from its first chunk or from part way), are what the whole-record renderers
 * make: the same bytes, and prepared exactly as prepareText prepares those bytes.
 */
async function expectSameBytes(rows: () => ThreadRows, streamAbove: number[] = [0, 5 << 20]): Promise<void> {
  const { files } = await renderThreadFiles(rows());
  const whole = Object.fromEntries(files.map((f) => [f.path, Buffer.from(f.bytes)]));
  const texts = await renderThreadTexts(planThread(rows()));
  const held = { json: texts.json as Uint8Array, transcript: texts.transcript as Uint8Array, csv: texts.csv as Uint8Array };
  for (const t of Object.values(held)) expect(t).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(held.json).toString()).toBe(whole['thread.json']!.toString());
  expect(Buffer.from(held.json).equals(whole['thread.json']!)).toBe(true);
  expect(Buffer.from(held.transcript).equals(whole['transcript.html']!)).toBe(true);
  expect(Buffer.from(held.csv).equals(whole['messages.csv']!)).toBe(true);
  for (const limit of streamAbove) {
    const streamed = await renderThreadTexts(planThread(rows()), limit);
    for (const [key, path] of [['json', 'thread.json'], ['transcript', 'transcript.html'], ['csv', 'messages.csv']] as const) {
      const got = streamed[key];
      const bytes = whole[path]!;
      if (bytes.length <= limit) {
        expect(Buffer.from(got as Uint8Array).equals(bytes), `${path} held under ${limit}`).toBe(true);
        continue;
      }
      expect(got, `${path} streamed past ${limit}`).not.toBeInstanceOf(Uint8Array);
      const want = await prepareText(new Uint8Array(bytes));
      const prepared = got as PreparedText;
      expect({ ...prepared, deflated: Buffer.from(prepared.deflated).toString('base64') }, `${path} streamed past ${limit}`).toEqual({ ...want, deflated: Buffer.from(want.deflated).toString('base64') });
    }
  }
}

const hostile: Spec[] = [
  { type: 'event', sender: null, text: 'Ana created group "Permits"', sentAt: null, sentAtText: null },
  { text: 'first <script>alert(1)</script> 😀 مرحبا \u202Eevil\u202C zero\u200Bwidth', sentAt: '2026-09-28T10:30:00-04:00', links: ['https://example.org/?a=1&b=<2>'] },
  // Lone surrogates at the edges of a text (they become U+FFFD in UTF-8, and \udXXX in JSON).
  { text: '\uDE00lone low first, lone high last\uD83D', sender: 'Bo\uD800b', sentAt: '2026-09-28T10:31:00-04:00', reactions: [{ emoji: '👍🏽', count: 2 }] },
  { text: `=HYPERLINK("x")\r\n\t${MARKER}\n  "messages": []`, sentAt: '2026-09-28T10:32:00-04:00', quote: { author: 'Ana', text: 'first <script>', messageId: null } },
  { text: 'edited\u0000nul', sentAt: '2026-09-28T10:33:00-04:00', versions: [{ text: 'edited again' }, { text: 'This message was deleted', deleted: true }] },
  {
    text: 'with files', sentAt: '2026-09-28T10:34:00-04:00',
    attachments: [
      { kind: 'image', originalName: '../../etc/passwd\u202Egnp.exe', mediaType: 'image/png', sha256: 'ab'.repeat(32), size: 3, missingReason: null, thumbnail: false },
      { kind: 'document', originalName: 'CON.txt', mediaType: null, sha256: null, size: null, missingReason: 'not downloaded in the page', thumbnail: false },
    ],
  },
  // Longer than a 4 MiB chunk once encoded (three bytes a character): written by itself.
  { text: '漢'.repeat(1_500_000), sentAt: '2026-09-28T10:35:00-04:00' },
  { text: 'after the long one', sentAt: '2026-09-28T10:36:00-04:00' },
];

describe('renderThreadTexts (a message at a time)', () => {
  it('makes the same thread.json, transcript and CSV as the whole-record renderers, for hostile text', async () => {
    await expectSameBytes(() => rowsOf(hostile, { title: `Permits ${MARKER}\n  "messages": "x" \u202E`, participants: [{ name: `\n  "messages": ${JSON.stringify(MARKER)}`, self: false }, { name: 'You', self: true }] }));
  });

  it('makes the same bytes for a thread without messages, and for one whose files cross many chunks', async () => {
    await expectSameBytes(() => rowsOf([]));
    const many: Spec[] = Array.from({ length: 6000 }, (_, i) => ({
      text: `message ${i} ${'é😀'.repeat(i % 97)}`,
      sentAt: `2026-09-${String(1 + (i % 28)).padStart(2, '0')}T10:30:00-04:00`,
      quote: i % 10 === 9 ? { author: 'Ana', text: `message ${i - 3}`, messageId: null } : null,
    }));
    await expectSameBytes(() => rowsOf(many));
    // 6,000 messages rendered both ways: about 3 s alone, more on a loaded machine.
  }, 60_000);

  it('lets go of each message\'s rows once it is written', async () => {
    const plan = planThread(rowsOf(hostile));
    expect(plan.order.filter(Boolean)).toHaveLength(hostile.length);
    expect(plan.versions.size).toBe(hostile.length);
    const texts = await renderThreadTexts(plan);
    expect(plan.order.filter(Boolean)).toHaveLength(0);
    expect(plan.versions.size).toBe(0);
    expect((texts.json as Uint8Array).length).toBeGreaterThan(4_500_000);
  });
});
