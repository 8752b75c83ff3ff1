/**
 * The database's open state, for telling the user the truth. Opening a newer schema version
 * waits until every older connection has closed. Our own older copies (an old service worker)
 * close when asked (Dexie's default on `versionchange`); one that does not — a page of an older
 * build still holding the database — blocks the upgrade. Nothing is lost while it waits (the
 * upgrade runs in one transaction once the way is clear), but nothing can be written either,
 * so every request is answered with these words instead of silence.
 */
import type Dexie from 'dexie';

export const DB_BLOCKED =
  'Threadkeeper is upgrading its database, and an older copy of Threadkeeper still has it open. ' +
  'Close other Threadkeeper tabs and windows, or restart the browser; nothing captured is lost.';

export interface OpenWatch {
  /** The reason the database cannot be used right now, or null. */
  problem(): string | null;
}

export function watchOpen(db: Dexie, tell: (problem: string | null) => void = () => undefined): OpenWatch {
  let blocked = false;
  db.on('blocked', () => {
    blocked = true;
    console.warn(`Threadkeeper: ${DB_BLOCKED}`);
    tell(DB_BLOCKED);
  });
  db.on('ready', () => {
    if (blocked) tell(null);
    blocked = false;
  });
  return { problem: () => (blocked ? DB_BLOCKED : null) };
}
