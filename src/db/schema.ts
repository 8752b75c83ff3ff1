/**
 * The extension's database: one Dexie schema, versioned. Only the background service worker
 * writes to it (extension origin, never the page's storage).
 *
 * Rules that keep records safe:
 *  - primary keys never change in place: a thread is `platform:threadKey`, a message is
 *    [threadId+messageId] where messageId is the platform's own id;
 *  - `versions` is append-only: a message whose content changed gets version n+1, nothing is
 *    overwritten; the unique index [threadId+messageId+version] makes a double write fail;
 *  - attachments are stored once, keyed by the SHA-256 of their bytes.
 *
 * Every schema version ever shipped stays listed in SCHEMA_VERSIONS with its upgrade, and
 * test/unit/db-migrations.test.ts opens databases seeded in each older shape with this code.
 */
import Dexie, { type EntityTable, type Transaction } from 'dexie';
import { GENESIS, entryHash, type ChainedEntry } from '../shared/audit-chain';
import type { CapturedMessage, CapturedParticipant, PlatformId } from '../shared/model';

export const DB_NAME = 'threadkeeper';

export interface ThreadRow {
  /** `${platform}:${threadKey}` */
  id: string;
  platform: PlatformId;
  threadKey: string;
  title: string;
  kind: 'group' | 'direct' | 'channel' | 'unknown';
  /** Every participant ever seen in the header, first-seen order (never shrinks). */
  participants: CapturedParticipant[];
  firstCapturedAt: string;
  lastCapturedAt: string;
  /** External identifiers of every bundle that carried this thread (v2). */
  bundles: string[];
  /**
   * Raised by every write that can change the thread's deadlines: an ingest batch that adds a
   * message or a version, a receipt (or confirmed email) for a bundle carrying the thread.
   * Absent on rows written before it existed: 0. No index, so no schema version.
   */
  revision?: number;
  /** The deadline tally as of `revision` (src/background/deadline-tally.ts); ignored once the revision moves on. */
  deadlineTally?: StoredDeadlineTally;
  /**
   * How many distinct attachments the thread's versions refer to, as of `revision` (what the
   * popup shows as kept; src/background/deadline-tally.ts). A receipt carries it forward.
   */
  attachmentTally?: { revision: number; count: number };
}

/**
 * What a thread's deadline is computed from, without the deadline length or the time: its
 * messages (events do not count), those not forwarded, the earliest send time among those
 * (ms; a message without one counts from when it was first seen), and how many of those have
 * no send time. Made and read by src/background/deadlines.ts; kept on the thread row as
 * StoredDeadlineTally.
 */
export interface DeadlineTally {
  messages: number;
  notForwarded: number;
  earliestBase: number | null;
  undated: number;
}

/**
 * A thread's deadline tally kept between reads, and when it was made
 * (src/background/deadline-tally.ts). A schema upgrade that rewrites message or export rows must
 * drop it.
 */
export interface StoredDeadlineTally extends DeadlineTally {
  revision: number;
  /**
   * Whether a new message can be added to it without reading the thread again: false when an
   * export names a forwarded message the thread no longer has (a purged thread captured again),
   * which a new message of the same id would be.
   */
  extendable: boolean;
}

/** What a version holds: everything about a message that can change after it was sent. */
export type MessageContent = Omit<CapturedMessage, 'messageId' | 'type' | 'pageOrder'>;

export interface MessageRow {
  threadId: string;
  messageId: string;
  type: 'message' | 'event';
  /** From the first observation; the send time does not change. */
  sentAt: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Position on the page the first time it was seen, for a stable order among equal times. */
  firstPageOrder: number;
  /** The capture that first saw it. */
  firstCaptureId: string;
  versionCount: number;
  /** Fingerprint of the newest version (SHA-256 of its canonical content). */
  latestFingerprint: string;
  /**
   * The newest version any bundle has carried (0: none) (v2). Written by schema v2 and v3 only:
   * since v4 an export records what it carried in its own row, and readers fold that in
   * (src/background/marks.ts); what is here still counts.
   */
  carriedVersion: number;
  /** The newest version a records system acknowledged with a receipt, or the user confirmed emailed (0: none) (v2; as carriedVersion, written before v4 only). */
  forwardedVersion: number;
  /** When forwardedVersion was last raised (v2; written before v4 only: the export row's receipt has the time since). */
  forwardedAt: string | null;
}

export type VersionKind = 'original' | 'edited' | 'deleted' | 'updated';

export interface VersionRow {
  id?: number;
  threadId: string;
  messageId: string;
  /** 1 for the first observation, then 2, 3, ... */
  version: number;
  kind: VersionKind;
  observedAt: string;
  captureId: string;
  fingerprint: string;
  content: MessageContent;
}

export interface AttachmentRow {
  sha256: string;
  mediaType: string;
  size: number;
  bytes: Uint8Array;
  firstSeenAt: string;
  /**
   * The bytes' SHA-512 (hex) and CRC-32, computed when they were first stored (ingest, since the
   * eleventh session; older rows have neither, and no index covers them, so no schema version
   * was needed). An export writes this SHA-512 into the bag's manifest as it is, and refuses the
   * bundle when the bytes it reads no longer match this CRC-32: the manifest then attests what
   * was captured, and a stored copy damaged since is reported instead of bundled.
   */
  sha512?: string;
  crc32?: number;
}

