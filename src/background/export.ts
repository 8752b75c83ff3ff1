/**
 * Export: gather threads from the database, render their files, stream the signed bag into a
 * sink (a file on disk in the extension). Signing failure fails the export (streamBundle never
 * completes an unsigned bundle).
 *
 * Memory: a thread's rows are read whole, then its text files (thread.json, transcript.html,
 * messages.csv) are made a message at a time straight into UTF-8 (src/bundle/thread-texts.ts),
 * each message's rows let go once it is written. A file up to STREAM_TEXT_ABOVE (32 MiB) is then
 * hashed and DEFLATEd (prepareText); a larger one (thread.json is about 127 MB at 100,000
 * messages) is hashed and DEFLATEd while it is made and never held whole. Either way it waits for
 * the writer as its compressed bytes, about a tenth (docs/performance.md has the measured peak). Attachment bytes are never all loaded:
 * only their metadata is read up front (from an index, without the bytes), and each file's
 * bytes are read from IndexedDB when the writer reaches it and dropped once written.
 */
import type { ThreadkeeperDb, AttachmentRow, AuditRow } from '../db/schema';
import { planThread, type ThreadRows } from '../bundle/thread-record';
import { renderThreadTexts, type ThreadTexts } from '../bundle/thread-texts';
import { DamagedPayloadError, newWritePhases, prepareText, streamBundle, type KnownBytes, type LazyPayloadFile, type PayloadSource, type StreamedBundle, type BundleSigner, type WritePhases, type ZipSink } from '../bundle/bag-writer';
import { sha256Hex } from '../shared/bytes';
import type { Settings } from './settings';
import { threadMarks, withMarks } from './marks';
import { auditForBundle, auditScope } from './audit-scope';
import { attachmentHashes } from './deadline-tally';

export interface ExportOptions {
  settings: Settings;
  signer: BundleSigner;
  softwareAgent: string;
  /** Bagging-Date comes from here (YYYY-MM-DD, local date of the export). */
  now: Date;
  scope?: 'full' | 'incremental';
  /**
   * The hash-chained audit log (data/audit-log.jsonl), checked by the verifier. The bundle
   * carries every entry, but those about other threads withheld (src/background/audit-scope.ts).
   */
  auditLog?: AuditRow[];
  /** Where the ZIP goes, in order. */
  sink: ZipSink;
  /** A text file past this many bytes is hashed and DEFLATEd while it is made (default STREAM_TEXT_ABOVE; tests make it small). */
  streamTextAbove?: number;
  /**
   * Stored attachments to leave out, by SHA-256, each with the reason the record gives (an
   * earlier attempt found the stored copy damaged: DamagedAttachmentError). Each is listed in
   * thread.json and the transcript without a path, with that reason.
   */
  leftOut?: ReadonlyMap<string, string>;
}

/**
 * A stored attachment whose bytes are not the ones captured: the bundle was not finished. The
 * caller may write it again with this attachment in `leftOut` (src/background/exporter.ts).
 */
export class DamagedAttachmentError extends Error {
  override name = 'DamagedAttachmentError';
  constructor(
    readonly sha256: string,
    message: string,
    /** The threads of this export whose records refer to it (each gets its own audit entry). */
    readonly threadIds: string[],
    /** The thread whose file the writer was reading when it found the damage. */
    readonly foundIn: string,
  ) {
    super(message);
  }
}

/** The reason a bundle gives for an attachment left out because its stored copy is damaged. */
export const DAMAGED_REASON = 'the stored copy was damaged after capture (its bytes no longer match the checksum recorded when it was captured), so it was left out of this bundle';

export interface ExportedBundle {
  bundle: StreamedBundle;
  fileName: string;
  externalIdentifier: string;
  messages: number;
  attachments: number;
  /** Exactly which version of which message the bundle carries. */
  carried: [threadId: string, messageId: string, version: number][];
  /** Messages (not events) each thread put in the bundle, by thread id; a thread with nothing new (incremental) is absent. */
  threadMessages: Map<string, number>;
  /** Milliseconds: reading rows, building the records, rendering and encoding the text files, streaming the bag (and inside it, WritePhases). */
  phases: ExportPhases;
}

