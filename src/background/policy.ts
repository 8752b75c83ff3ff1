/**
 * Administrator policy: chrome.storage.managed, described by public/managed-schema.json and
 * pushed through Chrome or Edge enterprise policy (docs/admin-policy.md). Policy values win
 * over the user's; `locked` names settings the user cannot change (auto-capture of a locked
 * messenger cannot be turned off). A value of the wrong type is ignored with a warning the
 * settings page shows; the rest still applies.
 */
import browser from 'webextension-polyfill';
import { PLATFORM_IDS, type PlatformId } from '../shared/model';
import type { Settings } from './settings';
import { isEmailAddress, repairCustomDomains, repairEndpoint } from './settings';

export interface PolicyReport {
  values: Partial<Settings>;
  /** Setting names the organization set (and the user therefore cannot change). */
  locked: (keyof Settings)[];
  warnings: string[];
}

const TEXT_KEYS = ['sourceOrganization', 'contactName', 'contactEmail', 'officialEmail'] as const;

export function parsePolicy(raw: Record<string, unknown>): PolicyReport {
  const values: Partial<Settings> = {};
  const warnings: string[] = [];
  const bad = (key: string, want: string) => warnings.push(`The organization's policy value for “${key}” is not ${want}; it was ignored.`);
  for (const key of TEXT_KEYS) {
    if (!(key in raw)) continue;
    const v = raw[key];
    if (typeof v !== 'string') bad(key, 'text');
    else if ((key === 'officialEmail' || key === 'contactEmail') && v && !isEmailAddress(v.trim())) bad(key, 'an email address');
    else values[key] = v.trim();
  }
  if ('autoCapture' in raw) {
    const v = raw.autoCapture;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad('autoCapture', 'a list of messenger names');
    else {
      const known = v.filter((x): x is PlatformId => PLATFORM_IDS.includes(x as PlatformId));
      if (known.length !== v.length) warnings.push(`The organization's policy names unknown messengers in “autoCapture”: ${v.filter((x) => !known.includes(x as PlatformId)).join(', ')}; they were ignored.`);
      values.autoCapture = known;
    }
  }
  if ('customDomains' in raw) {
    const v = raw.customDomains;
    const repaired = repairCustomDomains(v);
    if (!Array.isArray(v) || repaired.length !== v.length) bad('customDomains', 'a list of {host, adapter} entries');
    values.customDomains = repaired;
  }
  if ('endpoint' in raw) {
    const v = repairEndpoint(raw.endpoint);
    if (!v) bad('endpoint', 'an https URL with a token');
    else values.endpoint = v;
  }
  if ('deadlineDays' in raw) {
    const v = raw.deadlineDays;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 365) bad('deadlineDays', 'a whole number of days from 1 to 365');
    else values.deadlineDays = v;
  }
  return { values, locked: Object.keys(values) as (keyof Settings)[], warnings };
}

export async function readPolicy(): Promise<PolicyReport> {
  try {
    const raw = await browser.storage.managed.get();
    return parsePolicy(raw as Record<string, unknown>);
  } catch {
    // No policy (the usual case outside managed browsers), or managed storage unavailable.
    return { values: {}, locked: [], warnings: [] };
  }
}

export function applyPolicy(user: Settings, policy: PolicyReport): Settings {
  const merged: Settings = { ...user, ...policy.values };
  // Auto-capture: the organization's messengers are always on; the user may add more.
  if (policy.values.autoCapture) merged.autoCapture = [...new Set([...policy.values.autoCapture, ...user.autoCapture])];
  if (policy.values.customDomains) {
    const hosts = new Set(policy.values.customDomains.map((d) => d.host));
    merged.customDomains = [...policy.values.customDomains, ...user.customDomains.filter((d) => !hosts.has(d.host))];
  }
  return merged;
}
