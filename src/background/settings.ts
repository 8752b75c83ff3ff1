/** Settings kept in chrome.storage.local, read with defaults and repaired on load. */
import browser from 'webextension-polyfill';
import { HOST_PATTERN, PLATFORM_IDS, type CustomDomain, type PlatformId } from '../shared/model';

export interface Settings {
  sourceOrganization: string;
  contactName: string;
  contactEmail: string;
  /** Messengers captured automatically as their pages render (issue #3). */
  autoCapture: PlatformId[];
  /** Self-hosted or other domains read by one of our adapters (host permission asked when added). */
  customDomains: CustomDomain[];
}

export const DEFAULT_SETTINGS: Settings = { sourceOrganization: '', contactName: '', contactEmail: '', autoCapture: [], customDomains: [] };

const TEXT_FIELDS = ['sourceOrganization', 'contactName', 'contactEmail'] as const;

/** Keeps known fields of the right type, drops anything else: a bad stored value never breaks export. */
export function repairSettings(raw: unknown): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS, autoCapture: [], customDomains: [] };
  if (raw && typeof raw === 'object') {
    const r = raw as Record<string, unknown>;
    for (const key of TEXT_FIELDS) {
      const v = r[key];
      if (typeof v === 'string') out[key] = v.trim().slice(0, 512);
    }
    if (Array.isArray(r.autoCapture)) {
      out.autoCapture = PLATFORM_IDS.filter((id) => (r.autoCapture as unknown[]).includes(id));
    }
    if (Array.isArray(r.customDomains)) {
      const seen = new Set<string>();
      for (const d of r.customDomains as unknown[]) {
        const host = typeof (d as CustomDomain)?.host === 'string' ? (d as CustomDomain).host.trim().toLowerCase() : '';
        const adapter = (d as CustomDomain)?.adapter;
        if (HOST_PATTERN.test(host) && PLATFORM_IDS.includes(adapter) && !seen.has(host)) {
          seen.add(host);
          out.customDomains.push({ host, adapter });
        }
      }
    }
  }
  return out;
}

export async function loadSettings(): Promise<Settings> {
  const { settings } = await browser.storage.local.get('settings');
  return repairSettings(settings);
}