/**
 * One part of an attachment on its way in (LIMITS.blobPartBytes long, the last shorter): kept
 * only until the last part has come and the whole is stored as an AttachmentRow, or until its
 * capture ends (src/background/blob-parts.ts). Never exported.
 */
export interface BlobPartRow {
  captureId: string;
  sha256: string;
  offset: number;
  /** The whole attachment's size and media type, as this part's message claimed them. */
  size: number;
  mediaType: string;
  bytes: Uint8Array;
  receivedAt: string;
}

export type CaptureStatus = 'running' | 'complete' | 'incomplete' | 'failed';

export interface CaptureRow {
  id: string;
  threadId: string | null;
  tabId: number;
  /** When the page last reported on this capture (progress, a batch, a liveness answer). Not indexed. */
  lastActivityAt?: string;
  /** The frame capturing: 0 (absent in older rows) for the tab's page, else an embedded messenger frame (Google Chat in Gmail). Not indexed. */
  frameId?: number;
  pageUrl: string;
  adapter: PlatformId;
  mode: 'manual' | 'auto';
  startedAt: string;
  finishedAt: string | null;
  status: CaptureStatus;
  /** Whether the capture reached the beginning of the conversation. */
  reachedBeginning: boolean;
  /** Plain words for why the capture is not the whole conversation (or why it failed). */
  incompleteReason: string | null;
  error: string | null;
  extensionVersion: string;
  browser: string;
  /** What a running capture is doing now (reading, scrolling, loading history, paused in a hidden tab). */
  phase: 'reading' | 'scrolling' | 'loading-history' | 'paused-hidden' | null;
  /** The oldest send time reached so far. */
  oldestSentAt: string | null;
  /** Why it ended, as a code (see EndReason in protocol.ts); null while running. */
  endReason: string | null;
  /** The selector that failed, when the layout could not be read. */
  selector: string | null;
  /** Batch sequence numbers already committed (a re-sent batch is acknowledged, not re-counted). */
  appliedSeqs: number[];
  /**
   * What this capture kept. A message (or event) counts once, as last sent: a new version of
   * one this capture already counted (an edit seen by auto mode, an attachment read on a later
   * attempt) replaces its counts. newVersions counts each such version.
   */
  counts: {
    messages: number;
    events: number;
    newMessages: number;
    newEvents: number;
    newVersions: number;
    attachments: number;
    attachmentsMissing: number;
    /** Messages the page showed cut short behind "Read more"; absent while there are none (and in captures made before it was counted). */
    truncated?: number;
  };
}

export interface SigningKeyRow {
  id: 'device';
  /** Private key is non-extractable; the public key is exported as JWK below. */
  pair: CryptoKeyPair;
  publicJwk: JsonWebKey;
  thumbprint: string;
  createdAt: string;
}

export interface ExportRow {
  id?: number;
  at: string;
  bagName: string;
  /** bag-info External-Identifier (v2). */
  externalIdentifier: string;
  /** 'full' or 'incremental' (only what no earlier bundle carried) (v2). */
  scope: 'full' | 'incremental';
  /** How it leaves the machine: downloaded, an email draft, or uploaded (v2). */
  route: 'download' | 'email' | 'upload';
  /** Which version of which message it carried, so a receipt can mark exactly those forwarded (v2). */
  carried: [threadId: string, messageId: string, version: number][];
  /** The records system's receipt, or the user's confirmation that the email was sent (v2). */
  receipt: Record<string, unknown> | null;
  fileName: string;
  sha256: string;
  keyThumbprint: string;
  threadIds: string[];
  messages: number;
  attachments: number;
  downloadId: number | null;
  /**
   * Set when its download (route download, or the email draft) was interrupted and nothing reached
   * Downloads: the bundle then counts as not carried (src/background/marks.ts), so the next
   * incremental export includes its messages again. `reason` is in plain words.
   */
  downloadFailed?: { at: string; reason: string };
  /**
   * Set while its upload stands refused by the records system (cleared when the user retries it):
   * it then counts as not carried, so an incremental export does not skip its messages.
   */
  uploadRefused?: { at: string; reason: string };
}

/** An audit log entry as stored: a chained entry (src/shared/audit-chain.ts), its `seq` the table's key. */
export type AuditRow = Omit<ChainedEntry, 'seq'> & { seq?: number };

/** A bundle waiting to reach the records system (persistent: survives browser restarts). */
export interface UploadRow {
  id: string;
  exportId: number;
  bagName: string;
  sha256: string;
  keyThumbprint: string;
  /**
   * The bundle file in the extension's Origin Private File System (src/background/bundle-files.ts),
   * sent from disk (v3). Null for rows queued before v3, which hold the bytes in `zip`.
   */
  file: string | null;
  /** v2 rows only: the bundle's bytes, inline. From v3 on the bytes are never in the database. */
  zip?: Uint8Array;
  endpoint: string;
  status: 'queued' | 'sending' | 'done' | 'refused';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  receipt: Record<string, unknown> | null;
  createdAt: string;
}

