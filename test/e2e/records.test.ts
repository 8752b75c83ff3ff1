/**
 * Issue #5 end to end: deadlines in the dashboard, "Export everything pending", forwarding by
 * upload to the reference intake server (started for real, over HTTPS under a records host
 * name) — refused, server down then back, a 500 then success, a duplicate, a bad certificate —
 * by email draft, and the purge that only forwarded-with-receipt threads allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { makeCertificate, startFixtureServer, type FixtureServer } from '../../scripts/lib/fixture-server';
import { launchWithExtension, type ExtensionBrowser } from '../../scripts/lib/browser';
import { startIntake, type IntakeServer } from '../../intake/server';
import { completedDownloads, fixture, inWorkerDb, preserveInPopup, setExtensionStorage, storeCount, storeRows, verifyCli } from './helpers';
import { bundleFiles } from './seeded';

const TOKEN = 't0ken-for-tests';
let server: FixtureServer;
let intake: IntakeServer;
let badCert: IntakeServer;
let b: ExtensionBrowser;
let dashboard: Page;
const store = mkdtempSync(join(tmpdir(), 'tk-intake-'));
let intakePort = 0;

async function startRecords(faults: { failNext?: number; delayMs?: number } = {}): Promise<IntakeServer> {
  return startIntake({ port: intakePort, storeDir: store, tokens: [TOKEN], tls: { cert: server.certificate.cert, key: server.certificate.key }, faults });
}

async function settings(over: Record<string, unknown> = {}) {
  await setExtensionStorage(b.worker, {
    settings: { sourceOrganization: 'Dept. of Parks', officialEmail: 'records@parks.example.gov', endpoint: { url: 'https://records.agency.example', token: TOKEN }, ...over },
  });
}

async function threadRow(): Promise<string> {
  await dashboard.reload();
  const row = dashboard.getByTestId('threads-table').locator('tbody tr').first();
  await row.waitFor();
  return (await row.textContent()) ?? '';
}

async function exportsTable(): Promise<string[]> {
  return dashboard.getByTestId('exports-table').locator('tbody tr').allTextContents();
}

async function bulk(route: 'Download' | 'Email draft to the official account' | 'Upload to the records system', scope: 'incremental' | 'full' = 'incremental') {
  await dashboard.reload();
  await dashboard.getByLabel(route).check();
  await dashboard.getByLabel(scope === 'incremental' ? /incremental/ : /full/).check();
  await dashboard.getByRole('button', { name: 'Export everything pending' }).click();
  await dashboard.getByTestId('job-summary').waitFor({ timeout: 60_000 });
  return (await dashboard.getByTestId('job-summary').textContent()) ?? '';
}

/** The extension's bundle files on disk (OPFS bundles/), and its upload queue. */
async function bundleDisk(): Promise<{ files: string[]; uploads: { id: string; status: string; file: string | null; sha256: string }[] }> {
  return { files: (await bundleFiles(b.worker)).sort(), uploads: await storeRows(b.worker, 'uploads') };
}

/** Export all of the one thread by upload, from the extension (as the popup's message would). */
async function uploadAgain(): Promise<void> {
  const r = await dashboard.evaluate(async () => {
    const threads = (await chrome.runtime.sendMessage({ type: 'popup/threads' })) as { threadId: string }[];
    return chrome.runtime.sendMessage({ type: 'popup/export', threadIds: [threads[0]!.threadId], scope: 'full', route: 'upload' });
  });
  expect(r).toMatchObject({ ok: true });
}

beforeAll(async () => {
  server = await startFixtureServer(['web.whatsapp.com', 'records.agency.example']);
  server.route('web.whatsapp.com', '/', { body: fixture('whatsapp/demo-group.html') });
  intake = await startRecords();
  intakePort = intake.port;
  const other = makeCertificate(['badcert.agency.example']);
  badCert = await startIntake({ port: 0, storeDir: mkdtempSync(join(tmpdir(), 'tk-bad-')), tokens: [TOKEN], tls: { cert: other.cert, key: other.key } });
  b = await launchWithExtension(server, { dist: 'dist-e2e', hostPorts: { 'records.agency.example': intakePort, 'badcert.agency.example': badCert.port } });
  await setExtensionStorage(b.worker, { uploadBackoffMs: 300 });
  dashboard = await b.context.newPage();
  dashboard.on('dialog', (d) => void d.accept());
  await dashboard.goto(`chrome-extension://${b.extensionId}/src/ui/dashboard/index.html`);
});

afterAll(async () => {
  await b?.close();
  await intake?.close().catch(() => undefined);
  await badCert?.close();
  await server?.close();
});

