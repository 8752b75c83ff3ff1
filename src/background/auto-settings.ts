/**
 * When the auto-capture setting changes, tell the open tabs of each messenger turned on or off,
 * so the change takes effect without a reload; turning one off closes its running captures.
 */
import browser from 'webextension-polyfill';
import { adapterById } from '../adapters/registry';
import { repairSettings } from './settings';
import { audit, db } from './context';
import { finishCapture } from './captures';
import { syncCustomScripts } from './custom-domains';
import { allFrames } from './frames';
import type { PlatformId } from '../shared/model';

/** Which settings changed, for the audit log (names only; never the records system's token). */
export function changedSettingNames(oldValue: unknown, newValue: unknown): string[] {
  const before = repairSettings(oldValue) as unknown as Record<string, unknown>;
  const after = repairSettings(newValue) as unknown as Record<string, unknown>;
  return Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

export async function onSettingsChanged(oldValue: unknown, newValue: unknown): Promise<void> {
  const changed = changedSettingNames(oldValue, newValue);
  if (changed.length) await audit('settings-changed', { settings: changed });
  await syncCustomScripts(repairSettings(newValue).customDomains).catch((err: unknown) => console.error('Threadkeeper could not register custom domains', err));
  const before = new Set(repairSettings(oldValue).autoCapture);
  const after = new Set(repairSettings(newValue).autoCapture);
  const toggled = [...new Set([...before, ...after])].filter((id) => before.has(id) !== after.has(id)) as PlatformId[];
  for (const id of toggled) {
    const adapter = adapterById(id);
    if (!adapter) continue;
    const enabled = after.has(id);
    if (!enabled) {
      const running = await db.captures.where('status').equals('running').filter((c) => c.mode === 'auto' && c.adapter === id).toArray();
      for (const c of running) {
        await finishCapture(c.id, 'visible-only', 'automatic capture was turned off');
      }
    }
    const tabs = await browser.tabs.query({ url: adapter.matches as string[] });
    for (const tab of tabs) {
      if (tab.id !== undefined) await browser.tabs.sendMessage(tab.id, { type: 'bg/auto', enabled }, { frameId: 0 }).catch(() => undefined);
    }
    // Its frames inside other sites' pages (Google Chat in Gmail).
    for (const { tabId, frame } of await allFrames()) {
      if (frame.adapter === id) await browser.tabs.sendMessage(tabId, { type: 'bg/auto', enabled }, { frameId: frame.frameId }).catch(() => undefined);
    }
  }
}
