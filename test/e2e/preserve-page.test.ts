/**
 * The fallback for any page (issue #4): "Preserve page" keeps a sanitized HTML snapshot, a
 * full-page screenshot, the URL and the title in a signed bundle the CLI verifies. Runs the
 * dist-e2e build, where the test host is granted (in real use the toolbar click grants the tab).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import { startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { completedDownloads, verifyCli } from './helpers';

let server: FixtureServer;
let b: ExtensionBrowser;

const CASE_PAGE = `<!doctype html><html><head><title>Case 2026-114 — messages</title>
<script>window.__ran = true;</script></head>
<body style="margin:0;font:16px sans-serif">
<h1>Case 2026-114: Harbor St. permit</h1>
${Array.from({ length: 80 }, (_, i) => `<p class="msg">Inspector note ${i}: site visit scheduled &lt;b&gt;not bold&lt;/b&gt;</p>`).join('\n')}
<img src="https://tracker.example/pixel.png" onerror="alert(1)">
<a href="javascript:alert(2)">click</a>
<iframe src="https://example.org/"></iframe>
</body></html>`;

beforeAll(async () => {
  server = await startFixtureServer(['cases.agency.example']);
  server.route('cases.agency.example', '/case/114', { body: CASE_PAGE });
  b = await launchWithExtension(server, { dist: 'dist-e2e' });
});
afterAll(async () => {
  await b?.close();
  await server?.close();
});

describe('Preserve page on a page no adapter reads', () => {
  it('keeps a sanitized snapshot, a full-page screenshot, URL and title in a signed, verifiable bundle', async () => {
    const page = await b.context.newPage();
    await page.setViewportSize({ width: 900, height: 600 });
    await page.goto('https://cases.agency.example/case/114');
    const popup = await b.openPopup(await b.tabIdOf(page));
    await expect.poll(() => popup.getByTestId('tab-status').textContent()).toContain('not a supported messenger');
    await popup.getByRole('button', { name: 'Preserve page' }).click();
    await popup.getByTestId('page-result').or(popup.getByTestId('page-error')).waitFor({ timeout: 60_000 });
    expect(await popup.getByTestId('page-error').count(), (await popup.getByTestId('page-error').textContent().catch(() => '')) ?? '').toBe(0);

    const [download] = await completedDownloads(b.worker, 1);
    const { stdout, code } = await verifyCli(download!.filename);
    expect(stdout.trim()).toMatch(/^valid: signed by key \S+, 1 page$/);
    expect(code).toBe(0);

    const zip = await JSZip.loadAsync(readFileSync(download!.filename));
    const names = Object.keys(zip.files);
    const meta = JSON.parse(await zip.file(names.find((n) => n.endsWith('/page.json'))!)!.async('string'));
    expect(meta).toMatchObject({ url: 'https://cases.agency.example/case/114', title: 'Case 2026-114 — messages' });
    const html = await zip.file(names.find((n) => n.endsWith('/page.html'))!)!.async('string');
    expect(html).toContain('Inspector note 79: site visit scheduled &lt;b&gt;not bold&lt;/b&gt;');
    expect(html).not.toMatch(/<script|onerror|javascript:|<iframe/i);
    expect(html).toContain("default-src 'none'");
    const png = await zip.file(names.find((n) => n.endsWith('/screenshot.png'))!)!.async('uint8array');
    expect(Buffer.from(png.subarray(1, 4)).toString()).toBe('PNG');
    // Full page, not just the viewport: the PNG is taller than one screen.
    const height = Buffer.from(png).readUInt32BE(20);
    expect(height).toBeGreaterThan(600 * 1.5);
  });
});