export interface ExportPhases extends WritePhases {
  load: number;
  build: number;
  render: number;
  write: number;
}

/**
 * An attachment row without its bytes: what the thread record needs (media type, size). Reading
 * `bytes` throws, so a caller that wanted them cannot silently bundle an empty file.
 */
function withoutBytes(sha256: string, mediaType: string, size: number): AttachmentRow {
  return {
    sha256,
    mediaType,
    size,
    firstSeenAt: '',
    get bytes(): Uint8Array {
      throw new Error(`attachment ${sha256}: bytes are read one at a time when written (readAttachment)`);
    },
  };
}

/**
 * Media type and size of the stored attachments among `hashes`, read from the
 * [sha256+mediaType+size] index (schema v3) without loading any bytes. A row the index does not
 * cover (a media type that is not a valid key) is read whole, once.
 */
async function attachmentMeta(db: ThreadkeeperDb, hashes: Set<string>): Promise<Map<string, AttachmentRow>> {
  const found = new Map<string, AttachmentRow>();
  if (hashes.size === 0) return found;
  const keys = (await db.attachments.orderBy('[sha256+mediaType+size]').keys()) as unknown as [string, string, number][];
  for (const [sha256, mediaType, size] of keys) if (hashes.has(sha256)) found.set(sha256, withoutBytes(sha256, mediaType, size));
  const rest = [...hashes].filter((h) => !found.has(h));
  for (const row of rest.length ? await db.attachments.bulkGet(rest) : []) if (row) found.set(row.sha256, withoutBytes(row.sha256, row.mediaType, row.size));
  return found;
}

/**
 * One attachment's bytes (the writer checks them against the size the bundle declared), with
 * the SHA-512 and CRC-32 recorded when they were stored, which the writer checks them against
 * (AttachmentRow). A row stored before those were kept is checked here against the SHA-256 it
 * is stored under instead, so a damaged copy is refused either way. `path` names it in errors.
 */
export async function readAttachment(db: ThreadkeeperDb, sha256: string, path: string): Promise<Uint8Array | KnownBytes> {
  const row = await db.attachments.get(sha256);
  if (!row) throw new Error(`attachment ${sha256} is no longer in the database (purged during the export?)`);
  // Either field present makes it a record of digests; one with a field missing reaches the
  // writer as it is, which refuses it (knownBytes), rather than being taken for an older row.
  if (row.sha512 !== undefined || row.crc32 !== undefined) return { bytes: row.bytes, known: { sha512: row.sha512!, crc32: row.crc32! } };
  if ((await sha256Hex(row.bytes)) !== sha256) {
    throw new DamagedPayloadError(path, `payload ${JSON.stringify(path)}: its bytes are not the ones first stored (their SHA-256 is not the one they are stored under): the stored copy is damaged`);
  }
  return row.bytes;
}

/**
 * One thread's rows. `scope: 'incremental'` keeps only messages with a version no earlier
 * bundle carried (with all their versions, so the history stays readable). With
 * `attachmentBytes: false` the attachments carry metadata only (see withoutBytes); the export
 * reads their bytes later, one at a time.
 */
export async function loadThreadRows(db: ThreadkeeperDb, threadId: string, scope: 'full' | 'incremental' = 'full', opts: { attachmentBytes?: boolean } = {}): Promise<ThreadRows> {
  return db.transaction('r', [db.threads, db.messages, db.versions, db.attachments, db.captures, db.exports], async () => {
    const thread = await db.threads.get(threadId);
    if (!thread) throw new Error(`no preserved thread ${threadId}`);
    let [messages, versions, captures] = await Promise.all([
      db.messages.where('threadId').equals(threadId).toArray(),
      db.versions.where('threadId').equals(threadId).toArray(),
      db.captures.where('threadId').equals(threadId).toArray(),
    ]);
    if (scope === 'incremental') {
      withMarks(messages, await threadMarks(db, threadId));
      messages = messages.filter((m) => m.versionCount > (m.carriedVersion ?? 0));
      const keep = new Set(messages.map((m) => m.messageId));
      versions = versions.filter((v) => keep.has(v.messageId));
    }
    const hashes = attachmentHashes(versions);
    if (opts.attachmentBytes === false) return { thread, messages, versions, attachments: await attachmentMeta(db, hashes), captures };
    const attachments = new Map<string, AttachmentRow>();
    for (const row of await db.attachments.bulkGet([...hashes])) if (row) attachments.set(row.sha256, row);
    return { thread, messages, versions, attachments, captures };
  });
}

