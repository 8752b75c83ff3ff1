/**
 * Benchmark part: what auto-capture costs the messenger page's main thread, per batch.
 *
 * The long-thread WhatsApp fixture is opened in Chromium twice with the same scripted activity
 * (a message appended every `intervalMs`, and every `editEvery`-th one followed by an edit of a
 * message still on screen):
 *
 *  - auto: the BUILT extension (dist/) with automatic capture on for WhatsApp;
 *  - plain: the same Chromium, flags and page without the extension (the reference).
 *
 * Both runs record a Chrome trace through CDP (nothing is added to the page: no marks, no
 * hooks; the shipped content script is measured as it is). Main-thread work is attributed to
 * the content script by the script URL the trace gives each top-level JavaScript call
 * (`FunctionCall` args.data.url = chrome-extension://<id>/...):
 *
 *  - a read: our function called by a timer (`TimerFire`, not from a microtask checkpoint) —
 *    auto-capture's debounced read + send. The task is ours alone (our timer started it), so
 *    its whole `RunTask` counts: the adapter's read, fingerprinting, building the batch,
 *    runtime.sendMessage's serialization, the microtasks that ran before the task ended, and
 *    any garbage collection or forced layout inside it;
 *  - an observer callback: our function called from a microtask checkpoint (the
 *    MutationObserver callback that re-arms the debounce), inside a task of the page's; only
 *    the call itself counts.
 *
 * One batch = one read task plus the observer callbacks since the previous read (the mutations
 * that led to it). What the trace cannot attribute is said in docs/performance.md.
 *
 * The run counts only when the capture really kept what the page showed: every appended
 * message, and every edit as a new version, read back from the extension's database.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page, Worker } from 'playwright-core';
import { startFixtureServer, type FixtureServer } from './lib/fixture-server';
import { launchPlain } from './bench-capture';
import { launchWithExtension } from './lib/browser';
import { longThreadPage } from '../test/fixtures/long-thread/whatsapp-long-thread';
import { setExtensionStorage } from '../test/e2e/helpers';

export interface AutoBenchOptions {
  /** Messages appended during the measured run. */
  messages: number;
  /** Milliseconds between appended messages (a steady rate). */
  intervalMs: number;
  /** Every editEvery-th append is followed, half an interval later, by an edit (0: none). */
  editEvery: number;
}

export const AUTO_DEFAULTS: AutoBenchOptions = { messages: 300, intervalMs: 250, editEvery: 10 };

/** The thread on screen when the run starts: 200 messages, all loaded (no scroll-back involved). */
export const AUTO_QUERY = 'n=200&cached=200';

/** Milliseconds after the driver's last change before the trace ends (debounce + margin). */
const SETTLE_MS = 3000;

