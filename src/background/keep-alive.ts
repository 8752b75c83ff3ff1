/**
 * Long work in the service worker (writing a large bundle, a bulk export, uploading) must not be
 * cut short because the browser thinks the worker idle: Chrome stops an extension service worker
 * 30 s after its last extension event or API call, and IndexedDB, file-system and crypto work do
 * not count. While `work` runs, a cheap extension API call every 20 s resets that timer. The
 * browser may still stop the worker (update, crash, shutdown): everything here is written so
 * that a job cut short says so and loses nothing (exporter.ts, uploads.ts).
 */
import browser from 'webextension-polyfill';

export const PING_MS = 20_000;

let active = 0;
let timer: ReturnType<typeof setInterval> | null = null;

export async function whileAlive<T>(work: () => Promise<T>, ping: () => Promise<unknown> = () => browser.runtime.getPlatformInfo()): Promise<T> {
  // One timer however many jobs overlap.
  if (active++ === 0) timer = setInterval(() => void ping().catch(() => undefined), PING_MS);
  try {
    return await work();
  } finally {
    if (--active === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }
}
