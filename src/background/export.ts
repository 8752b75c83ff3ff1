/**
 * Export: gather threads from the database, render their files, write the signed bag.
 * Signing failure fails the export (writeBundle never returns an unsigned bundle).
 */
import type { ThreadkeeperDb, AttachmentRow, AuditRow } from '../db/schema';
import { renderThreadFiles, type ThreadRows } from '../bundle/thread-record';
import { writeBundle, type PayloadFile, type WrittenBundle, type BundleSigner } from '../bundle/bag-writer';
import { sha256Hex } from '../shared/bytes';
import type { Settings } from './settings';

export interface ExportOptions {
  settings: Settings;
  signer: BundleSigner;
  softwareAgent: string;
  /** Bagging-Date comes from here (YYYY-MM-DD, local date of the export). */
  now: Date;
  scope?: 'full' | 'incremental';
  /** The hash-chained audit log to carry (data/audit-log.jsonl), checked by the verifier. */
  auditLog?: AuditRow[];
}

export interface ExportedBundle {
  bundle: WrittenBundle;
  fileName: string;
  externalIdentifier: string;
  messages: number;
  attachments: number;
  /** Exactly which version of which message the bundle carries. */
  carried: [threadId: string, messageId: string, version: number][];
}

/**
 * One thread's rows. `scope: 'incremental'` keeps only messages with a version no earlier
 * bundle carried (with all their versions, so the history stays readable).
 */
export async function loadThreadRows(db: ThreadkeeperDb, threadId: string, scope: 'full' | 'incremental' = 'full'): Promise<ThreadRows> {
  return db.transaction('r', [db.threads, db.messages, db.versions, db.attachments, db.captures], async () => {
    const thread = await db.threads.get(threadId);
    if (!thread) throw new Error(`no preserved thread ${threadId}`);
    let [messages, versions, captures] = await Promise.all([
      db.messages.where('threadId').equals(threadId).toArray(),
      db.versions.where('threadId').equals(threadId).toArray(),
      db.captures.where('threadId').equals(threadId).toArray(),
    ]);
    if (scope === 'incremental') {
      messages = messages.filter((m) => m.versionCount > (m.carriedVersion ?? 0));
      const keep = new Set(messages.map((m) => m.messageId));
      versions = versions.filter((v) => keep.has(v.messageId));
    }
    const hashes = new Set<string>();
    for (const v of versions) for (const a of v.content.attachments) if (a.sha256) hashes.add(a.sha256);
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

export async function exportThreads(db: ThreadkeeperDb, threadIds: string[], opts: ExportOptions): Promise<ExportedBundle> {
  if (threadIds.length === 0) throw new Error('nothing to export: no thread was chosen');
  const payload: PayloadFile[] = [];
  let messages = 0;
  let attachments = 0;
  const titles: string[] = [];
  const carried: ExportedBundle['carried'] = [];
  for (const threadId of [...threadIds].sort()) {
    const rows = await loadThreadRows(db, threadId, opts.scope ?? 'full');
    if (rows.messages.length === 0) continue; // incremental: nothing new in this thread
    const folder = await threadFolder(threadId);
    const { record, files } = await renderThreadFiles(rows);
    for (const m of rows.messages) carried.push([threadId, m.messageId, m.versionCount]);
    messages += record.messages.filter((m) => m.type === 'message').length;
    attachments += record.attachments.filter((a) => a.path).length;
    titles.push(record.thread.title);
    for (const f of files) payload.push({ path: `${folder}/${f.path}`, bytes: f.bytes });
  }
  if (payload.length === 0) {
    throw new Error(opts.scope === 'incremental' ? 'nothing new to export: every message was already in an earlier bundle' : 'nothing to export: no preserved messages');
  }
  if (opts.auditLog?.length) {
    const lines = opts.auditLog.map((e) => JSON.stringify({ seq: e.seq, at: e.at, action: e.action, details: e.details, prevHash: e.prevHash, hash: e.hash }));
    payload.push({ path: 'audit-log.jsonl', bytes: new TextEncoder().encode(lines.join('\n') + '\n') });
  }
  payload.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // Same records in, same identifier out: it is derived from the payload itself.
  const digests = await Promise.all(payload.map(async (f) => `${f.path} ${await sha256Hex(f.bytes)}`));
  const payloadId = (await sha256Hex(digests.join('\n'))).slice(0, 20);
  const first = (threadIds.length === 1 ? (await threadFolder(threadIds[0]!)).split('/')[1] : `${threadIds.length}-threads`) ?? 'bundle';
  const bagName = `threadkeeper-${first}-${payloadId}`;

  const bundle = await writeBundle({
    bagName,
    payload,
    signer: opts.signer,
    info: {
      sourceOrganization: opts.settings.sourceOrganization || undefined,
      contactName: opts.settings.contactName || undefined,
      contactEmail: opts.settings.contactEmail || undefined,
      externalDescription: `Messenger conversation records preserved by Threadkeeper: ${titles.join('; ')}`,
      externalIdentifier: `urn:threadkeeper:bundle:${payloadId}`,
      baggingDate: localDate(opts.now),
      softwareAgent: opts.softwareAgent,
    },
  });
  return { bundle, fileName: `${bagName}.zip`, externalIdentifier: `urn:threadkeeper:bundle:${payloadId}`, messages, attachments, carried };
}