export interface Stats {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface AutoRun {
  /** Debounced reads (read tasks) seen in the trace. */
  batches: number;
  /** Per batch, wall time on the main thread (ms): the read task plus the observer callbacks that led to it. */
  batch: Stats;
  /** The same, thread (CPU) time (ms). */
  batchCpu: Stats;
  /** The read task alone, wall ms: the longest stretch the content script holds the thread. */
  read: Stats;
  /** MutationObserver callbacks (count and total wall ms). */
  observerCalls: number;
  observerMs: number;
  /** Our calls the trace shows that are neither (e.g. answering the background), total wall ms. */
  otherMs: number;
  /** Timer calls that found the previous batch unacknowledged and so read nothing (the repeat read is not seen). */
  deferred: number;
  /** Everything the trace attributes to the content script in the window, ms. */
  attributed: Busy;
  /** All main-thread tasks of the page in the measured window, ms (for the A/B difference). */
  mainThread: Busy;
  /** The page's own per-append task (the driver's timer task), wall ms — with our observer callback inside. */
  append: Stats;
  seconds: number;
  /** Verified in the extension's database. */
  kept: { messages: number; edits: number };
}

/** Main-thread time, wall and thread (CPU) milliseconds. */
export interface Busy {
  wall: number;
  cpu: number;
}

export interface PlainRun {
  /** The page's own per-append task, wall ms. */
  append: Stats;
  mainThread: Busy;
  seconds: number;
}

export interface AutoCaptureBench {
  options: AutoBenchOptions;
  query: string;
  auto: AutoRun;
  plain: PlainRun;
  /** auto p50 per batch / plain p50 per append (medians: the p95 of a shared machine is mostly its neighbours). */
  ratio: number;
  /** The machine's 1-minute load average when each run started (2 cores: above 2 means waiting for a core). */
  load: { plain: number; auto: number };
  /**
   * (auto − plain main-thread time) / batches: everything the extension added to the page's
   * main thread, traced or not, per batch. CPU time is the useful one; wall time mostly
   * measures the machine's other load.
   */
  addedPerBatch: Busy;
}

// ------------------------------------------------------------------------------ the driver

/** A name for the driver's script in the trace, so its tasks (the page's appends) can be found. */
const DRIVER_URL = 'threadkeeper-bench-driver.js';

/**
 * Runs inside the page (plain ES2020, a string: tsx would wrap named helpers in __name(), which
 * does not exist in the page). Appends on a steady clock — message k at t0 + (k+1)·interval —
 * with senders in turn, and after every editEvery-th append edits the message two before it.
 */
const DRIVER_JS = String.raw`async function (opts) {
  const f = window.__fixture;
  const senders = ['You', 'Amira Haddad', 'Ben Carter', 'You', 'Chloe Nguyen'];
  const added = [];
  const edits = [];
  // The timer calls a function of this script (not the bare resolve), so its task carries the driver's URL.
  const sleep = function (ms) { return new Promise(function (resolve) { setTimeout(function () { resolve(); }, Math.max(0, ms)); }); };
  const t0 = performance.now();
  for (let k = 0; k < opts.messages; k++) {
    await sleep(t0 + (k + 1) * opts.intervalMs - performance.now());
    const text = 'Bench message ' + k + ': ' + (k % 4 === 1 ? 'the scanner on the second floor is fixed.\nSecond line.' : 'can we move the sorting session to Saturday?');
    const a = f.append(text, senders[k % senders.length]);
    added.push({ messageId: a.messageId, text: a.text });
    if (opts.editEvery > 0 && k % opts.editEvery === opts.editEvery - 1) {
      await sleep(t0 + (k + 1.5) * opts.intervalMs - performance.now());
      const e = f.edit(a.index - 2, 'Bench edit ' + edits.length + ': moved to Sunday');
      edits.push({ messageId: e.messageId, text: e.text });
    }
  }
  return { added: added, edits: edits, ms: performance.now() - t0 };
}`;

interface DriverResult {
  added: { messageId: string; text: string }[];
  edits: { messageId: string; text: string }[];
  ms: number;
}

async function drive(page: Page, o: AutoBenchOptions): Promise<DriverResult> {
  return (await page.evaluate(`(${DRIVER_JS})(${JSON.stringify(o)})\n//# sourceURL=${DRIVER_URL}`)) as DriverResult;
}

// ------------------------------------------------------------------------------ tracing

const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'].join(',');

interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { url?: string; frames?: { processId: number; url: string; isOutermostMainFrame?: boolean }[] } };
}

async function startTrace(cdp: CDPSession): Promise<void> {
  await cdp.send('Tracing.start', { categories: CATEGORIES, transferMode: 'ReturnAsStream' });
}

/**
 * TK_BENCH_TRACE=<dir> keeps each run's trace as <dir>/auto-<run>.json, to open in DevTools'
 * Performance panel.
 */
async function endTrace(cdp: CDPSession, run: string): Promise<TraceEvent[]> {
  const complete = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the trace did not complete within 120 s')), 120_000);
    cdp.once('Tracing.tracingComplete', (e) => {
      clearTimeout(timer);
      if (!e.stream) reject(new Error('the trace came back without a stream'));
      else resolve(e.stream);
    });
  });
  await cdp.send('Tracing.end');
  const handle = await complete;
  const chunks: Buffer[] = [];
  for (;;) {
    const r = await cdp.send('IO.read', { handle, size: 4 << 20 });
    chunks.push(Buffer.from(r.data, r.base64Encoded ? 'base64' : 'utf8'));
    if (r.eof) break;
  }
  await cdp.send('IO.close', { handle });
  const text = Buffer.concat(chunks).toString('utf8');
  if (process.env.TK_BENCH_TRACE) writeFileSync(join(process.env.TK_BENCH_TRACE, `auto-${run}.json`), text);
  const parsed = JSON.parse(text) as TraceEvent[] | { traceEvents: TraceEvent[] };
  return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

interface Span {
  name: string;
  ts: number;
  end: number;
  dur: number;
  tdur: number | null;
  url: string;
}

