/**
 * Launching Debian's Chromium with the built extension loaded, pointed at the fixture server.
 * Shared by the end-to-end tests and `npm start`.
 */
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FixtureServer } from './fixture-server';

export const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];

export function chromiumPath(): string {
  const found = process.env.CHROMIUM_PATH ?? CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error('Chromium is not installed: run `apt-get install -y chromium` (npm test and npm start do this for you as root)');
  return found;
}

export interface ExtensionBrowser {
  context: BrowserContext;
  worker: Worker;
  extensionId: string;
  downloadsPath: string;
  /** The profile folder (its path is on every Chromium process of this browser's command line). */
  userDataDir: string;
  /** Open the popup as a page acting on the given tab. */
  openPopup(tabId: number): Promise<Page>;
  /** The Chrome tab id of a page (read through the extension, which sees every tab it has access to). */
  tabIdOf(page: Page): Promise<number>;
  close(): Promise<void>;
}

/**
 * The flags every test and benchmark browser runs with: the fixture server plays the messengers'
 * hosts (plus `hostPorts`, e.g. a records intake server), its self-signed certificate accepted.
 */
export function chromiumArgs(server: FixtureServer, hostPorts: Record<string, number> = {}): string[] {
  const rules = [
    ...Object.entries(hostPorts).map(([h, port]) => `MAP ${h} 127.0.0.1:${port}`),
    ...server.hosts.map((h) => `MAP ${h} 127.0.0.1:${server.port}`),
  ].join(', ');
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    // No quotes inside: these are argv entries, not a shell line.
    `--host-resolver-rules=${rules}`,
    `--ignore-certificate-errors-spki-list=${server.certificate.spki}`,
  ];
}

export async function launchWithExtension(
  server: FixtureServer,
  opts: { headless?: boolean; dist?: string; /** more host → local port mappings (e.g. a records intake server) */ hostPorts?: Record<string, number> } = {},
): Promise<ExtensionBrowser> {
  const dist = resolve(opts.dist ?? 'dist');
  if (!existsSync(join(dist, 'manifest.json'))) throw new Error(`no built extension at ${dist}: run npm run build`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'tk-profile-'));
  const downloadsPath = mkdtempSync(join(tmpdir(), 'tk-downloads-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: opts.headless ?? true,
    acceptDownloads: true,
    downloadsPath,
    ignoreHTTPSErrors: true,
    args: [`--disable-extensions-except=${dist}`, `--load-extension=${dist}`, ...chromiumArgs(server, opts.hostPorts)],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    worker,
    extensionId,
    downloadsPath,
    userDataDir,
    openPopup: async (tabId) => {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/src/ui/popup/index.html?tab=${tabId}`);
      return page;
    },
    tabIdOf: async (page) => {
      // Bring the page to the front, then ask the extension which tab is active: this works
      // for pages whose URL the extension may not read (hosts it has no permission for).
      await page.bringToFront();
      const url = page.url();
      const id = await worker.evaluate(async (u: string) => {
        const tabs = await chrome.tabs.query({});
        const byUrl = tabs.find((t) => t.url === u);
        if (byUrl?.id !== undefined) return byUrl.id;
        const [active] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
        return active?.id ?? null;
      }, url);
      if (id === null) throw new Error(`no tab found for ${url}`);
      return id;
    },
    // The profile (with the extension's database: hundreds of MB for a seeded thread) and the
    // downloads go with the browser: left behind, every run of the tests and benchmarks added to
    // the machine's temporary folder until its disk was full.
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
      rmSync(downloadsPath, { recursive: true, force: true });
    },
  };
}
