// @vitest-environment happy-dom
/**
 * The WhatsApp adapter gives the same message object again for a row whose facts and context
 * did not change, and CaptureSession.push passes over such an object without comparing it.
 * Neither may change what is read or sent: after every change below, the read must equal a
 * fresh read of the same page (a parsed copy, which remembers nothing), and the messages it
 * gives again must be exactly those whose row did not change.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PageMessage, PageRead } from '../../src/adapters/types';
import { whatsappAdapter } from '../../src/adapters/whatsapp';
import { CaptureSession } from '../../src/content/capture-session';
import type { ContentBatch } from '../../src/shared/protocol';
import { random } from '../helpers/random';

const FIXTURES = ['demo-group', 'group-classic-en-us', 'group-2026-pt-br', 'direct-2026-en-gb', 'direct-legacy-2020-en-us'];

function load(name: string): void {
  const html = readFileSync(`test/fixtures/whatsapp/${name}.html`, 'utf8');
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  document.documentElement.innerHTML = parsed.documentElement.innerHTML;
  for (const a of Array.from(document.documentElement.attributes)) document.documentElement.removeAttribute(a.name);
  for (const a of Array.from(parsed.documentElement.attributes)) document.documentElement.setAttribute(a.name, a.value);
}

/** The same page read from scratch: a parsed copy has no window, so nothing is remembered. */
function freshRead(): PageRead {
  const copy = new DOMParser().parseFromString(document.documentElement.outerHTML, 'text/html');
  return whatsappAdapter.read(copy);
}

/** The pane's rows as the adapter finds them (older layouts have no role=row). */
function rows(): Element[] {
  const byRole = Array.from(document.querySelectorAll('#main [role="row"]'));
  if (byRole.length > 0) return byRole;
  const all = Array.from(document.querySelectorAll('#main [data-id], #main .focusable-list-item'));
  return all.filter((el) => !all.some((o) => o !== el && o.contains(el)));
}

const idOf = (row: Element): string | null => (row.matches('[data-id]') ? row : row.querySelector('[data-id]'))?.getAttribute('data-id') ?? null;

