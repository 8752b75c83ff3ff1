/**
 * The audit log is hash-chained: each entry's hash covers its sequence number, time, action,
 * details and the previous entry's hash, so an edited, removed or reordered entry is detectable.
 * The same functions write the chain (background) and check it (verifier, tests).
 *
 * Two forms of entry share one chain:
 * - *committed* (every entry written since bundles withhold other conversations' entries): the
 *   hash covers `detailsHash`, the SHA-256 of the details together with a random salt kept beside
 *   them. So a bundle can carry an entry about another conversation *withheld* — its details and
 *   salt left out — and the chain still checks: the time, the action and every link are
 *   verified, and the details are neither shown nor guessable from their hash (the salt is 128
 *   random bits).
 * - *plain* (older entries): the hash covers the details themselves. Withheld, such an entry
 *   keeps only its sequence number and the two hashes; the links around it are still checked,
 *   its time and action cannot be.
 */
import { canonicalJson, toHex } from './bytes';
import { sha256HexSync } from './sha256-sync';

export const GENESIS = '0'.repeat(64);

export interface ChainedEntry {
  seq: number;
  at: string;
  action: string;
  details: Record<string, unknown>;
  /** Committed entries only: 32 hex digits of randomness that hide the details behind detailsHash. */
  salt?: string;
  /** Committed entries only: SHA-256 of the canonical JSON of `{details, salt}`. */
  detailsHash?: string;
  prevHash: string;
  hash: string;
}

/** An entry carried without its details (it is about another conversation). */
export interface WithheldEntry {
  seq: number;
  withheld: true;
  /** Committed entries: time, action and details hash stay, so the entry's hash is still checked. */
  at?: string;
  action?: string;
  detailsHash?: string;
  prevHash: string;
  hash: string;
}

export type CarriedEntry = ChainedEntry | WithheldEntry;

/** The hash of a plain (older) entry: it covers the details themselves. */
export function entryHash(e: Pick<ChainedEntry, 'seq' | 'at' | 'action' | 'details' | 'prevHash'>): string {
  return sha256HexSync(canonicalJson({ seq: e.seq, at: e.at, action: e.action, details: e.details, prevHash: e.prevHash }));
}

export function detailsHash(details: Record<string, unknown>, salt: string): string {
  return sha256HexSync(canonicalJson({ details, salt }));
}

/** The hash of a committed entry: it covers the details only through detailsHash. */
export function committedHash(e: { seq: number; at: string; action: string; detailsHash: string; prevHash: string }): string {
  return sha256HexSync(canonicalJson({ seq: e.seq, at: e.at, action: e.action, detailsHash: e.detailsHash, prevHash: e.prevHash }));
}

/** 128 random bits, hex. */
export function newSalt(): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

/** A new committed entry following `prevHash`. */
export function commitEntry(seq: number, at: string, action: string, details: Record<string, unknown>, prevHash: string, salt = newSalt()): ChainedEntry {
  const dh = detailsHash(details, salt);
  return { seq, at, action, details, salt, detailsHash: dh, prevHash, hash: committedHash({ seq, at, action, detailsHash: dh, prevHash }) };
}

/** The entry as a bundle carries it when it is about something else: no details, no salt. */
export function withhold(e: ChainedEntry): WithheldEntry {
  return e.detailsHash === undefined
    ? { seq: e.seq, withheld: true, prevHash: e.prevHash, hash: e.hash }
    : { seq: e.seq, withheld: true, at: e.at, action: e.action, detailsHash: e.detailsHash, prevHash: e.prevHash, hash: e.hash };
}

/** The entry as a bundle carries it in full (the fields of its form, in a fixed order). */
export function carried(e: ChainedEntry): ChainedEntry {
  return e.detailsHash === undefined
    ? { seq: e.seq, at: e.at, action: e.action, details: e.details, prevHash: e.prevHash, hash: e.hash }
    : { seq: e.seq, at: e.at, action: e.action, details: e.details, salt: e.salt, detailsHash: e.detailsHash, prevHash: e.prevHash, hash: e.hash };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Why this carried entry's own content does not match its hash, or null when it does (or cannot be checked). */
function contentProblem(e: Record<string, unknown>): string | null {
  const edited = 'its content does not match its hash (edited)';
  const withheld = e.withheld === true;
  if (withheld && ('details' in e || 'salt' in e)) return 'withheld, yet carries details';
  if (e.detailsHash === undefined && e.salt === undefined) {
    // A plain entry: withheld, only its links can be checked.
    return withheld || entryHash(e as unknown as ChainedEntry) === e.hash ? null : edited;
  }
  if (typeof e.detailsHash !== 'string' || typeof e.at !== 'string' || typeof e.action !== 'string') return edited;
  if (!withheld) {
    if (typeof e.salt !== 'string' || typeof e.details !== 'object' || e.details === null) return edited;
    if (detailsHash(e.details as Record<string, unknown>, e.salt) !== e.detailsHash) return 'its details do not match their hash (edited)';
  }
  return committedHash(e as { seq: number; at: string; action: string; detailsHash: string; prevHash: string }) === e.hash ? null : edited;
}

/**
 * Problems with a chain, in order; empty when every link holds. `first` is the expected start.
 * Withheld entries are checked as far as they can be (see the module comment).
 */
export function checkChain(entries: readonly unknown[], first: { seq: number; prevHash: string } = { seq: 1, prevHash: GENESIS }): string[] {
  const problems: string[] = [];
  let expectSeq = first.seq;
  let prev = first.prevHash;
  for (const [i, raw] of entries.entries()) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push(`line ${i + 1}: not an entry`);
      continue;
    }
    const e = raw as Record<string, unknown>;
    const seq = typeof e.seq === 'number' && Number.isSafeInteger(e.seq) ? e.seq : NaN;
    const name = Number.isNaN(seq) ? `line ${i + 1}` : `entry ${seq}`;
    if (typeof e.hash !== 'string' || !HEX64.test(e.hash) || typeof e.prevHash !== 'string') {
      problems.push(`${name}: has no hash`);
      continue;
    }
    if (seq !== expectSeq) problems.push(`${name}: expected entry ${expectSeq} here (an entry is missing or out of order)`);
    if (e.prevHash !== prev) problems.push(`${name}: does not link to the entry before it`);
    const content = contentProblem(e);
    if (content) problems.push(`${name}: ${content}`);
    prev = e.hash;
    expectSeq = (Number.isNaN(seq) ? expectSeq : seq) + 1;
  }
  return problems;
}
