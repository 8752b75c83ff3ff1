/**
 * Auto-capture on every messenger besides WhatsApp (long-thread.test.ts has WhatsApp), in real
 * Chromium with the built extension: every adapter remembers rows between reads, so each is
 * shown, on its demo page, that an edit made after the first read is kept as a new version of
 * that message and a message the page adds afterwards is kept too, with nobody clicking.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { dumpDb, fixture, setExtensionStorage } from './helpers';

/**
 * What the page does: edits one message and adds another after it. With `dry` it changes nothing
 * and says which message it would edit: its id (null where the page gives none) and its text.
 */
type Change = (a: { edit: string; add: string; dry: boolean }) => { id: string | null; text: string };

interface Case {
  adapter: string;
  host: string;
  path: string;
  file: string;
  url: string;
  rows: string;
  change: Change;
  /**
   * Where the page marks a message still sending by a local id (added by `change` with the text
   * `<add> (sending)`): gives it its server id, changing that attribute and nothing else.
   */
  confirm?: () => void;
  /** Where the page marks a message being deleted by a class alone: marks one, and returns its id. */
  deleting?: () => string;
}

const CASES: Case[] = [
  {
    adapter: 'slack', host: 'app.slack.com', path: '/client/T05HRBR7KQ2/C07CNCLRECS', file: 'slack/demo.html',
    url: 'https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS', rows: '[data-qa="message_pane"] [data-qa="message_container"]',
    change: ({ edit, add, dry }) => {
      const pane = document.querySelector('[data-qa="message_pane"]')!;
      const target = [...pane.querySelectorAll('[data-qa="message_container"]')].filter((c) => c.querySelector('[data-qa="message-text"]')).pop()!;
      const was = { id: target.getAttribute('data-msg-ts'), text: target.querySelector('[data-qa="message-text"]')!.textContent! };
      if (dry) return was;
      target.querySelector('[data-qa="message-text"]')!.textContent = edit;
      const item = target.closest('.c-virtual_list__item')!;
      const copy = item.cloneNode(true) as Element;
      const ts = '1790000000.000100';
      copy.setAttribute('data-item-key', ts);
      copy.querySelectorAll('[data-msg-ts]').forEach((e) => e.setAttribute('data-msg-ts', ts));
      copy.querySelectorAll('[data-ts]').forEach((e) => e.setAttribute('data-ts', ts));
      copy.querySelector('[data-qa="message-text"]')!.textContent = add;
      item.after(copy);
      return was;
    },
  },
  {
    adapter: 'teams', host: 'teams.cloud.microsoft', path: '/', file: 'teams/demo.html',
    url: 'https://teams.cloud.microsoft/', rows: '[data-tid="chat-pane-message"]',
    change: ({ edit, add, dry }) => {
      const body = [...document.querySelectorAll('[data-tid="chat-pane-message"][data-mid]')].filter((b) => document.getElementById(`content-${b.getAttribute('data-mid')}`)).pop()!;
      const mid = body.getAttribute('data-mid')!;
      const was = { id: mid, text: document.getElementById(`content-${mid}`)!.textContent! };
      if (dry) return was;
      document.getElementById(`content-${mid}`)!.textContent = edit;
      const row = body.closest('[data-tid="chat-pane-item"]')!;
      const copy = row.cloneNode(true) as Element;
      const added = '1790000000000';
      copy.querySelectorAll('[data-mid]').forEach((e) => e.setAttribute('data-mid', added));
      copy.querySelectorAll('[id]').forEach((e) => { e.id = e.id.split(mid).join(added); });
      copy.querySelectorAll('[aria-labelledby]').forEach((e) => e.setAttribute('aria-labelledby', e.getAttribute('aria-labelledby')!.split(mid).join(added)));
      copy.querySelector(`#content-${added}`)!.textContent = add;
      row.after(copy);
      return was;
    },
  },
  {
    adapter: 'telegram', host: 'web.telegram.org', path: '/a/', file: 'telegram/demo.html',
    url: 'https://web.telegram.org/a/#-1001234567890', rows: '.MessageList .message-list-item',
    change: ({ edit, add, dry }) => {
      const item = [...document.querySelectorAll('.MessageList .message-list-item[data-message-id]')].filter((i) => i.querySelector('.text-content')).pop()!;
      const was = { id: item.getAttribute('data-message-id'), text: item.querySelector('.text-content')!.textContent! };
      if (dry) return was;
      item.querySelector('.text-content')!.textContent = edit;
      const copy = item.cloneNode(true) as Element;
      copy.setAttribute('data-message-id', '99001');
      copy.id = 'message99001';
      copy.querySelector('.text-content')!.textContent = add;
      item.after(copy);
      // Still sending: a fractional local id (telegram-tt isLocalMessageId).
      const local = copy.cloneNode(true) as Element;
      local.setAttribute('data-message-id', '99001.0001');
      local.id = 'message99001.0001';
      local.querySelector('.text-content')!.textContent = `${add} (sending)`;
      copy.after(local);
      return was;
    },
    confirm: () => {
      const local = document.querySelector('[data-message-id="99001.0001"]')!;
      local.setAttribute('data-message-id', '99002');
    },
    deleting: () => {
      const item = document.querySelector('.MessageList .message-list-item[data-message-id="99001"]')!;
      item.classList.add('is-deleting');
      return '99001';
    },
  },
  {
    adapter: 'messenger', host: 'www.messenger.com', path: '/e2ee/t/6612345678901234', file: 'messenger/demo.html',
    url: 'https://www.messenger.com/e2ee/t/6612345678901234', rows: '[role="log"] [role="row"]',
    // Messenger gives messages no id (one is derived from what they show), so an edited message
    // is kept as another message with the new text, not as a version.
    change: ({ edit, add, dry }) => {
      const row = [...document.querySelectorAll('[role="log"] [role="row"]')].filter((r) => r.querySelector('[role="gridcell"] [dir="auto"]')).pop()!;
      const textOf = (el: Element): Element => [...el.querySelectorAll('[role="gridcell"] [dir="auto"]')].filter((t) => !t.querySelector('[dir="auto"]')).pop()!;
      const was = { id: null, text: textOf(row).textContent! };
      if (dry) return was;
      const copy = row.cloneNode(true) as Element;
      textOf(copy).textContent = add;
      textOf(row).textContent = edit;
      row.after(copy);
      return was;
    },
  },
  {
    adapter: 'discord', host: 'discord.com', path: '/channels/1379127420518531120/1457780686848131119', file: 'discord/demo.html',
    url: 'https://discord.com/channels/1379127420518531120/1457780686848131119', rows: 'ol[data-list-id="chat-messages"] li[id^="chat-messages-"]',
    change: ({ edit, add, dry }) => {
      const li = [...document.querySelectorAll('ol[data-list-id="chat-messages"] li[id^="chat-messages-"]')].filter((l) => l.querySelector('[id^="message-content-"]')).pop()!;
      const id = li.id.split('-').pop()!;
      const was = { id, text: document.getElementById(`message-content-${id}`)!.textContent! };
      if (dry) return was;
      document.getElementById(`message-content-${id}`)!.textContent = edit;
      // A later snowflake: the id carries the time.
      const added = (BigInt(id) + 4194304n).toString();
      const copy = li.cloneNode(true) as Element;
      copy.id = li.id.split(id).join(added);
      copy.querySelectorAll('[id]').forEach((e) => { e.id = e.id.split(id).join(added); });
      for (const name of ['data-list-item-id', 'aria-labelledby']) {
        copy.querySelectorAll(`[${name}]`).forEach((e) => e.setAttribute(name, e.getAttribute(name)!.split(id).join(added)));
      }
      copy.querySelector(`#message-content-${added}`)!.textContent = add;
      li.after(copy);
      return was;
    },
  },
  {
    adapter: 'googlechat', host: 'chat.google.com', path: '/app/chat/AAAAbR7dKq0', file: 'googlechat/demo.html',
    url: 'https://chat.google.com/app/chat/AAAAbR7dKq0', rows: '[data-id][data-user-id]',
    change: ({ edit, add, dry }) => {
      const m = [...document.querySelectorAll('[data-id][data-user-id]')].filter((e) => e.querySelector('[jsname="bgckF"]')).pop()!;
      const was = { id: m.getAttribute('data-id'), text: m.querySelector('[jsname="bgckF"]')!.textContent! };
      if (dry) return was;
      m.querySelector('[jsname="bgckF"]')!.textContent = edit;
      const copy = m.cloneNode(true) as Element;
      copy.setAttribute('data-id', 'autoAdded001');
      copy.querySelector('[jsname="bgckF"]')!.textContent = add;
      m.after(copy);
      return was;
    },
  },
  {
    adapter: 'element', host: 'app.element.io', path: '/', file: 'element/demo.html',
    url: 'https://app.element.io/#/room/!pRkRec2026aBcDeF:example.org', rows: '.mx_RoomView_MessageList li.mx_EventTile[data-event-id]',
    change: ({ edit, add, dry }) => {
      const tile = [...document.querySelectorAll('.mx_RoomView_MessageList li.mx_EventTile[data-event-id]')].filter((t) => t.querySelector('.mx_EventTile_body')).pop()!;
      const was = { id: tile.getAttribute('data-event-id'), text: tile.querySelector('.mx_EventTile_body')!.textContent! };
      if (dry) return was;
      tile.querySelector('.mx_EventTile_body')!.textContent = edit;
      const copy = tile.cloneNode(true) as Element;
      copy.setAttribute('data-event-id', '$autoAdded001');
      if (copy.hasAttribute('data-scroll-tokens')) copy.setAttribute('data-scroll-tokens', '$autoAdded001');
      copy.querySelector('.mx_EventTile_body')!.textContent = add;
      tile.after(copy);
      // A local echo: sent from this device, not yet on the server.
      const local = copy.cloneNode(true) as Element;
      local.setAttribute('data-event-id', '~!pRkRec2026aBcDeF:example.org:m1790000000000.0');
      local.removeAttribute('data-scroll-tokens');
      local.querySelector('.mx_EventTile_body')!.textContent = `${add} (sending)`;
      copy.after(local);
      return was;
    },
    confirm: () => {
      const local = document.querySelector('[data-event-id^="~"]')!;
      local.setAttribute('data-event-id', '$autoAdded002');
    },
  },
];

