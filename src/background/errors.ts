/** Plain words for an error the user will read; a full disk says so, and that what was kept is safe. */
export function describeError(err: unknown): string {
  if (err instanceof DOMException && err.name === 'QuotaExceededError') {
    return 'the browser has no more storage space for Threadkeeper; free disk space and try again (what was already kept is safe)';
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
