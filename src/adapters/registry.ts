/** Every messenger adapter, registered by import. test/unit/registry.test.ts checks each has fixtures and a README row. */
import type { Adapter } from './types';
import type { PlatformId } from '../shared/model';
import { whatsappAdapter } from './whatsapp';

export const adapters: readonly Adapter[] = [whatsappAdapter];

export function adapterById(id: PlatformId): Adapter | undefined {
  return adapters.find((a) => a.id === id);
}

export function adapterForUrl(url: string | undefined | null): Adapter | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  return adapters.find((a) => a.matchesUrl(parsed));
}
