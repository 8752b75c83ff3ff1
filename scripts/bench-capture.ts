/**
 * Benchmark part 1: whole-history capture through the built extension against the rate the
 * same page renders rows when scrolled back by a plain driver (no extension), in one run.
 *
 *  - capture: the long-thread WhatsApp fixture in Chromium with dist/ loaded; the popup's
 *    "Preserve thread" is clicked and the wall time to the popup's result is taken; rate =
 *    messages kept / seconds.
 *  - render: the same URL in a plain Chromium profile (same flags, same viewport, no
 *    extension); a loop inside the page scrolls the pane up by 85 % of its height, dispatches
 *    `scroll`, waits for the list to change (or 80 ms, as the content runner does), and
 *    collects the distinct data-ids it sees, until the top is reached and the encryption
 *    notice is the first row; rate = distinct messages / seconds.
 *
 * The render run is done before AND after the capture and the two rates are averaged, so a
 * noisy neighbour on a shared machine weighs on both sides of the ratio.
 */
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Worker } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from './lib/fixture-server';
import { chromiumArgs, chromiumPath, launchWithExtension } from './lib/browser';
import { longThreadPage } from '../test/fixtures/long-thread/whatsapp-long-thread';
import { preserveInPopup, setExtensionStorage } from '../test/e2e/helpers';

export interface RenderRun {
  messages: number;
  seconds: number;
  rate: number;
  steps: number;
  /** Scroll steps whose wait ran out (no change seen within 80 ms). */
  timedOut: number;
}

export interface CaptureRun {
  messages: number;
  seconds: number;
  rate: number;
  result: string;
  completeness: string;
  complete: boolean;
}

export interface CaptureVsRender {
  n: number;
  query: string;
  capture: CaptureRun;
  renders: RenderRun[];
  /** Mean of the render runs' rates. */
  renderRate: number;
  ratio: number;
  /** The same scroll-back with the content runner's wait (diagnostic; not part of the ratio), when run. */
  settle: RenderRun | null;
}

/** Page options shared by both runs: the whole thread in the local cache (no phone banner), short load delay. */
export function pageQuery(n: number): string {
  return `n=${n}&cached=${n}&delay=20`;
}

/** Wall-clock limits: generous, but every wait is bounded. */
function limitsFor(n: number): { renderMs: number; captureMs: number } {
  // ~30 ms per message is three times slower than anything measured; at least 5 minutes.
  const ms = Math.max(300_000, n * 30);
  return { renderMs: ms, captureMs: ms * 2 };
}

/**
 * The scroll-back driver, run inside the page (plain ES2020). Steps of 85 % of the pane's
 * height; at the top, waits up to 1 s for older rows; clicks the phone banner if one is shown;
 * stops when the encryption notice is the first row and the pane is at the top. Two ways to
 * wait after a step:
 *
 *  - 'render' (the baseline): a mutation observer is attached BEFORE the scroll, so the wait
 *    ends as soon as the list has re-rendered (or after 80 ms if nothing changed), then one
 *    animation frame so the rows are laid out and painted. This is how fast the page shows rows.
 *  - 'settle' (a diagnostic): what src/content/scroll-back.ts did before it watched first — scroll, dispatch
 *    `scroll`, THEN wait for a change or SETTLE_MS (80 ms). A list that re-renders inside the
 *    scroll event (as this fixture does) has already changed by then, so the wait runs out.
 */
