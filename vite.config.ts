import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { crx, type ManifestV3Export } from '@crxjs/vite-plugin';
import manifest from './manifest.json' with { type: 'json' };

export default defineConfig({
  plugins: [
    preact(),
    crx({
      manifest: manifest as ManifestV3Export,
      // Build the content script as one self-contained IIFE. The default loader would import
      // chunks through web_accessible_resources, which lets a messenger page fetch
      // chrome-extension://<id>/... and detect (or fingerprint) the extension.
      contentScripts: { standaloneFiles: ['src/content/main.ts'] },
    }),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Source maps would ship our sources to anyone who opens the extension; not needed.
    sourcemap: false,
    target: 'chrome120',
    minify: false,
  },
});
