/**
 * A stand-in for webextension-polyfill's `browser` for tests of the extension's pages: each
 * request is answered from `scripted.script` by its type, the answers taken in turn and the last
 * one repeated (none scripted: null); `undefined` is what the polyfill gives when the worker
 * stopped before it answered. `scripted.asked` lists the types asked, in order.
 * Use as `vi.mock('webextension-polyfill', async () => ({ default: (await import('../helpers/scripted-browser')).scriptedBrowser }))`.
 */
export const scripted = {
  script: {} as Record<string, unknown[]>,
  asked: [] as string[],
};

export const scriptedBrowser = {
  runtime: {
    sendMessage: async (m: { type: string }) => {
      scripted.asked.push(m.type);
      const answers = scripted.script[m.type] ?? [null];
      return answers.length > 1 ? answers.shift() : answers[0];
    },
    getURL: (p: string) => `chrome-extension://x/${p}`,
  },
  tabs: { query: async () => [{ id: 7 }], getCurrent: async () => undefined },
};
