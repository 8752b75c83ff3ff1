/** Settings kept in chrome.storage.local, read with defaults and repaired on load. */
import browser from 'webextension-polyfill';

export interface Settings {
  sourceOrganization: string;
  contactName: string;
  contactEmail: string;
}

export const DEFAULT_SETTINGS: Settings = { sourceOrganization: '', contactName: '', contactEmail: '' };

/** Keeps known string fields, trims them, drops anything else: a bad stored value never breaks export. */
export function repairSettings(raw: unknown): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS };
  if (raw && typeof raw === 'object') {
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
      const v = (raw as Record<string, unknown>)[key];
      if (typeof v === 'string') out[key] = v.trim().slice(0, 512);
    }
  }
  return out;
}

export async function loadSettings(): Promise<Settings> {
  const { settings } = await browser.storage.local.get('settings');
  return repairSettings(settings);
}
