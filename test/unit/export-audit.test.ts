/**
 * An export of several threads together is audited as one entry per thread (each names only its
 * own thread), so a later bundle of one of them can carry its own entry whole and the others
 * withheld (src/background/audit-scope.ts). A failed export too, with the other threads' ids
 * taken out of the error it records.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/quiet-browser')).quietBrowser }));

const { db } = await import('../../src/background/context');
const { exportBundle, withoutOtherThreads } = await import('../../src/background/exporter');

const A = 'whatsapp:title:Budget committee';
const B = 'whatsapp:title:Informant Rosa';

describe('auditing an export of several threads', () => {
  it('a failed export writes one entry per thread, each naming only its thread', async () => {
    // No official address is set, so the email route fails before anything is read.
    const r = await exportBundle([A, B], 'full', 'email');
    expect(r.ok).toBe(false);
    const entries = (await db.audit.toArray()).filter((e) => e.action === 'export-failed');
    expect(entries.map((e) => e.details.threadId)).toEqual([A, B]);
    for (const e of entries) {
      expect(e.details).toMatchObject({ threadsInBundle: 2, scope: 'full', route: 'email' });
      expect(e.details.error).toMatch(/no official email address/);
      expect(e.details).not.toHaveProperty('threadIds');
    }
  });

  it('an error that names another thread of the export names it in none of the other entries', () => {
    const error = `no preserved thread ${B}`;
    expect(withoutOtherThreads(error, [A, B], A)).toBe('no preserved thread (another conversation of this export)');
    expect(withoutOtherThreads(error, [A, B], B)).toBe(error);
    // An id inside a longer one: the longer is replaced whole.
    const longer = `${B} (work)`;
    expect(withoutOtherThreads(`${longer} and ${B}`, [A, B, longer], A)).toBe('(another conversation of this export) and (another conversation of this export)');
  });
});
