/**
 * "Preserve page": the fallback for any page no adapter reads (an unsupported messenger, a web
 * mail thread, a case-management chat). It keeps a sanitized HTML snapshot (no scripts, no
 * event handlers, no frames, a CSP that loads nothing), a full-page screenshot stitched from
 * visible-area captures, and the page's URL and title, in a bundle signed and verified like any
 * other. It needs access to the tab: the toolbar click grants it (activeTab).
 */
import browser from 'webextension-polyfill';
import { audit, db } from './context';
import { getSigningKey, signerFor } from './signing-key';
import { loadSettings } from './settings';
import { streamBundle } from '../bundle/bag-writer';
import { sha256Hex } from '../shared/bytes';
import { createBundleFile } from './bundle-files';
import { downloadBundleFile } from './download';

/** Runs IN the page (serialized by scripting.executeScript): must not use anything outside itself. */
function snapshotInPage(): { html: string; title: string; url: string; scrollHeight: number; viewportHeight: number; viewportWidth: number; scrollY: number } {
  const clone = document.documentElement.cloneNode(true) as HTMLElement;
  clone.querySelectorAll('script, noscript, iframe, frame, frameset, object, embed, applet, portal, base, link[rel~="import"], link[rel~="preload"], link[rel~="prefetch"], meta[http-equiv]').forEach((el) => el.remove());
  const walker = document.createTreeWalker(clone, NodeFilter.SHOW_ELEMENT);
  for (let node = walker.currentNode as Element | null; node; node = walker.nextNode() as Element | null) {
    for (const attr of Array.from(node.attributes)) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc' || name === 'formaction' || name === 'ping' || (/^(href|src|action|xlink:href|data|poster)$/.test(name) && /^(javascript|vbscript|data:text\/html)/.test(value.replace(/\s+/g, '')))) {
        node.removeAttribute(attr.name);
      }
    }
    // Form values the user typed are kept as text, not as live controls.
    if (node instanceof HTMLInputElement) node.setAttribute('value', node.value);
  }
  const head = clone.querySelector('head') ?? clone.insertBefore(document.createElement('head'), clone.firstChild);
  const csp = document.createElement('meta');
  csp.setAttribute('http-equiv', 'Content-Security-Policy');
  csp.setAttribute('content', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; form-action 'none'; base-uri 'none'");
  head.insertBefore(csp, head.firstChild);
  const charset = document.createElement('meta');
  charset.setAttribute('charset', 'utf-8');
  head.insertBefore(charset, head.firstChild);
  return {
    html: `<!doctype html>\n${new XMLSerializer().serializeToString(clone)}`,
    title: document.title,
    url: location.href,
    scrollHeight: Math.max(document.documentElement.scrollHeight, document.body?.scrollHeight ?? 0),
    viewportHeight: window.innerHeight,
    viewportWidth: window.innerWidth,
    scrollY: window.scrollY,
  };
}

function scrollInPage(y: number): number {
  window.scrollTo(0, y);
  return window.scrollY;
}

/** Can Threadkeeper read this tab at all (toolbar click, or a host permission)? */
export async function canReadTab(tabId: number): Promise<boolean> {
  try {
    await browser.scripting.executeScript({ target: { tabId }, func: () => true });
    return true;
  } catch {
    return false;
  }
}

const MAX_SCREENS = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fullPageScreenshot(tabId: number, windowId: number, page: { scrollHeight: number; viewportHeight: number; viewportWidth: number; scrollY: number }): Promise<{ png: Uint8Array; truncated: boolean }> {
  const screens = Math.min(MAX_SCREENS, Math.max(1, Math.ceil(page.scrollHeight / page.viewportHeight)));
  const shots: { y: number; bitmap: ImageBitmap }[] = [];
  for (let i = 0; i < screens; i++) {
    const [{ result: y }] = (await browser.scripting.executeScript({ target: { tabId }, func: scrollInPage, args: [i * page.viewportHeight] })) as unknown as [{ result: number }];
    await sleep(120);
    // Chrome allows about two captures a second.
    const dataUrl = await browser.tabs.captureVisibleTab(windowId, { format: 'png' });
    shots.push({ y, bitmap: await createImageBitmap(await (await fetch(dataUrl)).blob()) });
    if (i < screens - 1) await sleep(550);
  }
  await browser.scripting.executeScript({ target: { tabId }, func: scrollInPage, args: [page.scrollY] });
  const scale = shots[0]!.bitmap.width / page.viewportWidth;
  const height = Math.min(page.scrollHeight, screens * page.viewportHeight);
  const canvas = new OffscreenCanvas(shots[0]!.bitmap.width, Math.round(height * scale));
  const ctx = canvas.getContext('2d')!;
  for (const s of shots) ctx.drawImage(s.bitmap, 0, Math.round(s.y * scale));
  const blob = await canvas.convertToBlob({ type: 'image/png' });
  return { png: new Uint8Array(await blob.arrayBuffer()), truncated: page.scrollHeight > height };
}

