/**
 * Export: gather threads from the database, render their files, write the signed bag.
 * Signing failure fails the export (writeBundle never returns an unsigned bundle).
 */
import type { ThreadkeeperDb, AttachmentRow } from '../db/schema';
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
}

export interface ExportedBundle {
  bundle: WrittenBundle;
  fileName: string;
  messages: number;
  attachments: number;
}

export async function loadThreadRows(db: ThreadkeeperDb, threadId: string): Promise<ThreadRows> {
  return db.transaction('r', [db.threads, db.messages, db.versions, db.attachments, db.captures], async () => {
    const thread = await db.threads.get(threadId);
    if (!thread) throw new Error(`no preserved thread ${threadId}`);
    const [messages, versions, captures] = await Promise.all([
      db.messages.where('threadId').equals(threadId).toArray(),
      db.versions.where('threadId').equals(threadId).toArray(),
      db.captures.where('threadId').equals(threadId).toArray(),
    ]);
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
  for (const threadId of [...threadIds].sort()) {
    const rows = await loadThreadRows(db, threadId);
    const folder = await threadFolder(threadId);
    const { record, files } = await renderThreadFiles(rows);
    if (record.messages.length === 0) throw new Error(`thread “${record.thread.title}” has no preserved messages to export`);
    messages += record.messages.filter((m) => m.type === 'message').length;
    attachments += record.attachments.filter((a) => a.path).length;
    titles.push(record.thread.title);
    for (const f of files) payload.push({ path: `${folder}/${f.path}`, bytes: f.bytes });
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
  return { bundle, fileName: `${bagName}.zip`, messages, attachments };
}
