/**
 * `npm start`: the main job on the built-in demo, offline. Serves a demo WhatsApp group chat
 * as https://web.whatsapp.com on this machine, launches Chromium with the built extension,
 * clicks Preserve thread and Export bundle in the popup, copies the bundle into ./out/,
 * verifies it with the real CLI and prints the result. With a display the browser stays open
 * for you to try it by hand; without one (CI, SSH) it runs headless and exits.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startFixtureServer } from './lib/fixture-server';
import { launchWithExtension } from './lib/browser';

const headed = Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY) && process.env.HEADLESS !== '1';
const step = (text: string) => console.log(`• ${text}`);

async function main(): Promise<number> {
  const server = await startFixtureServer(['web.whatsapp.com']);
  server.route('web.whatsapp.com', '/', { body: readFileSync('test/fixtures/whatsapp/demo-group.html') });
  step(`demo WhatsApp Web group chat served as https://web.whatsapp.com (port ${server.port})`);
  const b = await launchWithExtension(server, { headless: !headed });
  step(`Chromium started with the extension ${b.extensionId}${headed ? '' : ' (headless)'}`);
  try {
    const chat = await b.context.newPage();
    await chat.goto('https://web.whatsapp.com/');
    await chat.waitForSelector('#main [role=row]');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    const kept = popup.getByTestId('preserve-result').or(popup.getByTestId('preserve-error'));
    await kept.waitFor({ timeout: 60_000 });
    step(`Preserve thread: ${(await kept.innerText()).replace(/\s*\n+\s*/g, ' ').trim()}`);
    if (!(await popup.getByTestId('preserve-result').isVisible())) return 1;

    await popup.getByRole('button', { name: 'Export bundle' }).click();
    const exported = popup.getByTestId('export-result').or(popup.getByTestId('export-error'));
    await exported.waitFor({ timeout: 60_000 });
    step(`Export bundle: ${(await exported.innerText()).replace(/\s*\n+\s*/g, ' ').trim()}`);
    if (!(await popup.getByTestId('export-result').isVisible())) return 1;

    let file: string | null = null;
    for (let i = 0; i < 100 && !file; i++) {
      const items = await b.worker.evaluate(async () => (await chrome.downloads.search({ state: 'complete' })).map((d) => d.filename));
      file = items[0] ?? null;
      if (!file) await new Promise((r) => setTimeout(r, 200));
    }
    if (!file) throw new Error('the bundle did not finish downloading');
    const name = (await popup.getByTestId('export-result').locator('code').first().textContent()) ?? basename(file);
    mkdirSync('out', { recursive: true });
    const target = resolve('out', name);
    copyFileSync(file, target);
    step(`bundle written to ${join('out', name)}`);

    step('verifying it with the command-line verifier:');
    try {
      const out = execFileSync('node', ['dist-cli/threadkeeper-verify.mjs', target], { encoding: 'utf8' });
      console.log(`  ${out.trim()}`);
    } catch (err) {
      console.log(`  ${(err as { stdout?: string }).stdout ?? String(err)}`);
      return 1;
    }
    if (headed) {
      console.log('\nThe browser stays open: try the toolbar button yourself. Close the browser window (or press Ctrl+C) to finish.');
      await new Promise<void>((r) => b.context.once('close', () => r()));
    }
    return 0;
  } finally {
    await b.close().catch(() => undefined);
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
