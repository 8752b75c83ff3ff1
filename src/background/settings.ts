/**
 * Settings: the user's (chrome.storage.local), overlaid by the administrator's policy
 * (chrome.storage.managed, see policy.ts and docs/admin-policy.md). Every value is repaired on
 * load: a bad stored value never breaks capture or export.
 */
import browser from 'webextension-polyfill';
import { HOST_PATTERN, PLATFORM_IDS, type CustomDomain, type PlatformId } from '../shared/model';
import { applyPolicy, readPolicy, type PolicyReport } from './policy';

export interface Endpoint {
  /** https URL of the records system's intake (POST /v1/bundles is appended). */
  url: string;
  token: string;
}

export interface Settings {
  sourceOrganization: string;
  contactName: string;
  contactEmail: string;
  /** The official account copies go to (44 U.S.C. 2911). */
  officialEmail: string;
  /** Messengers captured automatically as their pages render (issue #3). */
  autoCapture: PlatformId[];
  /** Self-hosted or other domains read by one of our adapters (host permission asked when added). */
  customDomains: CustomDomain[];
  /** The records system, or null. */
  endpoint: Endpoint | null;
  /** Forwarding deadline: this many days after each message was sent (44 U.S.C. 2911: 20). */
  deadlineDays: number;
}

export const DEFAULT_SETTINGS: Settings = {
  sourceOrganization: '',
  contactName: '',
  contactEmail: '',
  officialEmail: '',
  autoCapture: [],
  customDomains: [],
  endpoint: null,
  deadlineDays: 20,
};

const TEXT_FIELDS = ['sourceOrganization', 'contactName', 'contactEmail', 'officialEmail'] as const;
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export function isEmailAddress(s: string): boolean {
  return s.length <= 254 && EMAIL.test(s);
}

export function repairEndpoint(v: unknown): Endpoint | null {
  if (!v || typeof v !== 'object') return null;
  const { url, token } = v as Record<string, unknown>;
  if (typeof url !== 'string' || typeof token !== 'string') return null;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:') return null;
    return { url: u.href.replace(/\/+$/, ''), token: token.trim() };
  } catch {
    return null;
  }
}

export function repairCustomDomains(v: unknown): CustomDomain[] {
  if (!Array.isArray(v)) return [];
  const seen = new Set<string>();
  const out: CustomDomain[] = [];
  for (const d of v as unknown[]) {
    const host = typeof (d as CustomDomain)?.host === 'string' ? (d as CustomDomain).host.trim().toLowerCase() : '';
    const adapter = (d as CustomDomain)?.adapter;
    if (HOST_PATTERN.test(host) && PLATFORM_IDS.includes(adapter) && !seen.has(host)) {
      seen.add(host);
      out.push({ host, adapter });
    }
  }
  return out;
}

/** Keeps known fields of the right type, drops anything else. */
export function repairSettings(raw: unknown): Settings {
  const out: Settings = { ...DEFAULT_SETTINGS, autoCapture: [], customDomains: [] };
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  for (const key of TEXT_FIELDS) {
    const v = r[key];
    if (typeof v === 'string') out[key] = v.trim().slice(0, 512);
  }
  if (out.officialEmail && !isEmailAddress(out.officialEmail)) out.officialEmail = '';
  if (Array.isArray(r.autoCapture)) out.autoCapture = PLATFORM_IDS.filter((id) => (r.autoCapture as unknown[]).includes(id));
  out.customDomains = repairCustomDomains(r.customDomains);
  out.endpoint = repairEndpoint(r.endpoint);
  if (typeof r.deadlineDays === 'number' && Number.isInteger(r.deadlineDays) && r.deadlineDays >= 1 && r.deadlineDays <= 365) out.deadlineDays = r.deadlineDays;
  return out;
}

/** The user's own settings, without policy. */
export async function loadUserSettings(): Promise<Settings> {
  const { settings } = await browser.storage.local.get('settings');
  return repairSettings(settings);
}

/** What is in force: the user's settings with the administrator's policy applied. */
export async function loadSettings(): Promise<Settings> {
  return (await loadSettingsWithPolicy()).settings;
}

export async function loadSettingsWithPolicy(): Promise<{ settings: Settings; policy: PolicyReport }> {
  const [user, policy] = await Promise.all([loadUserSettings(), readPolicy()]);
  return { settings: applyPolicy(user, policy), policy };
}