function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export async function threadFolder(threadId: string): Promise<string> {
  const platform = threadId.split(':')[0] ?? 'thread';
  return `threads/${platform}-${(await sha256Hex(threadId)).slice(0, 12)}`;
}

/** An attachment the writer reads from the database when its turn comes; the closure holds its key and nothing else. */
function attachmentFile(db: ThreadkeeperDb, path: string, size: number, sha256: string): LazyPayloadFile {
  return { path, size, read: () => readAttachment(db, sha256, path) };
}

interface ThreadPayload {
  payload: PayloadSource[];
  /** What the bag name is derived from: each payload file's path and content hash ("sha512:…" or "sha256:…"). */
  digests: [path: string, digest: string][];
  carried: ExportedBundle['carried'];
  messages: number;
  attachments: number;
  title: string;
}

/**
 * One thread's part of the bag: its three text files rendered (the same bytes and order as
 * renderThreadFiles), its attachments as lazy files. The rows go into a plan, and
 * renderThreadTexts lets each message's rows go once it is written, so they are collectable
 * while the text is made; what this returns refers to no row.
 */
async function threadPayload(db: ThreadkeeperDb, threadId: string, scope: 'full' | 'incremental', lap: (phase: 'load' | 'build' | 'render') => void, streamTextAbove?: number, leftOut?: ReadonlyMap<string, string>): Promise<ThreadPayload | null> {
  let rows: ThreadRows | null = await loadThreadRows(db, threadId, scope, { attachmentBytes: false });
  if (leftOut?.size) rows.leftOut = leftOut;
  lap('load');
  const plan = planThread(rows);
  rows = null; // the plan holds the row objects now, and lets each go once its message is written
  lap('build');
  if (plan.order.length === 0) return null;
  const folder = await threadFolder(threadId);
  const part: ThreadPayload = {
    payload: [],
    digests: [],
    carried: plan.order.map((m) => [threadId, m!.messageId, m!.versionCount]),
    messages: plan.messageCount,
    attachments: plan.attachments.filter((a) => a.path).length,
    title: plan.head.thread.title,
  };
  const texts: Partial<ThreadTexts> = await renderThreadTexts(plan, streamTextAbove);
  // Each file is hashed (SHA-512, for the manifest and the bag name) and DEFLATEd now, and its
  // text let go: until the writer reaches it, it waits as compressed bytes (about a tenth). A
  // large file was already hashed and DEFLATEd while it was made, and never held whole.
  for (const [name, key] of [['thread.json', 'json'], ['transcript.html', 'transcript'], ['messages.csv', 'csv']] as const) {
    const text = texts[key]!;
    const prepared = text instanceof Uint8Array ? await prepareText(text) : text;
    delete texts[key];
    part.payload.push({ path: `${folder}/${name}`, prepared });
    part.digests.push([`${folder}/${name}`, `sha512:${prepared.sha512}`]);
  }
  lap('render');
  for (const a of plan.attachments) {
    if (!a.path || !a.sha256 || a.size === null) continue;
    part.payload.push(attachmentFile(db, `${folder}/${a.path}`, a.size, a.sha256));
    // Stored under its SHA-256, checked when it was captured.
    part.digests.push([`${folder}/${a.path}`, `sha256:${a.sha256}`]);
  }
  return part;
}

/**
 * Renders every chosen thread and streams one signed bundle of them into `opts.sink`. Text files
 * are made here, in memory; attachments are handed to the writer as lazy files read from the
 * database when their turn comes. The bag name (and External-Identifier) is derived from the
 * payload's hashes: the text files' SHA-512s (which the manifest uses as they are, so each text
 * is hashed once) and each attachment's SHA-256, the key it is stored under (checked at capture).
 */
