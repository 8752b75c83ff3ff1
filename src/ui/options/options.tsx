/**
 * Settings that go into every bundle's bag-info.txt, and the signing key's thumbprint
 * (what a records officer pins with `verify --key`).
 */
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { DEFAULT_SETTINGS, repairSettings, type Settings } from '../../background/settings';
import type { KeyInfo } from '../../shared/protocol';
import { adapters } from '../../adapters/registry';
import type { PlatformId } from '../../shared/model';

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