/** The page's renderer main thread, as complete spans (B/E pairs joined), sorted by start. */
function mainThreadSpans(events: TraceEvent[], pageUrlPrefix: string): Span[] {
  const started = events.find((e) => e.name === 'TracingStartedInBrowser');
  const frame = started?.args?.data?.frames?.find((f) => f.url.startsWith(pageUrlPrefix) && f.isOutermostMainFrame !== false);
  if (!frame) throw new Error(`the trace does not name the renderer of ${pageUrlPrefix}`);
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.pid === frame.processId && e.args?.name === 'CrRendererMain');
  if (!main) throw new Error(`no CrRendererMain thread in renderer ${frame.processId}`);
  const spans: Span[] = [];
  const open: TraceEvent[] = [];
  for (const e of events) {
    if (e.pid !== main.pid || e.tid !== main.tid) continue;
    const url = e.args?.data?.url ?? '';
    if (e.ph === 'X') {
      spans.push({ name: e.name, ts: e.ts, end: e.ts + (e.dur ?? 0), dur: e.dur ?? 0, tdur: e.tdur ?? null, url });
    } else if (e.ph === 'B') {
      open.push(e);
    } else if (e.ph === 'E') {
      const b = open.pop();
      if (b) spans.push({ name: b.name, ts: b.ts, end: e.ts, dur: e.ts - b.ts, tdur: null, url: b.args?.data?.url ?? '' });
    }
  }
  return spans.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
}

/** Faster containment tests against one kind of span: sorted starts, binary search. */
function container(spans: readonly Span[], name: string): (s: Span) => Span | null {
  const list = spans.filter((c) => c.name === name);
  return (s) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.ts <= s.ts) lo = mid + 1;
      else hi = mid;
    }
    // Candidates start at or before s; nested spans of one name are rare, look back a few.
    for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) {
      const c = list[i]!;
      if (c !== s && c.end >= s.end) return c;
    }
    return null;
  };
}

export function stats(xs: readonly number[]): Stats {
  if (xs.length === 0) return { count: 0, p50: Number.NaN, p95: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank.
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { count: s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1]!, mean: s.reduce((a, b) => a + b, 0) / s.length };
}

interface Window {
  from: number;
  to: number;
}

/** The driver's appends (and edits), each the whole task its timer ran in; and the window they span. */
function pageActivity(spans: readonly Span[]): { appends: Span[]; window: Window } {
  const task = container(spans, 'RunTask');
  const calls = spans.filter((s) => s.name === 'FunctionCall' && s.url === DRIVER_URL);
  const tasks = [...new Set(calls.map((c) => task(c) ?? c))];
  if (tasks.length === 0) throw new Error(`no task of the driver (${DRIVER_URL}) in the trace`);
  const from = tasks[0]!.ts;
  const to = tasks[tasks.length - 1]!.end + SETTLE_MS * 1000 - 500_000;
  return { appends: tasks, window: { from, to } };
}

function mainThread(spans: readonly Span[], w: Window): Busy {
  const top = spans.filter((s) => s.name === 'RunTask' && s.ts >= w.from && s.ts <= w.to);
  // Only outermost tasks (a nested run loop would count twice).
  let wall = 0;
  let cpu = 0;
  let lastEnd = -Infinity;
  for (const t of top) {
    if (t.ts < lastEnd) continue;
    wall += t.dur;
    cpu += t.tdur ?? t.dur;
    lastEnd = t.end;
  }
  return { wall: wall / 1000, cpu: cpu / 1000 };
}

const busy = (xs: readonly Span[]): Busy => ({
  wall: xs.reduce((s, x) => s + x.dur, 0) / 1000,
  cpu: xs.reduce((s, x) => s + (x.tdur ?? x.dur), 0) / 1000,
});

/**
 * A timer call of ours shorter than this did not read the page: auto-capture was still waiting
 * for the previous batch's acknowledgement, and reads again when it arrives (a continuation the
 * trace cannot attribute). A real read of the fixture's ~60 rows takes several milliseconds.
 */
const DEFERRED_MS = 0.5;

interface Attribution {
  reads: Span[];
  /** Timer calls that only deferred the read (see DEFERRED_MS). */
  deferred: number;
  batches: { wall: number; cpu: number }[];
  observers: Span[];
  other: Span[];
}

