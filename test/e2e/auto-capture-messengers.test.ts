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
 * Where a messenger's demo page shows its messages: `row`, the element cloned to add a message;
 * `text`, the message text inside it (the last such element that holds no other); `id`, the
 * element (`sel`, inside the row; the row itself without it) and attribute holding the message id,
 * with `prefix` before the id (none where the page gives messages no id: Messenger).
 */
interface PageShape {
  row: string;
  text: string;
  id: { sel?: string; attr: string; prefix?: string } | null;
}

interface Case {
  adapter: string;
  host: string;
  path: string;
  file: string;
  url: string;
  shape: PageShape;
  /** The id the added message gets, from the edited one's (Discord's carries the time: a later snowflake). */
  addedId: (id: string) => string;
  /**
   * Where the page marks a message still sending by a local id: another message is added with
   * this id and the text `<add> (sending)`, then given its server id (`attr` set to `confirmed`,
   * nothing else changing).
   */
  local?: { id: string; attr: string; confirmed: string };
  /** Where the page marks a message being deleted by a class alone: the class put on the added message. */
  deletingClass?: string;
}

const CASES: Case[] = [
  {
    adapter: 'slack', host: 'app.slack.com', path: '/client/T05HRBR7KQ2/C07CNCLRECS', file: 'slack/demo.html',
    url: 'https://app.slack.com/client/T05HRBR7KQ2/C07CNCLRECS',
    shape: { row: '[data-qa="message_pane"] .c-virtual_list__item', text: '[data-qa="message-text"]', id: { sel: '[data-qa="message_container"]', attr: 'data-msg-ts' } },
    addedId: () => '1790000000.000100',
  },
  {
    adapter: 'teams', host: 'teams.cloud.microsoft', path: '/', file: 'teams/demo.html', url: 'https://teams.cloud.microsoft/',
    shape: { row: '[data-tid="chat-pane-item"]', text: '[id^="content-"]', id: { sel: '[data-tid="chat-pane-message"]', attr: 'data-mid' } },
    addedId: () => '1790000000000',
  },
  {
    adapter: 'telegram', host: 'web.telegram.org', path: '/a/', file: 'telegram/demo.html', url: 'https://web.telegram.org/a/#-1001234567890',
    shape: { row: '.MessageList .message-list-item[data-message-id]', text: '.text-content', id: { attr: 'data-message-id' } },
    addedId: () => '99001',
    // Still sending: a fractional local id (telegram-tt isLocalMessageId).
    local: { id: '99001.0001', attr: 'data-message-id', confirmed: '99002' },
    deletingClass: 'is-deleting',
  },
  {
    // Messenger gives messages no id (one is derived from what they show), so an edited message
    // is kept as another message with the new text, not as a version.
    adapter: 'messenger', host: 'www.messenger.com', path: '/e2ee/t/6612345678901234', file: 'messenger/demo.html',
    url: 'https://www.messenger.com/e2ee/t/6612345678901234',
    shape: { row: '[role="log"] [role="row"]', text: '[role="gridcell"] [dir="auto"]', id: null },
    addedId: () => '',
  },
  {
    adapter: 'discord', host: 'discord.com', path: '/channels/1379127420518531120/1457780686848131119', file: 'discord/demo.html',
    url: 'https://discord.com/channels/1379127420518531120/1457780686848131119',
    shape: { row: 'ol[data-list-id="chat-messages"] li[id^="chat-messages-"]', text: '[id^="message-content-"]', id: { sel: '[id^="message-content-"]', attr: 'id', prefix: 'message-content-' } },
    addedId: (id) => (BigInt(id) + 4194304n).toString(),
  },
  {
    adapter: 'googlechat', host: 'chat.google.com', path: '/app/chat/AAAAbR7dKq0', file: 'googlechat/demo.html', url: 'https://chat.google.com/app/chat/AAAAbR7dKq0',
    shape: { row: '[data-id][data-user-id]', text: '[jsname="bgckF"]', id: { attr: 'data-id' } },
    addedId: () => 'autoAdded001',
  },
  {
    adapter: 'element', host: 'app.element.io', path: '/', file: 'element/demo.html', url: 'https://app.element.io/#/room/!pRkRec2026aBcDeF:example.org',
    shape: { row: '.mx_RoomView_MessageList li.mx_EventTile[data-event-id]', text: '.mx_EventTile_body', id: { attr: 'data-event-id' } },
    addedId: () => '$autoAdded001',
    // A local echo: sent from this device, not yet on the server.
    local: { id: '~!pRkRec2026aBcDeF:example.org:m1790000000000.0', attr: 'data-event-id', confirmed: '$autoAdded002' },
  },
];

