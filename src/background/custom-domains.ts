/**
 * Custom domains (a self-hosted Element at chat.agency.example, say) get the same content
 * script as the built-in messengers, registered dynamically — only for hosts whose permission
 * the user (or administrator) granted, and persisted across browser restarts. A registration
 * for a host without permission would resolve but never inject, so permission is checked first.
 */
import browser from 'webextension-polyfill';
import type { CustomDomain } from '../shared/model';

export const SCRIPT_PREFIX = 'tk-custom-';
export const originFor = (host: string) => `https://${host}/*`;

/** The built content script's path, as the manifest lists it for the built-in messengers. */
function contentScriptFile(): string {
  const file = browser.runtime.getManifest().content_scripts?.[0]?.js?.[0];
  if (!file) throw new Error('the manifest lists no content script');
  return file;
}

export async function syncCustomScripts(domains: readonly CustomDomain[]): Promise<{ registered: string[]; withoutPermission: string[] }> {
  const registered = (await browser.scripting.getRegisteredContentScripts()).filter((s) => s.id.startsWith(SCRIPT_PREFIX));
  const wanted: string[] = [];
  const withoutPermission: string[] = [];
  for (const d of domains) {
    if (await browser.permissions.contains({ origins: [originFor(d.host)] })) wanted.push(d.host);
    else withoutPermission.push(d.host);
  }
  const stale = registered.filter((s) => !wanted.includes(s.id.slice(SCRIPT_PREFIX.length))).map((s) => s.id);
  if (stale.length) await browser.scripting.unregisterContentScripts({ ids: stale });
  const have = new Set(registered.map((s) => s.id));
  const missing = wanted.filter((h) => !have.has(SCRIPT_PREFIX + h));
  if (missing.length) {
    await browser.scripting.registerContentScripts(
      missing.map((host) => ({
        id: SCRIPT_PREFIX + host,
        matches: [originFor(host)],
        js: [contentScriptFile()],
        runAt: 'document_idle' as const,
        allFrames: false,
        persistAcrossSessions: true,
      })),
    );
  }
  return { registered: wanted, withoutPermission };
}