/** Splits our calls into reads (timer tasks), observer callbacks (microtasks) and the rest. */
function attribute(spans: readonly Span[], prefix: string, w: Window): Attribution {
  const task = container(spans, 'RunTask');
  const microtasks = container(spans, 'RunMicrotasks');
  const timer = container(spans, 'TimerFire');
  const ours = spans.filter((s) => s.name === 'FunctionCall' && s.url.startsWith(prefix) && s.ts >= w.from && s.ts <= w.to);
  const reads: Span[] = [];
  const observers: Span[] = [];
  const other: Span[] = [];
  let deferred = 0;
  for (const f of ours) {
    const fire = timer(f);
    const micro = microtasks(f);
    // A call inside a microtask checkpoint that runs inside the timer's task is the page's
    // mutation reaching our observer, not our timer.
    if (micro && (!fire || micro.ts >= fire.ts)) observers.push(f);
    else if (fire && f.dur / 1000 < DEFERRED_MS) {
      deferred++;
      other.push(f);
    } else if (fire) reads.push(task(f) ?? fire);
    else other.push(f);
  }
  const uniqueReads = [...new Set(reads)].sort((a, b) => a.ts - b.ts);
  const batches: { wall: number; cpu: number }[] = [];
  let o = 0;
  for (const r of uniqueReads) {
    let wall = r.dur;
    let cpu = r.tdur ?? r.dur;
    while (o < observers.length && observers[o]!.ts < r.ts) {
      wall += observers[o]!.dur;
      cpu += observers[o]!.tdur ?? observers[o]!.dur;
      o++;
    }
    batches.push({ wall: wall / 1000, cpu: cpu / 1000 });
  }
  return {
    reads: uniqueReads,
    deferred,
    batches,
    observers,
    other,
  };
}

// ------------------------------------------------------------------------------ the runs

/** What the extension kept, read straight from its IndexedDB in the service worker. */
async function kept(worker: Worker): Promise<{ ids: string[]; texts: string[] }> {
  // A string: tsx's __name() helper does not exist in the worker either.
  return (await worker.evaluate(`(async function () {
    const open = indexedDB.open('threadkeeper');
    const db = await new Promise(function (res, rej) { open.onsuccess = function () { res(open.result); }; open.onerror = function () { rej(open.error); }; });
    const all = function (store) {
      return new Promise(function (res, rej) {
        const r = db.transaction(store).objectStore(store).getAll();
        r.onsuccess = function () { res(r.result); };
        r.onerror = function () { rej(r.error); };
      });
    };
    try {
      const messages = await all('messages');
      const versions = await all('versions');
      return { ids: messages.map(function (m) { return m.messageId; }), texts: versions.map(function (v) { return v.content.text; }) };
    } finally {
      db.close();
    }
  })()`)) as { ids: string[]; texts: string[] };
}

async function autoCaptureCount(worker: Worker): Promise<number | null> {
  return (await worker.evaluate(`(async function () {
    const open = indexedDB.open('threadkeeper');
    const db = await new Promise(function (res, rej) { open.onsuccess = function () { res(open.result); }; open.onerror = function () { rej(open.error); }; });
    try {
      const captures = await new Promise(function (res, rej) {
        const r = db.transaction('captures').objectStore('captures').getAll();
        r.onsuccess = function () { res(r.result); };
        r.onerror = function () { rej(r.error); };
      });
      const running = captures.filter(function (c) { return c.mode === 'auto' && c.status === 'running'; });
      return running.length === 1 ? (running[0].counts.messages || 0) : null;
    } finally {
      db.close();
    }
  })()`)) as number | null;
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function openChat(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`https://web.whatsapp.com/?${AUTO_QUERY}`);
  await page.waitForSelector('#main [role=row]');
}

/** Trace the driver's activity on a page; returns the trace's main-thread spans and the driver's result. */
async function traced(page: Page, o: AutoBenchOptions, run: 'plain' | 'extension'): Promise<{ spans: Span[]; result: DriverResult; seconds: number }> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await startTrace(cdp);
    const t0 = performance.now();
    const result = await drive(page, o);
    await page.waitForTimeout(SETTLE_MS);
    const seconds = (performance.now() - t0) / 1000;
    const spans = mainThreadSpans(await endTrace(cdp, run), 'https://web.whatsapp.com/');
    return { spans, result, seconds };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

export async function plainRun(server: FixtureServer, o: AutoBenchOptions): Promise<PlainRun> {
  const { context, close } = await launchPlain(server);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await openChat(page);
    await page.waitForTimeout(1000);
    const { spans, result, seconds } = await traced(page, o, 'plain');
    if (result.added.length !== o.messages) throw new Error(`the driver appended ${result.added.length} messages, expected ${o.messages}`);
    const { appends, window } = pageActivity(spans);
    return { append: stats(appends.map((t) => t.dur / 1000)), mainThread: mainThread(spans, window), seconds };
  } finally {
    await close();
  }
}