type PageStep =
  | { do: 'target' }
  | { do: 'change'; edit: string; add: string; addedId: string; localId: string | null }
  | { do: 'confirm'; attr: string; localId: string; confirmed: string }
  | { do: 'deleting'; addedId: string; className: string };

/**
 * Runs in the page (so it holds everything it uses). `target`: the last message that shows text,
 * its id (null where the page gives none) and text. `change`: edits that message and adds a copy
 * of it after it, its id replaced in every attribute and its text `add`; with `localId`, another
 * the same way under the local id, its text `<add> (sending)`. `confirm`: sets the local message's
 * id attribute to its server id, nothing else. `deleting`: puts a class on the added message.
 */
function onPage(a: { shape: PageShape; step: PageStep }): { id: string | null; text: string } | null {
  const { shape, step } = a;
  const textOf = (row: Element): Element | undefined => [...row.querySelectorAll(shape.text)].filter((t) => !t.querySelector(shape.text)).pop();
  const idHolder = (row: Element): Element => (shape.id?.sel ? row.querySelector(shape.id.sel)! : row);
  const rowWithId = (id: string): Element =>
    [...document.querySelectorAll(shape.row)].find((r) => idHolder(r).getAttribute(shape.id!.attr) === `${shape.id!.prefix ?? ''}${id}`)!;
  if (step.do === 'confirm') {
    rowWithId(step.localId).setAttribute(step.attr, step.confirmed);
    return null;
  }
  if (step.do === 'deleting') {
    rowWithId(step.addedId).classList.add(step.className);
    return null;
  }
  const row = [...document.querySelectorAll(shape.row)].filter((r) => textOf(r)).pop()!;
  const id = shape.id ? idHolder(row).getAttribute(shape.id.attr)!.slice(shape.id.prefix?.length ?? 0) : null;
  if (step.do === 'target') return { id, text: textOf(row)!.textContent! };
  const copyAs = (after: Element, newId: string, text: string): Element => {
    const copy = row.cloneNode(true) as Element;
    for (const el of [copy, ...copy.querySelectorAll('*')]) {
      for (const at of [...el.attributes]) if (id && at.value.includes(id)) el.setAttribute(at.name, at.value.split(id).join(newId));
    }
    textOf(copy)!.textContent = text;
    after.after(copy);
    return copy;
  };
  const added = copyAs(row, step.addedId, step.add);
  if (step.localId) copyAs(added, step.localId, `${step.add} (sending)`);
  textOf(row)!.textContent = step.edit;
  return null;
}

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
    await chat.waitForSelector(c.shape.row);
    const run = (step: PageStep) => chat.evaluate(onPage, { shape: c.shape, step });
    const target = (await run({ do: 'target' }))!;
    // This page's first read is kept before the page changes (the message to be edited is
    // stored: by its id, or where the page gives none by the start of its text), so the edit is
    // a second version.
    const squash = (t: string) => t.replace(/\s+/g, ' ').trim();
    const isTarget = (v: { messageId: string; text: string }) =>
      target.id !== null ? v.messageId === target.id : v.text !== '' && squash(target.text).includes(squash(v.text).slice(0, 16));
    await expect.poll(async () => (await dumpDb(b.worker)).versions.some(isTarget), { timeout: 15_000 }).toBe(true);

    const edit = `Edited by the ${c.adapter} test: meet at 4 pm`;
    const add = `Added by the ${c.adapter} test: room 12B`;
    const addedId = c.addedId(target.id ?? '');
    await run({ do: 'change', edit, add, addedId, localId: c.local?.id ?? null });
    await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === add), { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === edit), { timeout: 15_000 }).toBe(true);
    if (target.id !== null) {
      await expect.poll(async () => (await dumpDb(b.worker)).versions.filter((v) => v.messageId === target.id).map((v) => [v.version, v.text]), { timeout: 15_000 })
        .toContainEqual([2, edit]);
    }
    if (c.local) {
      // The message still sending is no record yet; once the server gives it its id, it is one,
      // though nothing else on the page changed.
      expect((await dumpDb(b.worker)).versions.some((v) => v.text === `${add} (sending)`)).toBe(false);
      await run({ do: 'confirm', attr: c.local.attr, localId: c.local.id, confirmed: c.local.confirmed });
      await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.text === `${add} (sending)`), { timeout: 15_000 }).toBe(true);
    }
    if (c.deletingClass) {
      // A deletion shown only by a class is kept as a version marked deleted.
      await run({ do: 'deleting', addedId, className: c.deletingClass });
      await expect.poll(async () => (await dumpDb(b.worker)).versions.some((v) => v.messageId === addedId && v.deleted), { timeout: 15_000 }).toBe(true);
    }
    await chat.close();
  });
});
