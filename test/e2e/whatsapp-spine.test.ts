/**
 * The spine, end to end in real Chromium: a WhatsApp Web group chat served as
 * https://web.whatsapp.com/, the built extension loaded, Preserve thread and Export bundle
 * clicked in the popup, and the downloaded bundle checked by the real verifier CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Page } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { completedDownloads, fixture, storeCount, verifyCli } from './helpers';

let server: FixtureServer;
let browser: ExtensionBrowser;
let chat: Page;
let popup: Page;
let bundlePath: string;
const work = mkdtempSync(join(tmpdir(), 'tk-e2e-'));

beforeAll(async () => {
  server = await startFixtureServer(['web.whatsapp.com', 'example.org']);
  server.route('web.whatsapp.com', '/', { body: fixture('whatsapp/demo-group.html') });
  server.route('web.whatsapp.com', '/changed', () => ({ body: fixture('whatsapp/changed-layout.html') }));
  server.route('example.org', '/', { body: '<!doctype html><title>Example</title><p>Just a page.</p>' });
  browser = await launchWithExtension(server);
  chat = await browser.context.newPage();
  await chat.goto('https://web.whatsapp.com/');
  await chat.waitForSelector('#main [role=row]');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('WhatsApp Web → signed bundle', () => {
  it('the built manifest exposes no files to messenger pages', () => {
    const manifest = JSON.parse(readFileSync('dist/manifest.json', 'utf8'));
    const war = (manifest.web_accessible_resources ?? []) as { matches: string[] }[];
    expect(war.filter((w) => w.matches.some((m) => m.includes('whatsapp') || m.includes('*://*') || m === '<all_urls>'))).toEqual([]);
  });

  it('the page itself cannot message the extension or open a port to it (no externally_connectable)', async () => {
    const reach = await chat.evaluate(() => {
      const runtime = (globalThis as { chrome?: { runtime?: { sendMessage?: unknown; connect?: unknown } } }).chrome?.runtime;
      return [typeof runtime?.sendMessage, typeof runtime?.connect];
    });
    expect(reach).toEqual(['undefined', 'undefined']);
  });

  it('the popup names the messenger and the thread it sees', async () => {
    popup = await browser.openPopup(await browser.tabIdOf(chat));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('WhatsApp Web');
    expect(await popup.getByTestId('thread-title').textContent()).toBe('Harbor Street Renovation Committee');
    expect(await popup.getByRole('button', { name: 'Export bundle' }).isDisabled()).toBe(true);
  });

  it('Preserve thread keeps what is on the page and says so', async () => {
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    const result = popup.getByTestId('preserve-result');
    await result.waitFor();
    expect(await result.textContent()).toContain('12 messages, 1 attachment, 12 new');
    // One message shows only its start behind "Read more": the user is told, and how to keep all of it.
    expect(await popup.getByTestId('truncated-note').textContent()).toMatch(/^1 message was cut short by the page behind “Read more”.*open it in the chat and preserve the thread again\.$/s);
  });

  it('preserving the same thread again adds nothing', async () => {
    await popup.getByRole('button', { name: 'Preserve thread' }).click();
    await expect.poll(() => popup.getByTestId('preserve-result').textContent()).toContain('12 messages, 1 attachment, 0 new');
    await expect.poll(() => popup.getByTestId('stored').textContent()).toBe('Kept so far: 12 messages, 1 attachment');
    const counts = {
      messages: await storeCount(browser.worker, 'messages'),
      versions: await storeCount(browser.worker, 'versions'),
      attachments: await storeCount(browser.worker, 'attachments'),
      captures: await storeCount(browser.worker, 'captures'),
    };
    // 12 messages plus the system events, each with exactly one version; one image stored once.
    expect(counts.versions).toBe(counts.messages);
    expect(counts.messages).toBeGreaterThan(12);
    expect(counts.attachments).toBe(1);
    expect(counts.captures).toBe(2);
  });

  it('Export bundle saves a signed ZIP to Downloads without a dialog', async () => {
    await popup.getByRole('button', { name: 'Export bundle' }).click();
    const result = popup.getByTestId('export-result');
    await result.waitFor({ timeout: 30_000 });
    const [download] = await completedDownloads(browser.worker, 1);
    expect(download!.state).toBe('complete');
    bundlePath = join(work, 'bundle.zip');
    copyFileSync(download!.filename, bundlePath);
    expect(readFileSync(bundlePath).subarray(0, 2).toString()).toBe('PK');
  });

  it('the verifier CLI accepts the downloaded bundle and names its key', async () => {
    const shown = (await popup.getByTestId('export-result').locator('code').nth(1).textContent())!;
    const { code, stdout } = await verifyCli(bundlePath);
    expect(stdout.trim()).toBe(`valid: signed by key ${shown}, 1 thread, 12 messages, 1 attachment`);
    expect(code).toBe(0);
    expect((await verifyCli(bundlePath, '--key', shown)).code).toBe(0);
    expect((await verifyCli(bundlePath, '--key', 'not-this-key')).code).not.toBe(0);
  });

  it('a bundle with one changed byte fails verification', async () => {
    const zip = await JSZip.loadAsync(readFileSync(bundlePath));
    const csvPath = Object.keys(zip.files).find((p) => p.endsWith('messages.csv'))!;
    const csv = await zip.file(csvPath)!.async('string');
    const changed = csv.replace(/^thread_id/, 'thread_iD');
    expect(changed).not.toBe(csv);
    zip.file(csvPath, changed);
    const tampered = join(work, 'tampered.zip');
    writeFileSync(tampered, await zip.generateAsync({ type: 'uint8array' }));
    const { code, stdout } = await verifyCli(tampered);
    expect(code).not.toBe(0);
    expect(stdout).toContain('messages.csv');
  });

  it('thread.json matches the published JSON Schema and records provenance', async () => {
    const zip = await JSZip.loadAsync(readFileSync(bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/thread.json'))!;
    const record = JSON.parse(await zip.file(path)!.async('string'));
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync('docs/thread.schema.json', 'utf8')));
    expect(validate(record), JSON.stringify(validate.errors, null, 1)).toBe(true);
    expect(record.captures).toHaveLength(2);
    expect(record.captures[0].pageUrl).toBe('https://web.whatsapp.com/');
    expect(record.captures[0].browser).toContain('Chrome/');
    expect(record.captures[0].extensionVersion).toBe(JSON.parse(readFileSync('manifest.json', 'utf8')).version);
    const image = record.attachments.find((a: { path: string | null }) => a.path);
    const bytes = await zip.file(path.replace('thread.json', image.path))!.async('uint8array');
    expect(bytes.length).toBe(image.size);
    expect(image.mediaType).toBe('image/png');
    // The message the page cut short says so, in the record and its versions; no other does.
    const cut = record.messages.filter((m: { truncated?: boolean }) => m.truncated);
    expect(cut.map((m: { id: string; versions: { truncated?: boolean }[] }) => [m.id, m.versions.map((v) => v.truncated)])).toEqual([['3EB0BB22CC33DD44EE55FF', [true]]]);
    const transcript = await zip.file(path.replace('thread.json', 'transcript.html'))!.async('string');
    expect(transcript).toContain('The page showed only the start of this message (“Read more” was not opened)');
  });

  it('the transcript stays inert when a message is HTML or script', async () => {
    const zip = await JSZip.loadAsync(readFileSync(bundlePath));
    const path = Object.keys(zip.files).find((p) => p.endsWith('/transcript.html'))!;
    const html = await zip.file(path)!.async('string');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
    const file = join(work, 'transcript.html');
    writeFileSync(file, html);
    const page = await browser.context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(`file://${file}`);
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    expect(await page.locator('script, img, iframe, object, embed').count()).toBe(0);
    expect(await page.getByText('<img src=x onerror=alert(1)><script>alert(2)</script>').count()).toBe(1);
    await page.close();
  });

  it('a tab that is not a messenger is told so, with nothing to click that would fail', async () => {
    const other = await browser.context.newPage();
    await other.goto('https://example.org/');
    const p = await browser.openPopup(await browser.tabIdOf(other));
    await expect.poll(() => p.getByTestId('tab-status').textContent()).toContain('not a supported messenger');
    expect(await p.getByRole('button').count()).toBe(0);
    await p.close();
    await other.close();
  });

  it('a WhatsApp page whose layout cannot be read names the failed selector, and nothing is reported kept', async () => {
    const changed = await browser.context.newPage();
    await changed.goto('https://web.whatsapp.com/changed');
    const p = await browser.openPopup(await browser.tabIdOf(changed));
    const error = p.getByTestId('read-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/Threadkeeper cannot read this WhatsApp Web page — its layout may have changed/);
    // The fallback is offered instead.
    expect(await p.getByRole('button', { name: 'Preserve page' }).count()).toBe(1);
    expect(await error.locator('code').textContent()).toBeTruthy();
    expect(await p.getByRole('button', { name: 'Preserve thread' }).count()).toBe(0);
    await p.close();
    await changed.close();
  });
});
