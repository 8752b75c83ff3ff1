// @vitest-environment happy-dom
/**
 * RowMemo: a row's facts are read again exactly when something that can change them changed —
 * never served stale (a missed edit would be a lost version), and not re-read when nothing did.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { RowMemo, type RegionMemo } from '../../src/adapters/row-memo';
import { whatsappAdapter } from '../../src/adapters/whatsapp';

const ROW = '[role="row"]';

function page(): void {
  document.body.innerHTML = `
    <header><span id="status">online</span></header>
    <div id="list">
      <div role="row" id="a"><span class="text">first</span></div>
      <div role="row" id="b"><span class="text">second</span></div>
      <div role="row" id="c"><span class="text">third</span></div>
    </div>`;
}

/** Reads every row through the memo; returns which rows were really read. */
function readAll(memo: RowMemo<string>): { texts: string[]; read: string[] } {
  memo.sync(document);
  const read: string[] = [];
  const texts = Array.from(document.querySelectorAll(ROW)).map((row) =>
    memo.get(row, (r) => {
      read.push(r.id);
      return `${r.closest('[aria-hidden="true"]') ? 'hidden ' : ''}${r.textContent!.trim()}`;
    }),
  );
  return { texts, read };
}

describe('RowMemo', () => {
  let memo: RowMemo<string>;
  beforeEach(() => {
    page();
    memo = new RowMemo<string>(ROW);
    readAll(memo);
  });

  it('does not read an unchanged row again', () => {
    expect(readAll(memo)).toEqual({ texts: ['first', 'second', 'third'], read: [] });
  });

  it('reads again a row whose text changed, even in the same task as the read', () => {
    document.querySelector('#b .text')!.firstChild!.textContent = 'second, edited';
    expect(readAll(memo)).toEqual({ texts: ['first', 'second, edited', 'third'], read: ['b'] });
  });

  it('reads again a row whose attribute or children changed', () => {
    document.querySelector('#a .text')!.setAttribute('data-edited', 'yes');
    document.querySelector('#c')!.append(document.createElement('img'));
    expect(readAll(memo).read).toEqual(['a', 'c']);
  });

  it('reads new rows and rows moved elsewhere; a removed row costs nothing', () => {
    const list = document.getElementById('list')!;
    list.append(document.getElementById('a')!); // moved to the end
    const d = document.createElement('div');
    d.setAttribute('role', 'row');
    d.id = 'd';
    d.textContent = 'fourth';
    list.append(d);
    document.getElementById('b')!.remove();
    expect(readAll(memo)).toEqual({ texts: ['third', 'first', 'fourth'], read: ['a', 'd'] });
  });

  it('reads every row again when an element holding rows changes an attribute (e.g. becomes aria-hidden)', () => {
    document.getElementById('list')!.setAttribute('aria-hidden', 'true');
    expect(readAll(memo)).toEqual({ texts: ['hidden first', 'hidden second', 'hidden third'], read: ['a', 'b', 'c'] });
  });

  it('ignores changes outside the rows that cannot touch them', () => {
    document.getElementById('status')!.textContent = 'typing…';
    document.getElementById('status')!.setAttribute('class', 'busy');
    expect(readAll(memo).read).toEqual([]);
  });

  // The observer's callback only keeps records; the read applies them. These changes reach the
  // callback before the read (a task boundary between them), unlike the same-task cases above.
  const delivered = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('reads again rows changed in earlier tasks, whose records the observer already delivered', async () => {
    document.querySelector('#a .text')!.firstChild!.textContent = 'first, edited';
    await delivered();
    document.querySelector('#c .text')!.setAttribute('data-edited', 'yes');
    await delivered();
    expect(readAll(memo)).toEqual({ texts: ['first, edited', 'second', 'third'], read: ['a', 'c'] });
  });

  it('reads again a row whose text changed before that text moved to another row', async () => {
    const text = document.querySelector('#a .text')!;
    text.firstChild!.textContent = 'moved';
    await delivered();
    document.getElementById('b')!.append(text); // a leaves row a: both rows changed
    await delivered();
    expect(readAll(memo)).toEqual({ texts: ['', 'secondmoved', 'third'], read: ['a', 'b'] });
  });

  it('reads again a row changed twice, once delivered and once in the same task as the read', async () => {
    document.querySelector('#b .text')!.setAttribute('data-edited', 'yes');
    await delivered();
    readAll(memo);
    document.querySelector('#b .text')!.firstChild!.textContent = 'second, edited again';
    expect(readAll(memo)).toEqual({ texts: ['first', 'second, edited again', 'third'], read: ['b'] });
  });

  it('reads every row again when a holder of rows changes an attribute after its children changed (one walk, both records)', async () => {
    const list = document.getElementById('list')!;
    list.append(document.createComment('a child that is not a row'));
    await delivered();
    list.setAttribute('aria-hidden', 'true');
    expect(readAll(memo)).toEqual({ texts: ['hidden first', 'hidden second', 'hidden third'], read: ['a', 'b', 'c'] });
  });

  it('forgets everything rather than keep records without end while nothing reads', async () => {
    const status = document.getElementById('status')!;
    for (let i = 0; i <= RowMemo.MAX_KEPT; i++) status.setAttribute('data-n', String(i));
    await delivered();
    expect(readAll(memo).read).toEqual(['a', 'b', 'c']);
    expect(readAll(memo).read).toEqual([]);
  });

  it('starts afresh on another document', () => {
    const other = document.implementation.createHTMLDocument('other');
    memo.sync(other);
    memo.sync(document);
    expect(readAll(memo).read).toEqual(['a', 'b', 'c']);
  });
});

