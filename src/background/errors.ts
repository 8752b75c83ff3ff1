/**
 * Is this a full disk? IndexedDB says so with a QuotaExceededError DOMException, which reaches us
 * as it is, as Dexie's own QuotaExceededError (a write that throws), or as the `inner` of Dexie's
 * AbortError (a commit that fails, as in Chromium), or among the failures of Dexie's BulkError;
 * other code may wrap it as a `cause`.
 */
function isQuotaError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { name?: unknown; inner?: unknown; cause?: unknown; failures?: unknown };
  if (e.name === 'QuotaExceededError') return true;
  // Dexie's BulkError: the failed writes of a bulkAdd/bulkPut, each with its own error.
  if (Array.isArray(e.failures) && e.failures.some((f) => isQuotaError(f, depth + 1))) return true;
  return isQuotaError(e.inner ?? e.cause, depth + 1);
}

/** Plain words for an error the user will read; a full disk says so, and that what was kept is safe. */
export function describeError(err: unknown): string {
  if (isQuotaError(err)) {
    return 'the browser has no more storage space for Threadkeeper; free disk space and try again (what was already kept is safe)';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