export async function exportThreads(db: ThreadkeeperDb, threadIds: string[], opts: ExportOptions): Promise<ExportedBundle> {
  if (threadIds.length === 0) throw new Error('nothing to export: no thread was chosen');
  const enc = new TextEncoder();
  const payload: PayloadSource[] = [];
  const digests: [path: string, digest: string][] = [];
  let messages = 0;
  let attachments = 0;
  const titles: string[] = [];
  const included: string[] = [];
  const carried: ExportedBundle['carried'] = [];
  const threadMessages = new Map<string, number>();
  /** Each attachment's payload path, to name the attachment (and thread) a DamagedPayloadError is about. */
  const attachmentAt = new Map<string, { sha256: string; threadId: string }>();
  const phases: ExportPhases = { load: 0, build: 0, render: 0, write: 0, ...newWritePhases() };
  let t0 = performance.now();
  const lap = (key: 'load' | 'build' | 'render' | 'write'): void => {
    const t = performance.now();
    phases[key] += t - t0;
    t0 = t;
  };
  for (const threadId of [...threadIds].sort()) {
    t0 = performance.now();
    const part = await threadPayload(db, threadId, opts.scope ?? 'full', lap, opts.streamTextAbove, opts.leftOut);
    if (!part) continue; // incremental: nothing new in this thread
    // Not push(...spread): a thread of 100,000 messages would pass 100,000 arguments.
    for (const f of part.payload) payload.push(f);
    for (const d of part.digests) {
      digests.push(d);
      if (d[1].startsWith('sha256:')) attachmentAt.set(d[0], { sha256: d[1].slice('sha256:'.length), threadId });
    }
    for (const c of part.carried) carried.push(c);
    messages += part.messages;
    threadMessages.set(threadId, part.messages);
    attachments += part.attachments;
    titles.push(part.title);
    included.push(threadId);
  }
  if (payload.length === 0) {
    throw new Error(opts.scope === 'incremental' ? 'nothing new to export: every message was already in an earlier bundle' : 'nothing to export: no preserved messages');
  }
  if (opts.auditLog?.length) {
    const lines = auditForBundle(opts.auditLog, await auditScope(db, included)).map((e) => JSON.stringify(e));
    const prepared = await prepareText(enc.encode(lines.join('\n') + '\n'));
    payload.push({ path: 'audit-log.jsonl', prepared });
    digests.push(['audit-log.jsonl', `sha512:${prepared.sha512}`]);
  }

  // Same records in, same identifier out: it is derived from the payload itself, a line per
  // file, "<path> sha512:<hex>" for the files rendered here and "<path> sha256:<hex>" for
  // attachments (the key they are stored under).
  digests.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const payloadId = (await sha256Hex(digests.map(([path, digest]) => `${path} ${digest}`).join('\n'))).slice(0, 20);
  const first = (threadIds.length === 1 ? (await threadFolder(threadIds[0]!)).split('/')[1] : `${threadIds.length}-threads`) ?? 'bundle';
  const bagName = `threadkeeper-${first}-${payloadId}`;

  t0 = performance.now();
  const bundle = await streamBundle({
    phases,
    bagName,
    payload,
    signer: opts.signer,
    sink: opts.sink,
    info: {
      sourceOrganization: opts.settings.sourceOrganization || undefined,
      contactName: opts.settings.contactName || undefined,
      contactEmail: opts.settings.contactEmail || undefined,
      externalDescription: `Messenger conversation records preserved by Threadkeeper: ${titles.join('; ')}`,
      externalIdentifier: `urn:threadkeeper:bundle:${payloadId}`,
      baggingDate: localDate(opts.now),
      softwareAgent: opts.softwareAgent,
    },
  }).catch((err: unknown) => {
    const at = err instanceof DamagedPayloadError ? attachmentAt.get(err.path) : undefined;
    if (!at) throw err;
    const threads = [...new Set([...attachmentAt.values()].filter((a) => a.sha256 === at.sha256).map((a) => a.threadId))];
    throw new DamagedAttachmentError(at.sha256, (err as Error).message, threads, at.threadId);
  });
  lap('write');
  return { bundle, fileName: `${bagName}.zip`, externalIdentifier: `urn:threadkeeper:bundle:${payloadId}`, messages, attachments, carried, threadMessages, phases };
}
