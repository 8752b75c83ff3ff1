/**
 * The audit log is hash-chained: each entry's hash covers its sequence number, time, action,
 * details and the previous entry's hash, so an edited, removed or reordered entry is detectable.
 * The same functions write the chain (background) and check it (verifier, tests).
 */
import { canonicalJson } from './bytes';
import { sha256HexSync } from './sha256-sync';

export const GENESIS = '0'.repeat(64);

export interface ChainedEntry {
  seq: number;
  at: string;
  action: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export function entryHash(e: Omit<ChainedEntry, 'hash'>): string {
  return sha256HexSync(canonicalJson({ seq: e.seq, at: e.at, action: e.action, details: e.details, prevHash: e.prevHash }));
}

/** Problems with a chain, in order; empty when every link holds. `first` is the expected start. */
export function checkChain(entries: ChainedEntry[], first: { seq: number; prevHash: string } = { seq: 1, prevHash: GENESIS }): string[] {
  const problems: string[] = [];
  let expectSeq = first.seq;
  let prev = first.prevHash;
  for (const e of entries) {
    if (e.seq !== expectSeq) problems.push(`entry ${e.seq}: expected entry ${expectSeq} here (an entry is missing or out of order)`);
    if (e.prevHash !== prev) problems.push(`entry ${e.seq}: does not link to the entry before it`);
    if (entryHash(e) !== e.hash) problems.push(`entry ${e.seq}: its content does not match its hash (edited)`);
    prev = e.hash;
    expectSeq = e.seq + 1;
  }
  return problems;
}