export async function autoRun(server: FixtureServer, o: AutoBenchOptions): Promise<AutoRun> {
  const b = await launchWithExtension(server);
  try {
    await setExtensionStorage(b.worker, { settings: { autoCapture: ['whatsapp'] } });
    const page = await b.context.newPage();
    await openChat(page);
    // Auto mode has started and kept what the page showed; then let the page go quiet.
    await poll('auto-capture did not keep the messages on screen', 20_000, async () => {
      const n = await autoCaptureCount(b.worker);
      return n !== null && n > 0 ? n : null;
    });
    await page.waitForTimeout(1000);
    const { spans, result, seconds } = await traced(page, o, 'extension');
    if (result.added.length !== o.messages) throw new Error(`the driver appended ${result.added.length} messages, expected ${o.messages}`);

    // A run that captured nothing is a failure, not a fast result: every appended message
    // must be in the database, and every edit must have become a version with its text.
    let last = { messages: 0, edits: 0 };
    await poll('auto-capture did not keep what the page showed', 20_000, async () => {
      const db = await kept(b.worker);
      const ids = new Set(db.ids);
      const texts = new Set(db.texts);
      last = { messages: result.added.filter((a) => ids.has(a.messageId)).length, edits: result.edits.filter((e) => texts.has(e.text)).length };
      return last.messages === result.added.length && last.edits === result.edits.length ? last : null;
    }).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}: kept ${last.messages} of ${result.added.length} appended messages and ${last.edits} of ${result.edits.length} edits`);
    });

    const { appends, window } = pageActivity(spans);
    const a = attribute(spans, `chrome-extension://${b.extensionId}/`, window);
    if (a.reads.length === 0) throw new Error('the trace attributes no read to the content script (no timer call from its URL): the method does not work on this Chromium');
    return {
      batches: a.reads.length,
      batch: stats(a.batches.map((x) => x.wall)),
      batchCpu: stats(a.batches.map((x) => x.cpu)),
      read: stats(a.reads.map((r) => r.dur / 1000)),
      observerCalls: a.observers.length,
      observerMs: busy(a.observers).wall,
      otherMs: busy(a.other).wall,
      deferred: a.deferred,
      attributed: busy([...a.reads, ...a.observers, ...a.other]),
      mainThread: mainThread(spans, window),
      append: stats(appends.map((t) => t.dur / 1000)),
      seconds,
      kept: last,
    };
  } finally {
    await b.close().catch(() => undefined);
  }
}

export async function autoCaptureBench(log: (line: string) => void, o: AutoBenchOptions = AUTO_DEFAULTS): Promise<AutoCaptureBench> {
  const server = await startFixtureServer(['web.whatsapp.com']);
  try {
    server.route('web.whatsapp.com', '/', { body: longThreadPage() });
    const ms = (x: number) => `${x.toFixed(2)} ms`;
    const load = { plain: loadavg()[0]!, auto: 0 };
    log(`plain Chromium (no extension), ${o.messages} appends every ${o.intervalMs} ms…`);
    const plain = await plainRun(server, o);
    log(`  per change p50 ${ms(plain.append.p50)}, p95 ${ms(plain.append.p95)}; main thread ${plain.mainThread.wall.toFixed(0)} ms (CPU ${plain.mainThread.cpu.toFixed(0)} ms) in ${plain.seconds.toFixed(1)} s`);
    load.auto = loadavg()[0]!;
    log(`built extension, auto-capture on, the same activity…`);
    const auto = await autoRun(server, o);
    log(`  ${auto.batches} batches: p50 ${ms(auto.batch.p50)}, p95 ${ms(auto.batch.p95)}, max ${ms(auto.batch.max)} (CPU p50 ${ms(auto.batchCpu.p50)}, p95 ${ms(auto.batchCpu.p95)}); ${auto.deferred} deferred; kept ${auto.kept.messages} messages, ${auto.kept.edits} edits`);
    log(`  attributed ${auto.attributed.wall.toFixed(0)} ms (CPU ${auto.attributed.cpu.toFixed(0)} ms); main thread ${auto.mainThread.wall.toFixed(0)} ms (CPU ${auto.mainThread.cpu.toFixed(0)} ms) in ${auto.seconds.toFixed(1)} s; page per change p50 ${ms(auto.append.p50)}, p95 ${ms(auto.append.p95)}`);
    return {
      options: o,
      query: AUTO_QUERY,
      auto,
      plain,
      ratio: auto.batch.p50 / plain.append.p50,
      load,
      addedPerBatch: {
        wall: (auto.mainThread.wall - plain.mainThread.wall) / auto.batches,
        cpu: (auto.mainThread.cpu - plain.mainThread.cpu) / auto.batches,
      },
    };
  } finally {
    await server.close();
  }
}