describe('RegionMemo (a value read from the header, kept by the rows\' observer)', () => {
  let memo: RowMemo<string>;
  let header: RegionMemo<string>;
  let reads: number;
  /** One read as an adapter makes it: sync, then the header's value. */
  const readHeader = (): string => {
    memo.sync(document);
    return header.get(() => {
      reads++;
      return { value: Array.from(document.querySelectorAll('header')).map((h) => `${h.textContent!.trim()}|${h.getAttribute('title') ?? ''}`).join(';'), from: Array.from(document.querySelectorAll('header')) };
    });
  };
  /** Whether the next read reads the header again (and what it gives). */
  const next = (): { value: string; readAgain: boolean } => {
    const before = reads;
    const value = readHeader();
    return { value, readAgain: reads > before };
  };

  beforeEach(() => {
    page();
    memo = new RowMemo<string>(ROW);
    header = memo.region<string>('header, footer, #main');
    reads = 0;
    readHeader();
  });

  it('is not read again when only the rows, the list or a style changed', () => {
    document.querySelector('#b .text')!.firstChild!.textContent = 'second, edited';
    const row = document.createElement('div');
    row.setAttribute('role', 'row');
    row.textContent = 'fourth';
    document.getElementById('list')!.append(row);
    document.getElementById('a')!.remove();
    document.getElementById('list')!.setAttribute('style', 'height: 10px');
    expect(next()).toEqual({ value: 'online|', readAgain: false });
  });

  it('is read again when its text, an attribute or a child changed, even in the same task as the read', async () => {
    document.getElementById('status')!.firstChild!.textContent = 'typing…';
    expect(next()).toEqual({ value: 'typing…|', readAgain: true });
    document.querySelector('header')!.setAttribute('title', 'Ana, Bruno, You');
    await new Promise((r) => setTimeout(r, 0)); // delivered to the observer before the read
    expect(next()).toEqual({ value: 'typing…|Ana, Bruno, You', readAgain: true });
    document.querySelector('header')!.append(document.createElement('span'));
    expect(next().readAgain).toBe(true);
    expect(next().readAgain).toBe(false);
  });

  it('is read again when the header was replaced, left, or another appeared anywhere', () => {
    const replacement = document.createElement('header');
    replacement.textContent = 'Other chat';
    document.querySelector('header')!.replaceWith(replacement);
    expect(next()).toEqual({ value: 'Other chat|', readAgain: true });
    // Its removal's record names only the parent, which no longer holds it: the read sees it left.
    replacement.remove();
    expect(next()).toEqual({ value: '', readAgain: true });
    // A header arriving inside a row of the list.
    const extra = document.createElement('div');
    extra.innerHTML = '<header>inside</header>';
    document.getElementById('c')!.append(extra);
    expect(next()).toEqual({ value: 'inside|', readAgain: true });
  });

  it('is read again when an ancestor changes or an id changes anywhere', () => {
    document.body.setAttribute('class', 'dark');
    expect(next().readAgain).toBe(true);
    document.getElementById('a')!.setAttribute('id', 'main');
    expect(next().readAgain).toBe(true);
  });

  it('is read again after the memo forgot everything, and on every read of a document with no window to watch it', async () => {
    const status = document.getElementById('list')!;
    for (let i = 0; i <= RowMemo.MAX_KEPT; i++) status.setAttribute('data-n', String(i));
    await new Promise((r) => setTimeout(r, 0));
    expect(next().readAgain).toBe(true);
    // As DOMParser's documents are in Chromium: no defaultView, so no observer.
    const parsed = { defaultView: null } as unknown as Document;
    const held = document.createElement('header');
    document.body.append(held);
    let parsedReads = 0;
    const readParsed = () => {
      memo.sync(parsed);
      return header.get(() => ({ value: String(++parsedReads), from: [held] }));
    };
    expect([readParsed(), readParsed()]).toEqual(['1', '2']);
  });
});

