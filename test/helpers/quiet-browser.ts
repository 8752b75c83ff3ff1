/**
 * A stand-in for webextension-polyfill's `browser` for unit tests that run the background's
 * handlers: empty storage, no policy, and badge, notification and title calls that do nothing.
 * Use as `vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/quiet-browser')).quietBrowser }))`.
 */
export const quietBrowser = {
  storage: {
    local: { get: async () => ({}), set: async () => undefined },
    managed: { get: async () => { throw new Error('no policy'); } },
  },
  action: { setBadgeText: async () => undefined, setBadgeBackgroundColor: async () => undefined, setTitle: async () => undefined },
  notifications: { create: async () => undefined },
  runtime: { getURL: (p: string) => p, getManifest: () => ({ version: '0.1.0' }) },
};