describe('records workflow', () => {
  it('a preserved thread shows its forwarding deadline, and the badge counts it', async () => {
    await settings({ endpoint: { url: 'https://records.agency.example', token: 'wrong-token' } });
    const chat = await b.context.newPage();
    await chat.goto('https://web.whatsapp.com/');
    await chat.waitForSelector('#main [role=row]');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    expect((await preserveInPopup(popup, 60_000)).result).toContain('Kept: 12 messages');
    // The demo's messages were sent in March 2026: far past 20 days.
    expect(await threadRow()).toMatch(/WhatsApp Web.*Harbor Street Renovation Committee.*12.*12.*overdue by \d+ days/);
    expect(await popup.reload().then(() => popup.getByTestId('thread-list').textContent())).toMatch(/12 not forwarded.*overdue/);
    await expect.poll(() => b.worker.evaluate(() => chrome.action.getBadgeText({}))).toBe('1');
  });

  it('a refused upload keeps the bundle, says why, and marks nothing forwarded', async () => {
    expect(await bulk('Upload to the records system')).toContain('1 bundle made');
    await expect.poll(async () => (await exportsTable()).join('\n'), { timeout: 20_000 }).toMatch(/refused: the records system answered 401.*; its messages count as not exported until you retry it/);
    expect(await threadRow()).toMatch(/12.*12.*overdue/);
    // A bundle that reached nobody carried nothing: the export says so, and until it is retried
    // "everything pending" carries the messages again (not "nothing new to export").
    expect((await storeRows<{ uploadRefused?: { reason: string } }>(b.worker, 'exports')).map((e) => e.uploadRefused?.reason)).toEqual([expect.stringMatching(/^the records system answered 401/)]);
    // Carried by a bundle, but with no receipt: the records stay, and the purge says why.
    const purge = await dashboard.evaluate(async () => {
      const threads = (await chrome.runtime.sendMessage({ type: 'popup/threads' })) as { threadId: string }[];
      return chrome.runtime.sendMessage({ type: 'popup/purge', threadId: threads[0]!.threadId });
    });
    expect(purge).toMatchObject({ ok: false, error: expect.stringMatching(/^\d+ messages have not been forwarded with a receipt from the records system; nothing was purged$/) });
    expect(await storeCount(b.worker, 'messages')).toBeGreaterThanOrEqual(12);
  });

  it('a server that is down, then answers 500, then comes back: the queue retries until the receipt', async () => {
    await settings();
    await intake.close();
    await uploadAgain();
    await expect.poll(async () => (await exportsTable())[0], { timeout: 20_000 }).toMatch(/waiting to retry .*could not reach the records system/);
    expect(await threadRow()).toMatch(/12.*12.*overdue/);

    intake = await startRecords({ failNext: 1 });
    await dashboard.getByRole('button', { name: 'Retry uploads now' }).click();
    await expect.poll(async () => (await exportsTable())[0], { timeout: 30_000 }).toMatch(/received by the records system, receipt \S+/);
    expect(await threadRow()).toMatch(/12.*0.*forwarded/);
    await expect.poll(() => b.worker.evaluate(() => chrome.action.getBadgeText({}))).toBe('');

    // "Retry uploads now" also resent the bundle refused for the wrong token (the token is right
    // now). The intake server stored exactly what the extension made; the real verifier agrees.
    await expect.poll(async () => (await exportsTable()).filter((r) => /received by the records system/.test(r)).length, { timeout: 20_000 }).toBe(2);
    const stored = readdirSync(store).filter((f) => f.endsWith('.zip'));
    expect(stored).toHaveLength(2);
    // Received bundles leave the extension's disk; only uploads still waiting keep their file.
    await expect.poll(async () => {
      const { files, uploads } = await bundleDisk();
      return { files, kept: uploads.filter((u) => u.status !== 'done').map((u) => u.file).sort(), doneWithFile: uploads.filter((u) => u.status === 'done' && u.file !== null).length };
    }).toEqual({ files: [], kept: [], doneWithFile: 0 });
    for (const f of stored) {
      const { code, stdout } = await verifyCli(join(store, f));
      expect(code).toBe(0);
      expect(stdout).toMatch(/^valid: signed by key \S+, 1 thread, 12 messages, 1 attachment/);
    }
  });

  it('a duplicate upload (the receipt lost after sending) gets the same receipt back', async () => {
    const storedBefore = readdirSync(store).filter((f) => f.endsWith('.zip')).length;
    const before = JSON.parse(readFileSync(join(store, readdirSync(store).find((f) => f.endsWith('.receipt.json'))!), 'utf8')) as { receiptId: string };
    // Pretend the worker died after the upload but before it recorded the receipt: the upload
    // is still queued and its bundle file (deleted once a receipt is recorded) still on disk.
    const { uploads } = await bundleDisk();
    const restore = uploads.filter((u) => u.status === 'done').map((u) => ({ id: u.id, file: `restored-${u.id}.zip`, bytes: [...readFileSync(join(store, `${u.sha256}.zip`))] }));
    expect(restore.length).toBeGreaterThan(0);
    await b.worker.evaluate(async (restore) => {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('bundles', { create: true });
      for (const r of restore) {
        const w = await (await dir.getFileHandle(r.file, { create: true })).createWritable();
        await w.write(new Uint8Array(r.bytes));
        await w.close();
      }
    }, restore);
    await inWorkerDb(b.worker, async (db, restore) => {
      const tx = db.transaction('uploads', 'readwrite');
      const all: { id: string; status: string; nextAttemptAt: number }[] = await new Promise((res) => {
        const r = tx.objectStore('uploads').getAll();
        r.onsuccess = () => res(r.result);
      });
      for (const u of all) {
        const r = restore.find((x) => x.id === u.id);
        if (r) tx.objectStore('uploads').put({ ...u, status: 'queued', nextAttemptAt: 0, file: r.file });
      }
      await new Promise((res) => (tx.oncomplete = res));
    }, restore.map(({ id, file }) => ({ id, file })));
    await dashboard.getByRole('button', { name: 'Retry uploads now' }).click();
    await expect.poll(async () => (await exportsTable()).join('\n'), { timeout: 20_000 }).toContain(`receipt ${before.receiptId}`);
    expect(readdirSync(store).filter((f) => f.endsWith('.zip'))).toHaveLength(storedBefore);
  });

  it('a worker stopped while an upload is in flight sends it again when it wakes: the bundle is kept once and its receipt recorded', async () => {
    // The records system stores the bundle, then takes 5 s to answer: the worker is stopped meanwhile.
    await intake.close();
    const faults = { delayMs: 5000 };
    intake = await startRecords(faults);
    const zips = () => readdirSync(store).filter((f) => f.endsWith('.zip')).length;
    const zipsBefore = zips();
    const statuses = async () => (await storeRows<{ status: string }>(b.worker, 'uploads')).map((u) => u.status);
    await uploadAgain();
    await expect.poll(statuses, { timeout: 20_000, interval: 100 }).toContain('sending');
    await expect.poll(zips, { timeout: 20_000, interval: 100 }).toBe(zipsBefore + 1); // stored; the answer is on its way
    const cdp = await b.context.newCDPSession(dashboard);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    faults.delayMs = 0;
    // The next worker finds the upload still "sending", sends it again, and gets the same receipt.
    await dashboard.reload();
    await expect.poll(async () => (await exportsTable())[0], { timeout: 30_000 }).toMatch(/received by the records system, receipt \S+/);
    expect(await statuses()).not.toContain('sending');
    expect(zips()).toBe(zipsBefore + 1);
  });

  it('an endpoint with an untrusted certificate keeps the bundle queued and says why', async () => {
    await settings({ endpoint: { url: 'https://badcert.agency.example', token: TOKEN } });
    await uploadAgain();
    await expect.poll(async () => (await exportsTable())[0], { timeout: 20_000 }).toMatch(/waiting to retry .*certificate is not trusted/);
  });

  it('the email route writes a ready-to-send draft to the official account with the signed bundle attached', async () => {
    await settings();
    await dashboard.evaluate(async () => {
      const threads = (await chrome.runtime.sendMessage({ type: 'popup/threads' })) as { threadId: string }[];
      return chrome.runtime.sendMessage({ type: 'popup/export', threadIds: [threads[0]!.threadId], scope: 'full', route: 'email' });
    });
    const downloads = await completedDownloads(b.worker, 1);
    const eml = readFileSync(downloads.find((d) => d.filename.endsWith('.eml'))?.filename ?? downloads.at(-1)!.filename, 'latin1');
    expect(eml).toMatch(/^X-Unsent: 1\r$/m);
    expect(eml).toMatch(/^To: records@parks\.example\.gov\r$/m);
    const boundary = /boundary="([^"]+)"/.exec(eml)![1]!;
    const zipPart = eml.split(`--${boundary}`).find((p) => /Content-Type: application\/zip/.test(p))!;
    const b64 = zipPart.split('\r\n\r\n').slice(1).join('').replace(/\s+/g, '');
    const file = join(mkdtempSync(join(tmpdir(), 'tk-eml-')), 'attached.zip');
    writeFileSync(file, Buffer.from(b64, 'base64'));
    expect((await verifyCli(file)).stdout).toMatch(/^valid: signed by key \S+, 1 thread, 12 messages, 1 attachment/);

    await dashboard.reload();
    await dashboard.getByRole('button', { name: 'Mark as sent' }).first().click();
    await expect.poll(async () => (await exportsTable())[0]).toMatch(/email sent \(confirmed by you\)/);
  });

  it('a thread forwarded with a receipt can be purged, and the purge is in the audit log', async () => {
    await threadRow();
    await dashboard.getByRole('button', { name: /^Purge / }).click();
    await expect.poll(() => dashboard.getByTestId('dashboard-message').textContent()).toContain('Purged “\u2068Harbor Street Renovation Committee\u2069”'); // the title isolated (FSI…PDI): docs/security.md
    await expect.poll(() => dashboard.getByTestId('threads-table').count()).toBe(0);
    const actions = (await storeRows<{ action: string }>(b.worker, 'audit')).map((r) => r.action);
    expect(actions).toContain('purge');
    expect(actions).toContain('upload-receipt');
    expect(actions).toContain('upload-refused');
  });
});
