/**
 * A self-hosted messenger on the agency's own domain, mapped to one of our adapters in the
 * settings page: the content script is registered dynamically for that host only, and the
 * popup preserves the thread there. Runs the dist-e2e build, which lists chat.agency.example
 * as granted because headless Chromium cannot click the permission prompt (the prompt path is
 * test/unit/custom-domains.test.tsx and docs/qa/custom-domain-permission.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveInPopup } from './helpers';

let server: FixtureServer;
let b: ExtensionBrowser;

beforeAll(async () => {
  server = await startFixtureServer(['chat.agency.example', 'other.agency.example']);
  // A WhatsApp-like page stands in for a self-hosted client whose DOM the WhatsApp adapter reads.
  server.route('chat.agency.example', '/', { body: fixture('whatsapp/demo-group.html') });
  server.route('other.agency.example', '/', { body: fixture('whatsapp/demo-group.html') });
  b = await launchWithExtension(server, { dist: 'dist-e2e' });
});
afterAll(async () => {
  await b?.close();
  await server?.close();
});

describe('custom domain mapped to an adapter', () => {
  it('is not read before it is configured', async () => {
    const page = await b.context.newPage();
    await page.goto('https://chat.agency.example/');
    const popup = await b.openPopup(await b.tabIdOf(page));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('not a supported messenger');
    expect(await b.worker.evaluate(async () => (await chrome.scripting.getRegisteredContentScripts()).length)).toBe(0);
    await popup.close();
    await page.close();
  });

  it('once added in the settings, its pages are captured by the mapped adapter', async () => {
    const options = await b.context.newPage();
    await options.goto(`chrome-extension://${b.extensionId}/src/ui/options/index.html`);
    await options.getByLabel('Domain').fill('chat.agency.example');
    await options.getByLabel('Read it as').selectOption('whatsapp');
    await options.getByRole('button', { name: 'Add domain' }).click();
    await expect.poll(() => options.getByTestId('domain-message').textContent()).toContain('chat.agency.example is read with the WhatsApp Web adapter');
    await expect
      .poll(async () => b.worker.evaluate(async () => (await chrome.scripting.getRegisteredContentScripts()).map((s) => [s.id, s.matches, s.persistAcrossSessions])))
      .toEqual([['tk-custom-chat.agency.example', ['https://chat.agency.example/*'], true]]);

    const page = await b.context.newPage();
    await page.goto('https://chat.agency.example/');
    await page.waitForSelector('#main [role=row]');
    const popup = await b.openPopup(await b.tabIdOf(page));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('WhatsApp Web');
    const { result } = await preserveInPopup(popup, 60_000);
    expect(result).toContain('Kept: 12 messages, 1 attachment, 12 new');
  });

  it('a host that was not added stays unread', async () => {
    const page = await b.context.newPage();
    await page.goto('https://other.agency.example/');
    const popup = await b.openPopup(await b.tabIdOf(page));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('not a supported messenger');
  });
});
