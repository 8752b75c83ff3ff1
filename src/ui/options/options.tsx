/**
 * Settings that go into every bundle's bag-info.txt, and the signing key's thumbprint
 * (what a records officer pins with `verify --key`).
 */
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { askAgain } from '../ask';
import { DEFAULT_SETTINGS, repairEndpoint, repairSettings, type Settings } from '../../background/settings';
import { isOfficialAddress } from '../../forward/eml';
import type { AuditView, KeyInfo } from '../../shared/protocol';
import { adapters } from '../../adapters/registry';
import { HOST_PATTERN, type PlatformId } from '../../shared/model';
import { originFor } from '../../background/custom-domains';

interface PolicyView {
  settings: Settings;
  locked: (keyof Settings)[];
  warnings: string[];
}

export function Options() {
  /** The user's own settings (what this form edits). */
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  /** What the organization's policy sets, locks and warns about. */
  const [policy, setPolicy] = useState<PolicyView | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState<KeyInfo | null>(null);
  const [audit, setAudit] = useState<AuditView | null>(null);
  const [copied, setCopied] = useState(false);
  const [endpointUrl, setEndpointUrl] = useState('');
  const [endpointToken, setEndpointToken] = useState('');

  useEffect(() => {
    void browser.storage.local.get('settings').then(({ settings: raw }) => {
      const s = repairSettings(raw);
      setSettings(s);
      setEndpointUrl(s.endpoint?.url ?? '');
      setEndpointToken(s.endpoint?.token ?? '');
    });
    // Reads: asked again if the worker is restarting (askAgain), so a restart does not blank them.
    void askAgain<KeyInfo>({ type: 'popup/key-info' }).then(setKey).catch(() => setKey(null));
    void askAgain<AuditView>({ type: 'popup/audit' }).then((a) => setAudit(a && Array.isArray(a.entries) ? a : null)).catch(() => setAudit(null));
    void askAgain<PolicyView>({ type: 'popup/policy' }).then((p) => setPolicy(p && Array.isArray(p.locked) ? p : null)).catch(() => setPolicy(null));
  }, []);

  const locked = (name: keyof Settings) => policy?.locked?.includes(name) ?? false;
  const byOrg = (name: keyof Settings) =>
    locked(name) ? (
      <span class="muted" data-testid={`locked-${name}`}>
        {' '}
        Set by your organization.
      </span>
    ) : null;

  const field = (name: 'sourceOrganization' | 'contactName' | 'contactEmail' | 'officialEmail', label: string, type: 'text' | 'email' = 'text') => {
    const value = locked(name) ? String(policy?.settings[name] ?? '') : settings[name];
    const onInput = (e: { currentTarget: HTMLInputElement }) => setSettings({ ...settings, [name]: e.currentTarget.value });
    return (
      <>
        <label for={name}>
          {label}
          {byOrg(name)}
        </label>
        {type === 'email' ? (
          <input id={name} name={name} type="email" value={value} disabled={locked(name)} onInput={onInput} />
        ) : (
          <input id={name} name={name} type="text" value={value} disabled={locked(name)} onInput={onInput} />
        )}
      </>
    );
  };

  const onSave = async (e: Event) => {
    e.preventDefault();
    setSaved(null);
    const official = settings.officialEmail.trim();
    if (official && !isOfficialAddress(official)) {
      setError(`“${official}” is not an email address; the official account must be one address like records@agency.gov.`);
      return;
    }
    if (settings.contactEmail.trim() && !isOfficialAddress(settings.contactEmail.trim())) {
      setError('The contact email is not an email address.');
      return;
    }
    let endpoint = null;
    if (!locked('endpoint') && endpointUrl.trim()) {
      endpoint = repairEndpoint({ url: endpointUrl.trim(), token: endpointToken });
      if (!endpoint) {
        setError('The records system address must be an https:// URL.');
        return;
      }
      // The upload goes from the background to this origin: ask for it, inside the click.
      const origin = `${new URL(endpoint.url).origin}/*`;
      const granted = await browser.permissions.request({ origins: [origin] }).catch(() => false);
      if (!granted) {
        setError(`Permission to reach ${new URL(endpoint.url).host} was not given; the records system was not saved.`);
        return;
      }
    }
    const clean = repairSettings({ ...settings, officialEmail: official, endpoint });
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
      {policy?.warnings?.map((w) => (
        <p class="error" role="alert" key={w} data-testid="policy-warning">
          {w}
        </p>
      ))}
      <form onSubmit={(e) => void onSave(e)}>
        <p class="muted">These go into each bundle's <code>bag-info.txt</code>.</p>
        {field('sourceOrganization', 'Agency or organization (Source-Organization)')}
        {field('contactName', 'Contact name (Contact-Name)')}
        {field('contactEmail', 'Contact email (Contact-Email)', 'email')}
        <h2>Records</h2>
        {field('officialEmail', 'Official email account (where copies are forwarded)', 'email')}
        <label for="endpoint-url">
          Records system intake URL (https){byOrg('endpoint')}
        </label>
        <input id="endpoint-url" type="text" placeholder="https://records.agency.example" disabled={locked('endpoint')} value={locked('endpoint') ? policy?.settings.endpoint?.url ?? '' : endpointUrl} onInput={(e) => setEndpointUrl(e.currentTarget.value)} />
        <label for="endpoint-token">Records system access token{byOrg('endpoint')}</label>
        <input id="endpoint-token" type="password" autocomplete="off" disabled={locked('endpoint')} value={locked('endpoint') ? '••••••••' : endpointToken} onInput={(e) => setEndpointToken(e.currentTarget.value)} />
        <label for="deadline-days">
          Forwarding deadline: days after each message was sent{byOrg('deadlineDays')}
        </label>
        <input
          id="deadline-days"
          type="number"
          min={1}
          max={365}
          disabled={locked('deadlineDays')}
          value={locked('deadlineDays') ? policy?.settings.deadlineDays : settings.deadlineDays}
          onInput={(e) => setSettings({ ...settings, deadlineDays: Number(e.currentTarget.value) })}
        />
        <p class="muted">44 U.S.C. 2911 requires a complete copy within 20 days of sending.</p>
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
                disabled={policy?.settings.autoCapture.includes(a.id) && locked('autoCapture')}
                checked={settings.autoCapture.includes(a.id) || (locked('autoCapture') && (policy?.settings.autoCapture.includes(a.id) ?? false))}
                onChange={(e) => void toggleAuto(a.id, e.currentTarget.checked)}
              />{' '}
              Capture {a.name} automatically
              {locked('autoCapture') && policy?.settings.autoCapture.includes(a.id) && <span class="muted"> (set by your organization)</span>}
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
        Thumbprint: <code data-testid="key-thumbprint">{key ? key.thumbprint : '…'}</code>{' '}
        {key && (
          <button
            type="button"
            class="secondary"
            onClick={() => void navigator.clipboard.writeText(key.thumbprint).then(() => setCopied(true), () => setCopied(false))}
          >
            {copied ? 'Copied' : 'Copy thumbprint'}
          </button>
        )}
      </p>
      <h2>Audit log</h2>
      <p>
        Every capture, export, upload, purge and settings change, hash-chained so that a removed or edited entry is
        detectable. Each bundle carries the log, leaving out the details of entries about other conversations, and the verifier checks its chain.
      </p>
      {audit && (
        <>
          <p class={audit.chainProblems.length ? 'error' : 'muted'} data-testid="audit-status" role={audit.chainProblems.length ? 'alert' : undefined}>
            {audit.chainProblems.length
              ? `The audit log's chain is broken: ${audit.chainProblems.join('; ')}`
              : `${audit.total} entries; the chain is intact.`}
          </p>
          <table class="list" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {audit.entries.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{new Date(e.at).toLocaleString()}</td>
                  <td>{e.action}</td>
                  <td>
                    <code>{JSON.stringify(e.details).slice(0, 300)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </main>
  );
}