let server: FixtureServer;
let b: ExtensionBrowser;

beforeAll(async () => {
  server = await startFixtureServer([...new Set(CASES.map((c) => c.host))]);
  for (const c of CASES) server.route(c.host, c.path, { body: fixture(c.file) });
  b = await launchWithExtension(server);
  await setExtensionStorage(b.worker, { settings: { autoCapture: CASES.map((c) => c.adapter) } });
});

afterAll(async () => {
  await b?.close();
  await server?.close();
});

describe('auto-capture keeps edits and new messages on every messenger', () => {
  it.each(CASES.map((c) => [c.adapter, c] as const))('%s', async (_, c) => {
    const chat: Page = await b.context.newPage();
    await chat.goto(c.url);
    await chat.waitForSelector(c.rows);
    const target = await chat.evaluate(c.change, { edit: '', add: '', dry: true });
    // This page's first read is kept before the page changes (the message to be edited is
    // stored: by its id, or where the page gives none by the start of its text), so the edit is
    // a second version.
    const squash = (t: string) => t.replace(/\s+/g, ' ').trim();
    const isTarget = (v: { messageId: string; text: string }) =>
      target.id !== null ? v.messageId === target.id : v.text !== '' && squash(target.text).includes(squash(v.text).slice(0, 16));
    await expect.poll(async () => (await dumpDb(b.worker)).versions.some(isTarget), { timeout: 15_000 }).toBe(true);

    const edit = `Edited by the ${c.adapter} test: meet at 4 pm`;
    const add = `Added by the ${c.adapter} test: room 12B`;
    await chat.evaluate(c.change, { edit, add, dry: false });
    await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === add), { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === edit), { timeout: 15_000 }).toBe(true);
    if (target.id !== null) {
      await expect.poll(async () => (await dumpDb(b.worker)).versions.filter((v) => v.messageId === target.id).map((v) => [v.version, v.text]), { timeout: 15_000 })
        .toContainEqual([2, edit]);
    }
    if (c.confirm) {
      // The message still sending is no record yet; once the server gives it its id, it is one,
      // though nothing else on the page changed.
      expect((await dumpDb(b.worker)).versions.some((v) => v.text === `${add} (sending)`)).toBe(false);
      await chat.evaluate(c.confirm);
      await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === `${add} (sending)`), { timeout: 15_000 }).toBe(true);
    }
    if (c.deleting) {
      // A deletion shown only by a class is kept as a version marked deleted.
      const id = await chat.evaluate(c.deleting);
      await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.messageId === id && v.deleted), { timeout: 15_000 }).toBe(true);
    }
    await chat.close();
  });
});
