// @vitest-environment happy-dom
/**
 * The permission-prompt path for custom domains, which headless Chromium cannot click:
 * adding a domain asks the browser for that one origin inside the click, stores the mapping
 * only when granted, and the background registers the content script only for granted hosts.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';

const store: Record<string, unknown> = {};
const granted = new Set<string>();
const registered: { id: string; matches: string[]; js: string[]; persistAcrossSessions?: boolean }[] = [];
const request = vi.fn(async ({ origins }: { origins: string[] }) => {
  if (answer) origins.forEach((o) => granted.add(o));
  return answer;
});
let answer = true;

vi.mock('webextension-polyfill', () => ({
  default: {
    storage: {
      local: {
        get: async (key: string) => ({ [key]: store[key] }),
        set: async (v: Record<string, unknown>) => Object.assign(store, v),
      },
    },
    permissions: {
      request: (arg: { origins: string[] }) => request(arg),
      remove: async ({ origins }: { origins: string[] }) => origins.forEach((o) => granted.delete(o)),
      contains: async ({ origins }: { origins: string[] }) => origins.every((o) => granted.has(o)),
    },
    runtime: {
      sendMessage: async () => ({ thumbprint: 'tp', createdAt: 'now' }),
      getManifest: () => ({ content_scripts: [{ js: ['src/content/main.js'] }] }),
      getURL: (p: string) => `chrome-extension://x/${p}`,
    },
    scripting: {
      getRegisteredContentScripts: async () => [...registered],
      registerContentScripts: async (s: typeof registered) => void registered.push(...s),
      unregisterContentScripts: async ({ ids }: { ids: string[] }) => {
        for (const id of ids) registered.splice(registered.findIndex((r) => r.id === id), 1);
      },
    },
  },
}));

const { Options } = await import('../../src/ui/options/options');
const { syncCustomScripts } = await import('../../src/background/custom-domains');

async function addDomain(host: string) {
  const input = document.querySelector<HTMLInputElement>('#custom-host')!;
  await act(async () => {
    input.value = host;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await act(async () => {
    document.querySelector('form:last-of-type')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await new Promise((r) => setTimeout(r, 10));
  });
  return document.querySelector('[data-testid="domain-message"]')?.textContent ?? '';
}

beforeEach(async () => {
  for (const k of Object.keys(store)) delete store[k];
  granted.clear();
  registered.length = 0;
  request.mockClear();
  answer = true;
  document.body.innerHTML = '<div id="root"></div>';
  await act(async () => render(<Options />, document.getElementById('root')!));
});

describe('custom domains', () => {
  it('asks for exactly that origin and stores the mapping when granted', async () => {
    const text = await addDomain('Chat.Agency.Example');
    expect(request).toHaveBeenCalledWith({ origins: ['https://chat.agency.example/*'] });
    expect(text).toContain('chat.agency.example is read with the');
    expect((store.settings as { customDomains: unknown[] }).customDomains).toEqual([{ host: 'chat.agency.example', adapter: expect.any(String) }]);
  });

  it('adds nothing when the user refuses the prompt', async () => {
    answer = false;
    const text = await addDomain('chat.agency.example');
    expect(text).toContain('was not given');
    expect(store.settings).toBeUndefined();
  });

  it('refuses something that is not a domain name, without asking', async () => {
    const text = await addDomain('javascript:alert(1)');
    expect(text).toContain('is not a domain name');
    expect(request).not.toHaveBeenCalled();
  });

  it('registers the content script only for granted hosts, persistently, and unregisters removed ones', async () => {
    granted.add('https://chat.agency.example/*');
    const r = await syncCustomScripts([
      { host: 'chat.agency.example', adapter: 'whatsapp' },
      { host: 'not-granted.example', adapter: 'whatsapp' },
    ]);
    expect(r).toEqual({ registered: ['chat.agency.example'], withoutPermission: ['not-granted.example'] });
    expect(registered).toEqual([
      expect.objectContaining({ id: 'tk-custom-chat.agency.example', matches: ['https://chat.agency.example/*'], js: ['src/content/main.js'], persistAcrossSessions: true }),
    ]);
    await syncCustomScripts([]);
    expect(registered).toEqual([]);
  });
});

describe('records settings', () => {
  it('refuses an official address that is not an email address at entry, saving nothing', async () => {
    const input = document.querySelector<HTMLInputElement>('#officialEmail')!;
    await act(async () => {
      input.value = 'records@agency.gov, boss@agency.gov';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => {
      document.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
      await new Promise((r) => setTimeout(r, 10));
    });
    expect(document.querySelector('[role="alert"]')?.textContent).toContain('is not an email address');
    expect(store.settings).toBeUndefined();
  });
});
