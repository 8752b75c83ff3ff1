/**
 * Messenger frames inside other sites' pages (Google Chat inside Gmail). The background learns
 * that such a frame exists only when its content script speaks (every runner says hello when it
 * starts), so each one is remembered per tab in storage.session — it survives a stopped service
 * worker, not a browser restart — and forgotten when its tab closes or reloads, or when it stops
 * answering. Top frames are never listed here: their tab's URL says which messenger they are.
 */
import browser from 'webextension-polyfill';
import type { PlatformId } from '../shared/model';
import { serialQueue } from '../shared/serial';

export interface KnownFrame {
  frameId: number;
  adapter: PlatformId;
  /** The frame's own URL when it last spoke (the tab's URL is another site's). */
  url: string;
}

type Registry = Record<string, KnownFrame[]>;
const KEY = 'embeddedFrames';

// Read-modify-write of one storage key: serialized within this worker, so two frames saying
// hello at once do not drop each other.
const serialized = serialQueue();

async function load(): Promise<Registry> {
  const { [KEY]: value } = await browser.storage.session.get(KEY);
  return value && typeof value === 'object' ? (value as Registry) : {};
}

/** Frames already written, so a frame's every batch does not cost a storage write. */
const known = new Set<string>();

export function rememberFrame(tabId: number, frame: KnownFrame): Promise<void> {
  const key = `${tabId}:${frame.frameId}:${frame.adapter}:${frame.url}`;
  if (known.has(key)) return Promise.resolve();
  return serialized(async () => {
    const all = await load();
    const list = (all[tabId] ?? []).filter((f) => f.frameId !== frame.frameId);
    all[tabId] = [...list, frame].sort((a, b) => a.frameId - b.frameId);
    await browser.storage.session.set({ [KEY]: all });
    known.add(key);
  });
}

export async function framesOf(tabId: number): Promise<KnownFrame[]> {
  return (await load())[tabId] ?? [];
}

export async function allFrames(): Promise<{ tabId: number; frame: KnownFrame }[]> {
  return Object.entries(await load()).flatMap(([tabId, frames]) => frames.map((frame) => ({ tabId: Number(tabId), frame })));
}

export function forgetFrame(tabId: number, frameId: number): Promise<void> {
  return serialized(async () => {
    const all = await load();
    if (!all[tabId]) return;
    all[tabId] = all[tabId].filter((f) => f.frameId !== frameId);
    if (all[tabId].length === 0) delete all[tabId];
    await browser.storage.session.set({ [KEY]: all });
    for (const k of [...known]) if (k.startsWith(`${tabId}:${frameId}:`)) known.delete(k);
  });
}

export function forgetTab(tabId: number): Promise<void> {
  return serialized(async () => {
    const all = await load();
    if (!all[tabId]) return;
    delete all[tabId];
    await browser.storage.session.set({ [KEY]: all });
    for (const k of [...known]) if (k.startsWith(`${tabId}:`)) known.delete(k);
  });
}