export type PagePreserveResult =
  | { ok: true; fileName: string; bagName: string; keyThumbprint: string; sha256: string; screenshotTruncated: boolean }
  | { ok: false; error: string };

export async function preservePage(tabId: number, returnToTabId?: number): Promise<PagePreserveResult> {
  try {
    const tab = await browser.tabs.get(tabId);
    if (!tab.url || !/^https?:/.test(tab.url)) return { ok: false, error: 'only web pages (http and https) can be preserved' };
    // The screenshot is of the visible tab: bring it to the front for the capture.
    if (!tab.active) await browser.tabs.update(tabId, { active: true });
    const [{ result: page }] = (await browser.scripting.executeScript({ target: { tabId }, func: snapshotInPage })) as unknown as [{ result: ReturnType<typeof snapshotInPage> }];
    const shot = await fullPageScreenshot(tabId, tab.windowId!, page);
    if (returnToTabId !== undefined) await browser.tabs.update(returnToTabId, { active: true }).catch(() => undefined);

    const enc = new TextEncoder();
    const capturedAt = new Date();
    const html = enc.encode(page.html);
    const slug = `page-${(await sha256Hex(page.url)).slice(0, 12)}`;
    const meta = {
      format: 'threadkeeper-page',
      formatVersion: 1,
      url: page.url,
      title: page.title,
      capturedAt: capturedAt.toISOString(),
      extensionVersion: browser.runtime.getManifest().version,
      browser: navigator.userAgent,
      snapshot: { path: 'page.html', sha256: await sha256Hex(html), sanitized: 'scripts, frames, embedded objects, event handlers and javascript: URLs removed; a CSP that loads nothing added' },
      screenshot: { path: 'screenshot.png', sha256: await sha256Hex(shot.png), fullPage: !shot.truncated, note: shot.truncated ? `only the first ${MAX_SCREENS} screens` : null },
    };
    const settings = await loadSettings();
    const key = await getSigningKey(db);
    const out = await createBundleFile('zip');
    const bundle = await streamBundle({
      sink: out.sink,
      bagName: `threadkeeper-${slug}-${capturedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}`,
      signer: signerFor(key),
      info: {
        sourceOrganization: settings.sourceOrganization || undefined,
        contactName: settings.contactName || undefined,
        contactEmail: settings.contactEmail || undefined,
        externalDescription: `Web page preserved by Threadkeeper: ${page.title}`.slice(0, 500),
        externalIdentifier: `urn:threadkeeper:page:${(await sha256Hex(page.url + capturedAt.toISOString())).slice(0, 20)}`,
        baggingDate: capturedAt.toISOString().slice(0, 10),
        softwareAgent: `Threadkeeper ${browser.runtime.getManifest().version} (${navigator.userAgent})`,
      },
      payload: [
        { path: `pages/${slug}/page.html`, bytes: html },
        { path: `pages/${slug}/page.json`, bytes: enc.encode(JSON.stringify(meta, null, 2) + '\n') },
        { path: `pages/${slug}/screenshot.png`, bytes: shot.png },
      ],
    }).catch(async (err: unknown) => {
      await out.abort();
      throw err;
    });
    await out.close();
    const fileName = `${bundle.bagName}.zip`;
    // Downloaded from the file on disk, like every bundle (download.ts); deleted once saved.
    await downloadBundleFile(out.name, fileName);
    await audit('page-preserved', { url: page.url, bagName: bundle.bagName, sha256: bundle.sha256 });
    return { ok: true, fileName, bagName: bundle.bagName, keyThumbprint: bundle.keyThumbprint, sha256: bundle.sha256, screenshotTruncated: shot.truncated };
  } catch (err) {
    if (returnToTabId !== undefined) await browser.tabs.update(returnToTabId, { active: true }).catch(() => undefined);
    const error = err instanceof Error ? err.message : String(err);
    await audit('page-preserve-failed', { tabId, error });
    return {
      ok: false,
      error: /Cannot access|permission/i.test(error)
        ? `Threadkeeper may not read this page (${error}): open the popup from the toolbar button on the page itself, then click Preserve page`
        : `could not preserve the page: ${error}`,
    };
  }
}