const DRIVER_JS = String.raw`async function (opts) {
  const pane = document.querySelector('#main [data-scrolltracepolicy]');
  if (!pane) throw new Error('no conversation pane');
  const seen = new Set();
  let timedOut = 0;
  const read = function () {
    const rows = pane.querySelectorAll('[data-id]');
    for (let i = 0; i < rows.length; i++) seen.add(rows[i].getAttribute('data-id'));
  };
  const changeOrTimeout = function (ms) {
    return new Promise(function (resolve) {
      let timer = null;
      const observer = new MutationObserver(function () { finish(true); });
      const finish = function (changed) { observer.disconnect(); clearTimeout(timer); resolve(changed); };
      timer = setTimeout(function () { finish(false); }, ms);
      observer.observe(pane, { childList: true, subtree: true, characterData: true });
    });
  };
  const frame = function () { return new Promise(function (resolve) { requestAnimationFrame(function () { resolve(); }); }); };
  const banner = function () {
    const buttons = pane.querySelectorAll('[role="button"]');
    for (let i = 0; i < buttons.length; i++) if (/get older messages from your phone/i.test(buttons[i].textContent || '')) return buttons[i];
    return null;
  };
  const atBeginning = function () {
    const first = document.querySelector('#main [role="row"]');
    return first !== null && /end-to-end encrypted/.test(first.textContent || '') && !banner();
  };
  const started = performance.now();
  let steps = 0;
  for (;;) {
    if (performance.now() - started > opts.maxMs) throw new Error('scroll-back did not reach the beginning in ' + Math.round(opts.maxMs / 1000) + ' s (' + seen.size + ' rows seen)');
    if (++steps > opts.maxSteps) throw new Error('scroll-back did not reach the beginning in ' + opts.maxSteps + ' steps (' + seen.size + ' rows seen)');
    read();
    if (atBeginning() && pane.scrollTop <= 1) break;
    const control = banner();
    if (control) {
      const changed = changeOrTimeout(1500);
      control.click();
      await changed;
      continue;
    }
    if (pane.scrollTop > 1) {
      const target = Math.max(0, pane.scrollTop - Math.max(1, Math.floor(pane.clientHeight * 0.85)));
      if (opts.mode === 'render') {
        const changed = changeOrTimeout(opts.settleMs);
        pane.scrollTop = target;
        pane.dispatchEvent(new Event('scroll'));
        if (!(await changed)) timedOut++;
        await frame();
      } else {
        pane.scrollTop = target;
        pane.dispatchEvent(new Event('scroll'));
        if (!(await changeOrTimeout(opts.settleMs))) timedOut++;
      }
    } else {
      await changeOrTimeout(1000);
      if (opts.mode === 'render') await frame();
    }
  }
  return { messages: seen.size, ms: performance.now() - started, steps: steps, timedOut: timedOut };
}`;

/** A plain Chromium (the flags of scripts/lib/browser.ts, no extension) in a throw-away profile; also used by bench-auto.ts. */
export async function launchPlain(server: FixtureServer): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tk-bench-plain-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    ignoreHTTPSErrors: true,
    args: chromiumArgs(server),
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Scrolls the pane back to the beginning in a plain browser, counting distinct rows rendered. */
export async function renderRun(server: FixtureServer, n: number, mode: 'render' | 'settle' = 'render'): Promise<RenderRun> {
  const { context, close } = await launchPlain(server);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`https://web.whatsapp.com/?${pageQuery(n)}`);
    await page.waitForSelector('#main [role=row]');
    const { renderMs } = limitsFor(n);
    // A string, not a function: tsx (esbuild keepNames) would wrap named helpers in __name(),
    // which does not exist in the page.
    const out = (await page.evaluate(`(${DRIVER_JS})(${JSON.stringify({ mode, maxMs: renderMs, settleMs: 80, maxSteps: n * 20 + 1000 })})`)) as {
      messages: number;
      ms: number;
      steps: number;
      timedOut: number;
    };
    if (out.messages !== n) throw new Error(`${mode} run saw ${out.messages} distinct messages, expected ${n}`);
    const seconds = out.ms / 1000;
    return { messages: out.messages, seconds, rate: out.messages / seconds, steps: out.steps, timedOut: out.timedOut };
  } finally {
    await close();
  }
}