describe('the WhatsApp adapter with remembered rows', () => {
  it('says so, so that auto-capture reads it in small batches', () => {
    expect(whatsappAdapter.remembersRows).toBe(true);
  });

  it('reads an edit made just before the read, in the same task, and nothing else changes', () => {
    const html = readFileSync('test/fixtures/whatsapp/demo-group.html', 'utf8');
    document.documentElement.innerHTML = new DOMParser().parseFromString(html, 'text/html').documentElement.innerHTML;
    const before = whatsappAdapter.read(document);
    const target = before.messages.find((m) => m.messageId === '3EB0D1E2F3A4B5C6D7E8FA')!;
    expect(target.text).toMatch(/^Agenda for Thursday/);
    const textEl = document.querySelector('[data-id="3EB0D1E2F3A4B5C6D7E8FA"] span.selectable-text > span')!;
    textEl.textContent = 'changed after the first read';
    const after = whatsappAdapter.read(document);
    expect(after.messages.find((m) => m.messageId === target.messageId)!.text).toBe('changed after the first read');
    expect(after.messages.filter((m) => m.messageId !== target.messageId)).toEqual(before.messages.filter((m) => m.messageId !== target.messageId));
  });

  describe('the whole read, served again while nothing in or around the pane changed', () => {
    const load = () => {
      const html = readFileSync('test/fixtures/whatsapp/demo-group.html', 'utf8');
      document.documentElement.innerHTML = new DOMParser().parseFromString(html, 'text/html').documentElement.innerHTML;
      document.documentElement.removeAttribute('lang');
    };

    it('serves the same read after changes in the chat list beside the pane', async () => {
      load();
      const first = whatsappAdapter.read(document);
      const preview = document.querySelector('#pane-side .preview')!;
      preview.textContent = 'Amira is typing…';
      preview.setAttribute('title', 'Amira is typing…');
      document.getElementById('pane-side')!.append(document.createElement('div'));
      await new Promise((r) => setTimeout(r, 0));
      expect(whatsappAdapter.read(document)).toBe(first);
    });

    it('reads again after a change inside the pane, or to what holds it (the page language)', () => {
      load();
      const first = whatsappAdapter.read(document);
      document.querySelector('#main [role="row"]')!.setAttribute('data-seen', 'yes');
      const second = whatsappAdapter.read(document);
      expect(second).not.toBe(first);
      expect(second).toEqual(first);
      document.documentElement.setAttribute('lang', 'en-GB');
      expect(whatsappAdapter.read(document)).not.toBe(second);
    });

    it('reads the other chat when the pane is replaced', () => {
      load();
      const first = whatsappAdapter.read(document);
      const main = document.getElementById('main')!;
      const other = main.cloneNode(true) as Element;
      other.querySelector('header span.title')!.textContent = 'Another chat';
      main.replaceWith(other);
      const second = whatsappAdapter.read(document);
      expect(second.thread.title).toBe('Another chat');
      expect(second.messages.map((m) => m.messageId)).toEqual(first.messages.map((m) => m.messageId));
    });

    it('never serves an earlier read after a read that failed', () => {
      load();
      whatsappAdapter.read(document);
      for (const row of Array.from(document.querySelectorAll('#main [role="row"]'))) row.replaceChildren();
      expect(() => whatsappAdapter.read(document)).toThrow(/could not read the messages/);
      expect(() => whatsappAdapter.read(document)).toThrow(/could not read the messages/);
    });
  });

  it('reads a renamed chat just after the change, and the rows stay remembered', () => {
    const html = readFileSync('test/fixtures/whatsapp/demo-group.html', 'utf8');
    document.documentElement.innerHTML = new DOMParser().parseFromString(html, 'text/html').documentElement.innerHTML;
    const before = whatsappAdapter.read(document);
    document.querySelector('#main header span.title')!.textContent = 'Renamed group';
    const after = whatsappAdapter.read(document);
    expect(after.thread.title).toBe('Renamed group');
    expect(after.messages).toEqual(before.messages);
  });
});
