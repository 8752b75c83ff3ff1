/**
 * Is this a full disk? IndexedDB says so with a QuotaExceededError DOMException, which reaches us
 * as it is, as Dexie's own QuotaExceededError (a write that throws), or as the `inner` of Dexie's
 * AbortError (a commit that fails, as in Chromium); other code may wrap it as a `cause`.
 */
function isQuotaError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if ((e as { name?: unknown }).name === 'QuotaExceededError') return true;
    e = (e as { inner?: unknown }).inner ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Plain words for an error the user will read; a full disk says so, and that what was kept is safe. */
export function describeError(err: unknown): string {
  if (isQuotaError(err)) {
    return 'the browser has no more storage space for Threadkeeper; free disk space and try again (what was already kept is safe)';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