/** A read, or the error it ends with (the same page must fail the same way either way). */
function outcome(read: () => PageRead): PageRead | string {
  try {
    return read();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** What a message says, leaving out what the read sets on every read (its order, its quote link). */
const content = (m: PageMessage): string => JSON.stringify({ ...m, pageOrder: 0, quote: m.quote && { ...m.quote, messageId: null } });

describe('WhatsApp: a message object given again only for a row that did not change', () => {
  for (const [n, name] of FIXTURES.entries()) {
    it(`${name}: after each of many random changes, the read equals a fresh read`, () => {
      load(name);
      const next = random(1000 + n);
      const pick = <T>(xs: readonly T[]): T | undefined => (xs.length ? xs[Math.floor(next() * xs.length)] : undefined);
      const texts = (): Text[] => {
        const walker = document.createTreeWalker(document.getElementById('main')!, NodeFilter.SHOW_TEXT);
        const out: Text[] = [];
        for (let t = walker.nextNode(); t; t = walker.nextNode()) if ((t.textContent ?? '').trim()) out.push(t as Text);
        return out;
      };
      let id = 0;
      const changes: (() => void)[] = [
        () => {
          // Two texts of the pane trade places: names, times, dates, titles, quotes, bodies.
          const [a, b] = [pick(texts()), pick(texts())];
          if (!a || !b) return;
          const t = a.data;
          a.data = b.data;
          b.data = t;
        },
        () => pick(rows())?.remove(),
        () => {
          const row = pick(rows().filter((r) => idOf(r) !== null));
          if (!row) return;
          const copy = row.cloneNode(true) as Element;
          (copy.matches('[data-id]') ? copy : copy.querySelector('[data-id]')!).setAttribute('data-id', `COPY${id++}`);
          pick(rows())?.after(copy);
        },
        () => {
          const [row, at] = [pick(rows()), pick(rows())];
          if (row && at && row !== at) at.before(row);
        },
        () => document.documentElement.setAttribute('lang', pick(['en-US', 'en-GB', 'pt-BR'])!),
      ];
      let before = outcome(() => whatsappAdapter.read(document));
      expect(before).toEqual(outcome(freshRead));
      for (let step = 0; step < 60; step++) {
        const given = typeof before === 'string' ? new Map<string, [PageMessage, string]>() : new Map(before.messages.map((m) => [m.messageId, [m, content(m)] as [PageMessage, string]]));
        const count = 1 + Math.floor(next() * 2);
        for (let k = 0; k < count; k++) pick(changes)!();
        const after = outcome(() => whatsappAdapter.read(document));
        expect(after, `step ${step}`).toEqual(outcome(freshRead));
        // A message given again reads exactly as before.
        if (typeof after !== 'string') {
          for (const m of after.messages) {
            const old = given.get(m.messageId);
            if (old && old[0] === m) expect(content(m), `step ${step}: ${m.messageId}`).toBe(old[1]);
          }
        }
        before = after;
      }
    });
  }

  /** Reads, changes the page, reads again: the second read must equal a fresh read; returns both. */
  function around(name: string, change: () => void): { before: PageRead; after: PageRead } {
    load(name);
    // A copy: the next read may give the same objects again, with their order and quote links set anew.
    const before = structuredClone(whatsappAdapter.read(document));
    change();
    const after = whatsappAdapter.read(document);
    expect(after).toEqual(freshRead());
    return { before, after };
  }
  const byId = (read: PageRead, prefix: string): PageMessage => read.messages.find((m) => m.messageId.startsWith(prefix))!;

  it('builds again the messages named after the chat when it is renamed (their rows did not change)', () => {
    const { before, after } = around('direct-2026-en-gb', () => {
      document.querySelector('#main header span[dir="auto"]')!.textContent = 'Priya R.';
    });
    expect(byId(before, '3EB0C2D4E6F8').sender).toBe('Priya Raman');
    expect(byId(after, '3EB0C2D4E6F8').sender).toBe('Priya R.');
  });

  it('builds again the messages of a day whose date changed elsewhere in the pane', () => {
    const { before, after } = around('group-classic-en-us', () => {
      const pre = document.querySelector('[data-pre-plain-text^="[2:47 PM, 9/15/2025]"]')!;
      pre.setAttribute('data-pre-plain-text', '[2:47 PM, 9/16/2025] +1 555-0134: ');
      for (const chip of Array.from(document.querySelectorAll('#main [role="row"] span[dir="auto"]'))) if (chip.textContent === '9/15/2025') chip.textContent = '9/16/2025';
    });
    expect(byId(before, '3EB05E4D3C2B').sentAt).toMatch(/^2025-09-15T15:02/);
    expect(byId(after, '3EB05E4D3C2B').sentAt).toMatch(/^2025-09-16T15:02/);
  });

  it('builds again a message that takes its sender from the message above when that one changed', () => {
    const { after } = around('group-classic-en-us', () => {
      const pre = document.querySelector('[data-id*="3EB01D2C3B4A"] [data-pre-plain-text]')!;
      pre.setAttribute('data-pre-plain-text', '[9:03 AM, 9/12/2025] Dana W.: ');
    });
    expect(byId(after, '3EB01D2C3B4A').sender).toBe('Dana W.');
    expect(byId(after, '3EB0A9B8C7D6').sender).toBe('Dana W.');
  });

  it('builds again the messages whose dates the page language decides when it changes', () => {
    const { before, after } = around('direct-2026-en-gb', () => document.documentElement.setAttribute('lang', 'en-US'));
    expect(byId(before, '3EB0C2D4E6F8').sentAt).toMatch(/^2026-10-05/);
    expect(byId(after, '3EB0C2D4E6F8').sentAt).not.toMatch(/^2026-10-05/);
  });

  it("builds again the messages whose direction follows from the owner's name when another row shows a different one", () => {
    load('direct-2026-en-gb');
    const rows = Array.from(document.querySelectorAll('#main [role="row"]')).filter((r) => r.querySelector('[data-id^="3EB0B7A15C2E"]'));
    const before = structuredClone(whatsappAdapter.read(document));
    // The first of the run gets an outgoing tail: now the first outgoing row with a pre-plain sender, it names the
    // owner, and the rows after it that show no direction of their own (the next by the run, the others by that
    // name) turn outgoing, though none of them changed.
    const tail = document.createElement('span');
    tail.setAttribute('data-icon', 'tail-out');
    rows[0]!.querySelector('[data-id]')!.prepend(tail);
    const after = whatsappAdapter.read(document);
    expect(after).toEqual(freshRead());
    const second = (r: PageRead) => r.messages.filter((m) => m.messageId.startsWith('3EB0B7A15C2E'))[1]!;
    expect(second(before).fromSelf).toBe(false);
    expect(second(after).fromSelf).toBe(true);
  });

  it('builds again a message with no id of its own when an identical one appears above it (its derived id counts those)', () => {
    load('demo-group');
    // The second of two messages in a row by Amira: a copy above it leaves the message before it the same.
    const row = document.querySelector('[data-id="3EB0D1E2F3A4B5C6D7E8FA"]')!.closest('[role="row"]')!;
    for (const el of [row, ...Array.from(row.querySelectorAll('[data-id]'))]) el.removeAttribute('data-id');
    const before = structuredClone(whatsappAdapter.read(document));
    row.before(row.cloneNode(true));
    const after = whatsappAdapter.read(document);
    expect(after).toEqual(freshRead());
    const derived = (r: PageRead) => r.messages.filter((m) => m.text.startsWith('Agenda for Thursday')).map((m) => m.messageId);
    expect(derived(before)).toHaveLength(1);
    expect(derived(after)).toHaveLength(2);
    expect(new Set(derived(after)).size).toBe(2);
  });

  it('links a quote again against the messages of this read (the quoted one gone)', () => {
    const { before, after } = around('group-classic-en-us', () => document.querySelector('[data-id*="3EB0C8D2A41F"]')!.closest('[role="row"]')!.remove());
    expect(byId(before, '3A5F0C9E8D7B').quote?.messageId).toBe('3EB0C8D2A41F6B7E9A03');
    expect(byId(after, '3A5F0C9E8D7B').quote?.messageId).toBeNull();
  });

  it('gives the unchanged rows the same objects after a row is appended and the first removed (the common auto-capture read)', () => {
    load('demo-group');
    const before = whatsappAdapter.read(document);
    const withId = rows().filter((r) => idOf(r) !== null);
    const copy = withId[withId.length - 1]!.cloneNode(true) as Element;
    (copy.matches('[data-id]') ? copy : copy.querySelector('[data-id]')!).setAttribute('data-id', 'APPENDED1');
    rows()[rows().length - 1]!.after(copy);
    rows()[0]!.remove();
    const after = whatsappAdapter.read(document);
    const old = new Map(before.messages.map((m) => [m.messageId, m]));
    const same = after.messages.filter((m) => old.get(m.messageId) === m);
    // All but the new one, and at most the first left (its run starts anew) and the rows of
    // the removed row's day, are given again.
    expect(same.length).toBeGreaterThanOrEqual(after.messages.length - 4);
    expect(after.messages.map((m) => m.pageOrder)).toEqual(after.messages.map((_, i) => i));
  });
});

describe('CaptureSession.push and a message object given again', () => {
  const base: PageMessage = {
    messageId: 'm1', type: 'message', text: 'hello', sender: 'Ana', fromSelf: false, sentAt: '2026-11-27T10:00:00.000Z', sentAtText: null,
    links: [], deleted: false, edited: false, forwarded: false, quote: null, reactions: [], attachments: [], direction: null, pageOrder: 0,
  };
  const read = (...messages: PageMessage[]): PageRead => ({ thread: { threadKey: 't', title: 'T', kind: 'group', participants: [] }, messages });

  function session(): { s: CaptureSession; sent: string[] } {
    const sent: string[] = [];
    const send = (b: ContentBatch) => {
      sent.push(...b.messages.map((m) => m.text));
      return Promise.resolve({ ok: true as const, seq: b.seq, stored: b.messages.length, newMessages: 0, newVersions: 0 } as never);
    };
    return { s: new CaptureSession(whatsappAdapter, 'c1', send), sent };
  }

  it('sends a message once, passes over the same object, and still sends a new object that differs', async () => {
    const { s, sent } = session();
    const m = { ...base };
    expect(await s.push(read(m))).toBe(1);
    expect(await s.push(read(m))).toBe(0);
    expect(await s.push(read({ ...base }))).toBe(0);
    expect(await s.push(read({ ...base, text: 'hello, edited' }))).toBe(1);
    expect(sent).toEqual(['hello', 'hello, edited']);
  });

  it('compares an object again once another version of its message was sent (an edit, then back)', async () => {
    const { s, sent } = session();
    const first = { ...base };
    await s.push(read(first));
    await s.push(read({ ...base, text: 'changed' }));
    // The first object comes back (an adapter that kept it): it no longer matches what was sent last.
    expect(await s.push(read(first))).toBe(1);
    expect(sent).toEqual(['hello', 'changed', 'hello']);
  });
});
