/** Every messenger adapter, registered by import. test/unit/registry.test.ts checks each has fixtures and a README row. */
import type { Adapter } from './types';
import type { CustomDomain, PlatformId } from '../shared/model';
import { whatsappAdapter } from './whatsapp';
import { telegramAdapter } from './telegram';
import { googlechatAdapter } from './googlechat';
import { messengerAdapter } from './messenger';
import { slackAdapter } from './slack';
import { teamsAdapter } from './teams';
import { discordAdapter } from './discord';
import { elementAdapter } from './element';

export const adapters: readonly Adapter[] = [whatsappAdapter, telegramAdapter, googlechatAdapter, messengerAdapter, slackAdapter, teamsAdapter, discordAdapter, elementAdapter];

export function adapterById(id: PlatformId): Adapter | undefined {
  return adapters.find((a) => a.id === id);
}

/** The adapter for a page: a built-in messenger's, or the one a custom domain is mapped to. */
export function adapterForUrl(url: string | undefined | null, customDomains: readonly CustomDomain[] = []): Adapter | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const builtIn = adapters.find((a) => a.matchesUrl(parsed));
  if (builtIn) return builtIn;
  if (parsed.protocol !== 'https:') return undefined;
  const mapped = customDomains.find((d) => d.host === parsed.hostname);
  return mapped ? adapterById(mapped.adapter) : undefined;
}
