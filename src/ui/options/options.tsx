/**
 * Settings that go into every bundle's bag-info.txt, and the signing key's thumbprint
 * (what a records officer pins with `verify --key`).
 */
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { DEFAULT_SETTINGS, repairSettings, type Settings } from '../../background/settings';
import type { KeyInfo } from '../../shared/protocol';
import { adapters } from '../../adapters/registry';
import { HOST_PATTERN, type PlatformId } from '../../shared/model';
import { originFor } from '../../background/custom-domains';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function Options() {
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState<KeyInfo | null>(null);

  useEffect(() => {
    void browser.storage.local.get('settings').then(({ settings: raw }) => setSettings(repairSettings(raw)));
    void (browser.runtime.sendMessage({ type: 'popup/key-info' }) as Promise<KeyInfo>).then(setKey).catch(() => setKey(null));
  }, []);

  const field = (name: 'sourceOrganization' | 'contactName' | 'contactEmail', label: string, type: 'text' | 'email' = 'text') => (
    <>
      <label for={name}>{label}</label>
      {type === 'email' ? (
        <input id={name} name={name} type="email" value={settings[name]} onInput={(e) => setSettings({ ...settings, [name]: e.currentTarget.value })} />
      ) : (
        <input id={name} name={name} type="text" value={settings[name]} onInput={(e) => setSettings({ ...settings, [name]: e.currentTarget.value })} />
      )}
    </>
  );

  const onSave = async (e: Event) => {
    e.preventDefault();
    setSaved(null);
    const clean = repairSettings(settings);
    if (clean.contactEmail && !EMAIL.test(clean.contactEmail)) {
      setError('The contact email is not an email address.');
      return;
    }
    setError(null);
    await browser.storage.local.set({ settings: clean });
    setSettings(clean);
    setSaved('Saved. New bundles will carry these details.');
  };

  const toggleAuto = async (id: PlatformId, on: boolean) => {
    const { settings: raw } = await browser.storage.local.get('settings');
    const current = repairSettings(raw);
    const autoCapture = on ? [...new Set([...current.autoCapture, id])] : current.autoCapture.filter((x) => x !== id);
    await browser.storage.local.set({ settings: { ...current, autoCapture } });
    setSettings({ ...settings, autoCapture });
  };

  const [domain, setDomain] = useState('');
  const [domainAdapter, setDomainAdapter] = useState<PlatformId>('element');
  const [domainMessage, setDomainMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const addDomain = async (e: Event) => {
    e.preventDefault();
    const host = domain.trim().toLowerCase().replace(/^https:\/\//, '').replace(/\/.*$/, '');
    if (!HOST_PATTERN.test(host)) {
      setDomainMessage({ ok: false, text: `“${host}” is not a domain name (for example chat.agency.example).` });
      return;
    }
    // Ask first, inside the click: the browser shows its permission prompt only for a user gesture.
    const granted = await browser.permissions.request({ origins: [originFor(host)] }).catch(() => false);
    if (!granted) {
      setDomainMessage({ ok: false, text: `Permission for ${host} was not given, so Threadkeeper cannot read it. Nothing was added.` });
      return;
    }
    const { settings: raw } = await browser.storage.local.get('settings');
    const current = repairSettings(raw);
    const customDomains = [...current.customDomains.filter((d) => d.host !== host), { host, adapter: domainAdapter }];
    await browser.storage.local.set({ settings: { ...current, customDomains } });
    setSettings({ ...settings, customDomains });
    setDomain('');
    setDomainMessage({ ok: true, text: `${host} is read with the ${adapters.find((a) => a.id === domainAdapter)?.name} adapter. Reload its open tabs.` });
  };

  const removeDomain = async (host: string) => {
    const { settings: raw } = await browser.storage.local.get('settings');
    const current = repairSettings(raw);
    const customDomains = current.customDomains.filter((d) => d.host !== host);
    await browser.storage.local.set({ settings: { ...current, customDomains } });
    await browser.permissions.remove({ origins: [originFor(host)] }).catch(() => false);
    setSettings({ ...settings, customDomains });
    setDomainMessage({ ok: true, text: `${host} removed; Threadkeeper no longer reads it.` });
  };

  return (
    <main class="options">
      <h1>Threadkeeper settings</h1>
      <form onSubmit={(e) => void onSave(e)}>
        <p class="muted">These go into each bundle's <code>bag-info.txt</code>.</p>
        {field('sourceOrganization', 'Agency or organization (Source-Organization)')}
        {field('contactName', 'Contact name (Contact-Name)')}
        {field('contactEmail', 'Contact email (Contact-Email)', 'email')}
        <div class="actions">
          <button type="submit">Save settings</button>
        </div>
        {error && <p class="error" role="alert">{error}</p>}
        {saved && <p class="result" role="status">{saved}</p>}
      </form>
      <h2>Automatic capture</h2>
      <p>
        With automatic capture on, Threadkeeper keeps every message of that messenger as it appears on screen, with no
        click — so messages in a disappearing-messages chat are kept before they vanish. The toolbar badge shows{' '}
        <strong>REC</strong> on tabs being captured.
      </p>
      <ul class="switches">
        {adapters.map((a) => (
          <li key={a.id}>
            <label class="switch">
              <input
                type="checkbox"
                role="switch"
                checked={settings.autoCapture.includes(a.id)}
                onChange={(e) => void toggleAuto(a.id, e.currentTarget.checked)}
              />{' '}
              Capture {a.name} automatically
            </label>
          </li>
        ))}
      </ul>
      <h3>Your own domains</h3>
      <p>
        A self-hosted messenger (an Element or Mattermost server at your agency, say) can be read by one of the adapters
        above. Threadkeeper asks the browser for access to that domain only when you add it.
      </p>
      <ul data-testid="custom-domains">
        {settings.customDomains.map((d) => (
          <li key={d.host}>
            <code>{d.host}</code> → {adapters.find((a) => a.id === d.adapter)?.name ?? d.adapter}{' '}
            <button type="button" class="secondary" onClick={() => void removeDomain(d.host)} aria-label={`Remove ${d.host}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={(e) => void addDomain(e)}>
        <label for="custom-host">Domain</label>
        <input id="custom-host" type="text" placeholder="chat.agency.example" value={domain} onInput={(e) => setDomain(e.currentTarget.value)} />
        <label for="custom-adapter">Read it as</label>
        <select id="custom-adapter" value={domainAdapter} onChange={(e) => setDomainAdapter(e.currentTarget.value as PlatformId)}>
          {adapters.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
        <div class="actions">
          <button type="submit">Add domain</button>
        </div>
        {domainMessage && (
          <p class={domainMessage.ok ? 'result' : 'error'} role={domainMessage.ok ? 'status' : 'alert'} data-testid="domain-message">
            {domainMessage.text}
          </p>
        )}
      </form>
      <h2>Signing key</h2>
      <p>
        Bundles from this browser are signed with a key that never leaves it. Records officers can pin it with{' '}
        <code>npm run verify -- bundle.zip --key THUMBPRINT</code>.
      </p>
      <p>
        Thumbprint: <code data-testid="key-thumbprint">{key ? key.thumbprint : '…'}</code>
      </p>
    </main>
  );
}
