/**
 * A module of the project bundled by vite as one IIFE, to inject into a page (addScriptTag) and
 * test in the page's main world of real Chromium without the extension.
 */
import { build } from 'vite';

/** The code of `entry` (a path) as an IIFE that sets `globalThis[name]` to its exports. */
export async function bundleIife(entry: string, name: string): Promise<string> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    build: { lib: { entry, formats: ['iife'], name }, write: false, minify: false, emptyOutDir: false },
  });
  for (const out of Array.isArray(result) ? result : [result]) {
    if (!('output' in out)) continue;
    const chunk = out.output.find((c) => c.type === 'chunk');
    if (chunk && chunk.type === 'chunk') return chunk.code;
  }
  throw new Error(`vite produced no chunk for ${entry}`);
}
