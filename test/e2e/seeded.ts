/**
 * For end-to-end tests of export on a large database: registers beforeAll (serve, launch the
 * built extension, open the dashboard, seed one thread through the worker — see
 * scripts/lib/seed-thread.ts) and afterAll (close) for the calling test file.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { seedThread, type SeededThread } from '../../scripts/lib/seed-thread';

export interface SeededSession {
  readonly browser: ExtensionBrowser;
  /** The dashboard, an extension page that can send the popup's requests. */
  readonly page: Page;
  readonly seeded: SeededThread;
}

export function withSeededThread(size: { messages: number; files: number; fileBytes: number }, opts: { /** served as https://web.whatsapp.com/ */ whatsappPage?: string } = {}): SeededSession {
  let server: FixtureServer | undefined;
  let browser: ExtensionBrowser | undefined;
  let page: Page | undefined;
  let seeded: SeededThread | undefined;
  beforeAll(async () => {
    server = await startFixtureServer(['web.whatsapp.com']);
    if (opts.whatsappPage) server.route('web.whatsapp.com', '/', { body: opts.whatsappPage });
    browser = await launchWithExtension(server);
    page = await browser.context.newPage();
    await page.goto(`chrome-extension://${browser.extensionId}/src/ui/dashboard/index.html`);
    seeded = await seedThread(browser.worker, size);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  const ready = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the seeded browser is not ready: beforeAll did not finish');
    return v;
  };
  return {
    get browser() {
      return ready(browser);
    },
    get page() {
      return ready(page);
    },
    get seeded() {
      return ready(seeded);
    },
  };
}

/** The names of the bundle files in the extension's Origin Private File System (src/background/bundle-files.ts). */
export function bundleFiles(worker: ExtensionBrowser['worker']): Promise<string[]> {
  return worker.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('bundles', { create: true });
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    return names;
  });
}