async function storedMessageCount(worker: Worker): Promise<number> {
  return worker.evaluate(async () => {
    const open = indexedDB.open('threadkeeper');
    const db: IDBDatabase = await new Promise((res, rej) => {
      open.onsuccess = () => res(open.result);
      open.onerror = () => rej(open.error);
    });
    try {
      return await new Promise<number>((res, rej) => {
        const r = db.transaction('messages').objectStore('messages').count();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
    } finally {
      db.close();
    }
  });
}

/** Preserve thread through the popup of the built extension; wall time from the click to the result. */
export async function captureRun(server: FixtureServer, n: number): Promise<CaptureRun> {
  const b = await launchWithExtension(server);
  try {
    const { captureMs } = limitsFor(n);
    // As the e2e tests do; the 60-minute budget is raised to this run's own wait limit so that a
    // slow --full run ends as a failure of the benchmark rather than as a "budget" capture.
    await setExtensionStorage(b.worker, { captureLimits: { idleTimeoutMs: 3000, maxDurationMs: captureMs } });
    const chat = await b.context.newPage();
    await chat.goto(`https://web.whatsapp.com/?${pageQuery(n)}`);
    await chat.waitForSelector('#main [role=row]');
    const popup = await b.openPopup(await b.tabIdOf(chat));
    await popup.getByRole('button', { name: 'Preserve thread' }).waitFor();
    const t0 = performance.now();
    const { result, completeness } = await preserveInPopup(popup, captureMs);
    const seconds = (performance.now() - t0) / 1000;
    const kept = /Kept: (\d+) messages?/.exec(result);
    if (!kept) throw new Error(`Preserve thread did not finish: ${result.trim()}`);
    const messages = Number(kept[1]);
    const complete = completeness.includes('back to its beginning');
    // Events (encryption notice, "created group") are stored too; the thread has n messages + 2.
    const stored = await storedMessageCount(b.worker);
    if (!complete || messages !== n || stored !== n + 2) {
      throw new Error(`Preserve thread kept ${messages} messages (${stored} rows stored), expected ${n} (${n + 2}): ${result.trim()} ${completeness.trim()}`);
    }
    return { messages, seconds, rate: messages / seconds, result: result.trim(), completeness: completeness.trim(), complete };
  } finally {
    await b.close().catch(() => undefined);
  }
}

export async function captureVsRender(n: number, log: (line: string) => void, opts: { settle: boolean }): Promise<CaptureVsRender> {
  const server = await startFixtureServer(['web.whatsapp.com']);
  try {
    server.route('web.whatsapp.com', '/', { body: longThreadPage() });
    const renders: RenderRun[] = [];
    const fmt = (r: { messages: number; seconds: number; rate: number }) => `${r.messages} messages in ${r.seconds.toFixed(1)} s = ${r.rate.toFixed(1)}/s`;
    log(`render ${n} (plain Chromium, before)…`);
    renders.push(await renderRun(server, n));
    log(`  ${fmt(renders[0]!)}, ${renders[0]!.steps} steps, ${renders[0]!.timedOut} without a change within 80 ms`);
    log(`capture ${n} (Preserve thread, built extension)…`);
    const capture = await captureRun(server, n);
    log(`  ${fmt(capture)}`);
    log(`render ${n} (plain Chromium, after)…`);
    renders.push(await renderRun(server, n));
    log(`  ${fmt(renders[1]!)}, ${renders[1]!.steps} steps, ${renders[1]!.timedOut} without a change within 80 ms`);
    let settle: RenderRun | null = null;
    if (opts.settle) {
      log(`scroll-back ${n} with the runner's former wait, observer after the scroll (plain Chromium, diagnostic)…`);
      settle = await renderRun(server, n, 'settle');
      log(`  ${fmt(settle)}, ${settle.timedOut} of ${settle.steps} steps waited the full 80 ms`);
    }
    const renderRate = renders.reduce((s, r) => s + r.rate, 0) / renders.length;
    return { n, query: pageQuery(n), capture, renders, renderRate, ratio: capture.rate / renderRate, settle };
  } finally {
    await server.close();
  }
}
