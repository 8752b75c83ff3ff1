/**
 * What every adapter test does with its committed fixture pages: read test/fixtures/<messenger>/,
 * build a document at the address the page is served at, and check that the adapter reads each
 * page as its `.expected.json` says, and fails loudly on `changed-layout.html` as
 * `changed-layout.expected.json` says. The focused tests stay in each adapter's own file.
 *
 * Import it only from a test that runs under `// @vitest-environment happy-dom`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Window } from 'happy-dom';
import { afterEach, expect, it } from 'vitest';
import { AdapterReadError } from '../../src/adapters/types';
import type { PageMessage, PageRead } from '../../src/adapters/types';

export interface FixtureSet {
  /** test/fixtures/<messenger>, from the project root (happy-dom's URL cannot read file: URLs). */
  dir: string;
  /** A file of the set, as text. */
  fixture(name: string): string;
  /** `<page>.expected.json`, parsed. */
  expected<T = PageRead>(page: string): T;
}

export function fixtureSet(messenger: string): FixtureSet {
  // The vitest root is the project (vitest.config.ts).
  const dir = join(process.cwd(), 'test/fixtures', messenger);
  const fixture = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return { dir, fixture, expected: <T = PageRead>(page: string): T => JSON.parse(fixture(`${page}.expected.json`)) as T };
}

/** The AdapterReadError `read` throws; anything else it throws is rethrown, and returning fails. */
export function readErrorOf(read: () => unknown): AdapterReadError {
  try {
    read();
  } catch (e) {
    if (e instanceof AdapterReadError) return e;
    throw e;
  }
  throw new Error('read() returned instead of throwing');
}

/** A document at `url`, parsed in the test's own happy-dom window (whose address is set first). */
export function documentAt(url: string, html: string): Document {
  (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(url);
  return new DOMParser().parseFromString(html, 'text/html');
}

/** A document at `url`, parsed by the DOMParser of a fresh happy-dom window at that address. */
export function documentInWindow(url: string, html: string): Document {
  const window = new Window({ url });
  return new window.DOMParser().parseFromString(html, 'text/html') as unknown as Document;
}

/**
 * A page maker: each page is written into its own happy-dom window at `url`, so that
 * document.URL is the page's address (scripts do not run). The windows are closed after each test.
 */
export function windowPages(): (html: string, url: string) => Document {
  const windows: Window[] = [];
  afterEach(async () => {
    await Promise.all(windows.splice(0).map((w) => w.happyDOM.close()));
  });
  return (html, url) => {
    const window = new Window({ url });
    windows.push(window);
    window.document.write(html);
    return window.document as unknown as Document;
  };
}

export interface FixtureReader {
  conversationOpen(doc: Document): boolean;
  read(doc: Document): PageRead;
}

/**
 * One test per page, named after it: the page is an open conversation, and reading it gives
 * exactly its expected JSON. `read` replaces `adapter.read` (e.g. under a pinned clock);
 * `setup` runs first in each test, before the page is loaded.
 */
export function itReadsAsExpected(
  set: FixtureSet,
  pages: string[],
  o: { adapter: FixtureReader; load: (page: string) => Document; read?: (doc: Document) => PageRead; setup?: () => void },
): void {
  for (const name of pages) {
    it(name, () => {
      o.setup?.();
      const doc = o.load(name);
      expect(o.adapter.conversationOpen(doc)).toBe(true);
      expect(o.read ? o.read(doc) : o.adapter.read(doc)).toEqual(set.expected(name));
    });
  }
}

/**
 * `changed-layout` is an open conversation, and reading it throws exactly the error (name,
 * adapter, selector, message) that changed-layout.expected.json names.
 */
export function itFailsLoudlyOnChangedLayout(
  title: string,
  set: FixtureSet,
  o: { adapter: FixtureReader; load: (page: string) => Document; readError: (doc: Document) => AdapterReadError },
): void {
  it(title, () => {
    const doc = o.load('changed-layout');
    expect(o.adapter.conversationOpen(doc)).toBe(true);
    const e = o.readError(doc);
    const { error } = set.expected<{ error: Record<string, string> }>('changed-layout');
    expect({ name: e.name, adapter: e.adapter, selector: e.selector, message: e.message }).toEqual(error);
  });
}

/** Every `.html` page of the set has an address in the test (and so an expected-JSON test). */
export function itHasAnAddressForEveryPage(set: FixtureSet, urls: Record<string, string>): void {
  it('every fixture page has an address in this test and an expected file', () => {
    const pages = readdirSync(set.dir).filter((f) => f.endsWith('.html')).map((f) => f.replace(/\.html$/, ''));
    expect(pages.sort()).toEqual(Object.keys(urls).sort());
  });
}

export const EDITED_TEXT = 'changed after the first read';

/**
 * For an adapter that remembers rows: `after` (read after one message's text was set to
 * EDITED_TEXT) shows the edit, and every other message (messages only: an event a reader makes
 * itself has no facts to remember) reads as in `before`, its facts served from memory — the very
 * same `reactions` array, which a second reading of the row would have made anew.
 */
export function expectOnlyTheEditRead(before: PageRead, after: PageRead, edited: (m: PageMessage) => boolean): void {
  expect(after.messages.filter(edited).map((m) => m.text)).toEqual([EDITED_TEXT]);
  const others = (r: PageRead) => r.messages.filter((m) => m.type === 'message' && !edited(m));
  expect(others(after).length).toBeGreaterThan(2);
  expect(others(after)).toEqual(others(before));
  for (const [i, m] of others(after).entries()) expect(m.reactions).toBe(others(before)[i]!.reactions);
}

/**
 * For an adapter that remembers rows, after something outside the rows moved dates (a day
 * header, the clock): some messages moved, each by exactly `shiftMs` (matched by `key`, as a
 * derived id may follow the time), and every message's facts were still served from memory.
 */
export function expectDatesMovedRowsRemembered(before: PageMessage[], after: PageMessage[], shiftMs: number, key: (m: PageMessage) => unknown): void {
  const moved = after.filter((m, i) => m.sentAt !== before[i]!.sentAt);
  expect(moved.length).toBeGreaterThan(0);
  for (const m of moved) {
    const was = before.find((b) => key(b) === key(m))!;
    expect(Date.parse(m.sentAt!) - Date.parse(was.sentAt!)).toBe(shiftMs);
  }
  for (const [i, m] of after.entries()) expect(m.reactions).toBe(before[i]!.reactions);
}
