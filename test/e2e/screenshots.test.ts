/**
 * The README's screenshots of the popup, the dashboard and the settings page, made here in
 * headless Chromium on the demo chat so they stay current. Every test run makes them (into a
 * temporary folder, so a run leaves the checkout as it was); `npm run screenshots` writes them to
 * docs/screenshots/ (TK_UPDATE_SCREENSHOTS=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { fixture, preserveInPopup, setExtensionStorage } from './helpers';

let server: FixtureServer;
let b: ExtensionBrowser;
const dir = process.env.TK_UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : mkdtempSync(join(tmpdir(), 'tk-screenshots-'));

beforeAll(async () => {
  server = await startFixtureServer(['web.whatsapp.com']);
  server.route('web.whatsapp.com', '/', { body: fixture('whatsapp/demo-group.html') });
  b = await launchWithExtension(server);
  await setExtensionStorage(b.worker, {
    settings: { sourceOrganization: 'Department of Parks and Recreation', contactName: 'Records Office', contactEmail: 'records@parks.example.gov', officialEmail: 'records@parks.example.gov', autoCapture: ['whatsapp'] },
  });
});
afterAll(async () => {
  await b?.close();
  await server?.close();
});

function written(path: string): number {
  return statSync(path).size;
}

describe('README screenshots', () => {
  it('popup, dashboard and settings', async () => {
    const chat = await b.context.newPage();
    await chat.setViewportSize({ width: 1200, height: 800 });
    await chat.goto('https://web.whatsapp.com/');
    await chat.waitForSelector('#main [role=row]');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    await popup.setViewportSize({ width: 360, height: 560 });
    await preserveInPopup(popup, 60_000);
    await popup.reload();
    await popup.getByTestId('thread-list').waitFor();
    await popup.screenshot({ path: join(dir, 'popup.png'), fullPage: true });

    const dashboard = await b.context.newPage();
    await dashboard.setViewportSize({ width: 1100, height: 900 });
    await dashboard.goto(`chrome-extension://${b.extensionId}/src/ui/dashboard/index.html`);
    await dashboard.getByTestId('threads-table').waitFor();
    await dashboard.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });

    const options = await b.context.newPage();
    await options.setViewportSize({ width: 900, height: 900 });
    await options.goto(`chrome-extension://${b.extensionId}/src/ui/options/index.html`);
    await expect.poll(() => options.getByTestId('key-thumbprint').textContent()).not.toBe('…');
    await options.screenshot({ path: join(dir, 'options.png'), fullPage: true });

    for (const f of ['popup', 'dashboard', 'options']) expect(written(join(dir, `${f}.png`))).toBeGreaterThan(10_000);
  });
});