export type ThreadkeeperDb = Dexie & {
  threads: EntityTable<ThreadRow, 'id'>;
  messages: Dexie.Table<MessageRow, [string, string]>;
  versions: EntityTable<VersionRow, 'id'>;
  attachments: EntityTable<AttachmentRow, 'sha256'>;
  captures: EntityTable<CaptureRow, 'id'>;
  signingKeys: EntityTable<SigningKeyRow, 'id'>;
  exports: EntityTable<ExportRow, 'id'>;
  audit: EntityTable<AuditRow, 'seq'>;
  uploads: EntityTable<UploadRow, 'id'>;
  blobParts: Dexie.Table<BlobPartRow, [string, string, number]>;
};

/** Every version ever shipped, oldest first. Never edit a shipped entry: add a new one. */
export const SCHEMA_VERSIONS: { version: number; stores: Record<string, string>; upgrade?: (tx: Transaction) => Promise<void> }[] = [
  {
    version: 1,
    stores: {
      threads: 'id, platform, lastCapturedAt',
      messages: '[threadId+messageId], threadId, sentAt',
      versions: '++id, &[threadId+messageId+version], [threadId+messageId], threadId, captureId',
      attachments: 'sha256',
      captures: 'id, threadId, tabId, startedAt, status',
      signingKeys: 'id',
      exports: '++id, at, sha256',
      audit: '++seq, at, action',
    },
  },
  {
    // v2 (issue #5): forwarding state per message, bundles per thread, the upload queue, and a
    // hash-chained audit log. Existing rows get empty forwarding state; existing audit entries
    // are chained in their order, so the chain is whole from the first entry on.
    version: 2,
    stores: {
      exports: '++id, at, sha256, externalIdentifier',
      uploads: 'id, status, nextAttemptAt, exportId',
    },
    upgrade: async (tx) => {
      await tx.table('messages').toCollection().modify((m: MessageRow) => {
        m.carriedVersion ??= 0;
        m.forwardedVersion ??= 0;
        m.forwardedAt ??= null;
      });
      await tx.table('threads').toCollection().modify((t: ThreadRow) => {
        t.bundles ??= [];
      });
      await tx.table('exports').toCollection().modify((e: ExportRow) => {
        e.externalIdentifier ??= '';
        e.scope ??= 'full';
        e.route ??= 'download';
        e.carried ??= [];
        e.receipt ??= null;
      });
      let prevHash = GENESIS;
      const rows = (await tx.table('audit').orderBy('seq').toArray()) as AuditRow[];
      for (const row of rows) {
        const hash = entryHash({ seq: row.seq!, at: row.at, action: row.action, details: row.details, prevHash });
        await tx.table('audit').update(row.seq!, { prevHash, hash });
        prevHash = hash;
      }
    },
  },
  {
    // v3 (issue #6, streaming export): an index that gives each attachment's media type and size
    // without reading its bytes (the export needs them before it streams the bytes one file at a
    // time), and uploads that name a bundle file on disk instead of holding its bytes. Rows
    // queued before keep their inline bytes and are sent from them.
    version: 3,
    stores: {
      attachments: 'sha256, [sha256+mediaType+size]',
    },
    upgrade: async (tx) => {
      await tx.table('uploads').toCollection().modify((u: UploadRow) => {
        u.file ??= null;
      });
    },
  },
  {
    // v4 (issue #6): exports indexed by the threads they carried. Which versions a bundle carried,
    // and which were forwarded, are read from the export rows (src/background/marks.ts) instead
    // of being copied onto every message row (rewriting 100,000 rows took 15-20 s per export and
    // again per receipt). Message rows keep what earlier versions wrote there, which still counts.
    version: 4,
    stores: {
      exports: '++id, at, sha256, externalIdentifier, *threadIds',
    },
  },
  {
    // v5 (issue #6): exports indexed by their download, so a download that is interrupted finds
    // the export it belongs to (src/background/download-outcome.ts). Rows are not rewritten.
    version: 5,
    stores: {
      exports: '++id, at, sha256, externalIdentifier, *threadIds, downloadId',
    },
  },
  {
    // v6 (issue #6, attachments over 24 MiB): parts of a large attachment until it is whole. A
    // new table only; no row is rewritten.
    version: 6,
    stores: {
      blobParts: '[captureId+sha256+offset], [captureId+sha256], captureId',
    },
  },
];

export function openDb(name = DB_NAME, indexedDB?: IDBFactory, keyRange?: typeof IDBKeyRange): ThreadkeeperDb {
  const db = new Dexie(name, indexedDB && keyRange ? { indexedDB, IDBKeyRange: keyRange } : undefined) as ThreadkeeperDb;
  for (const v of SCHEMA_VERSIONS) {
    const declared = db.version(v.version).stores(v.stores);
    if (v.upgrade) declared.upgrade(v.upgrade);
  }
  return db;
}
