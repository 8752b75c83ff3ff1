/**
 * The audit log a bundle carries tells nothing about the user's other conversations, in real
 * Chromium with the built extension: one chat is preserved and exported, then another; the
 * second bundle carries the first chat's entries withheld (no title, no thread id, no capture or
 * bundle name) and the real verifier CLI still checks the whole chain.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { completedDownloads, fixture, preserveAndExport, storeRows, verifyCli } from './helpers';

const OTHER = 'whatsapp:120363041298765432@g.us';
const OURS = 'whatsapp:title:Harbor Street Renovation Committee';

let server: FixtureServer;
let browser: ExtensionBrowser;

beforeAll(async () => {
  server = await startFixtureServer(['web.whatsapp.com']);
  server.route('web.whatsapp.com', '/', { body: fixture('whatsapp/demo-group.html') });
  server.route('web.whatsapp.com', '/other', { body: fixture('whatsapp/group-classic-en-us.html') });
  browser = await launchWithExtension(server);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string) {
  const page = await browser.context.newPage();
  await page.goto(`https://web.whatsapp.com${path}`);
  await page.waitForSelector('#main [role=row]');
  return page;
}

describe('the audit log in a bundle', () => {
  it('withholds the entries about another chat, and the verifier accepts the chain', async () => {
    const other = await preserveAndExport(browser, await open('/other'));
    const otherBag = (await verifyCli(other.bundlePath)).stdout;
    expect(otherBag).toMatch(/^valid: /);
    const otherBagName = Object.keys((await JSZip.loadAsync(readFileSync(other.bundlePath))).files)[0]!.split('/')[0]!;

    const ours = await preserveAndExport(browser, await open('/'), 1);
    const { code, stdout } = await verifyCli(ours.bundlePath);
    expect(stdout).toMatch(/^valid: signed by key \S+, 1 thread, 12 messages, 1 attachment/);
    expect(code).toBe(0);

    const zip = await JSZip.loadAsync(readFileSync(ours.bundlePath));
    const logPath = Object.keys(zip.files).find((p) => p.endsWith('/data/audit-log.jsonl'))!;
    const text = await zip.file(logPath)!.async('string');
    const entries = text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; action?: string; withheld?: true; details?: Record<string, unknown> });

    // The extension's whole log is there, in order, as far as it went when the bundle was made.
    const stored = await storeRows<{ seq: number; action: string; details: Record<string, unknown> }>(browser.worker, 'audit');
    expect(entries.map((e) => e.seq)).toEqual(stored.map((e) => e.seq).slice(0, entries.length));
    // The other chat's capture and export are withheld: their time and action stay, nothing else.
    const otherCaptures = stored.filter((e) => e.details.threadId === OTHER && e.details.captureId !== undefined).map((e) => e.details.captureId);
    expect(otherCaptures.length).toBeGreaterThan(0);
    const aboutOther = stored.filter((e) => otherCaptures.includes(e.details.captureId) || e.details.threadId === OTHER);
    expect(aboutOther.map((e) => e.action)).toEqual(expect.arrayContaining(['capture-started', 'capture-finished', 'export']));
    for (const e of aboutOther) expect(entries.find((c) => c.seq === e.seq)).toMatchObject({ withheld: true, action: e.action });
    for (const secret of ['Riverside Permits', '120363041298765432', otherBagName, ...otherCaptures.map(String)]) expect(text).not.toContain(secret);
    // This chat's own entries are there in full.
    const full = entries.filter((e) => !e.withheld);
    expect(full.map((e) => e.action)).toEqual(expect.arrayContaining(['capture-started', 'capture-finished']));
    expect(full.some((e) => e.details?.threadId === OURS)).toBe(true);
  });

  it('an export of both chats together writes an entry per chat, and a later bundle of one carries only its own', async () => {
    const extensionPage = await browser.context.newPage();
    await extensionPage.goto(`chrome-extension://${browser.extensionId}/src/ui/dashboard/index.html`);
    const exportOf = (threadIds: string[]) =>
      extensionPage.evaluate((ids) => chrome.runtime.sendMessage({ type: 'popup/export', threadIds: ids, scope: 'full', route: 'download' }), threadIds) as Promise<{ ok: boolean; bagName?: string; error?: string }>;
    const joint = await exportOf([OURS, OTHER]);
    expect(joint).toMatchObject({ ok: true });
    const alone = await exportOf([OURS]);
    expect(alone).toMatchObject({ ok: true });
    const downloads = await completedDownloads(browser.worker, 4);
    const bundlePath = downloads[downloads.length - 1]!.filename;

    const stored = await storeRows<{ seq: number; action: string; details: Record<string, unknown> }>(browser.worker, 'audit');
    const jointEntries = stored.filter((e) => e.action === 'export' && e.details.bagName === joint.bagName);
    expect(jointEntries.map((e) => e.details.threadId).sort()).toEqual([OTHER, OURS].sort());
    for (const e of jointEntries) expect(e.details).toMatchObject({ threadsInBundle: 2 });

    const { code, stdout } = await verifyCli(bundlePath);
    expect(stdout).toMatch(/^valid: /);
    expect(code).toBe(0);
    const zip = await JSZip.loadAsync(readFileSync(bundlePath));
    expect(Object.keys(zip.files)[0]!.split('/')[0]).toBe(alone.bagName);
    const text = await zip.file(Object.keys(zip.files).find((p) => p.endsWith('/data/audit-log.jsonl'))!)!.async('string');
    const carried = text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; withheld?: true; details?: Record<string, unknown> });
    const carriedOf = (threadId: string) => carried.find((c) => c.seq === jointEntries.find((e) => e.details.threadId === threadId)!.seq)!;
    expect(carriedOf(OURS)).toMatchObject({ details: { threadId: OURS, bagName: joint.bagName } });
    expect(carriedOf(OTHER)).toMatchObject({ withheld: true, action: 'export' });
    // Nothing in the log names the other chat, though a bundle that carried both is in it.
    for (const secret of ['Riverside Permits', '120363041298765432']) expect(text).not.toContain(secret);
  });
});
