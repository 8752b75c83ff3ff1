import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { crx, type ManifestV3Export } from '@crxjs/vite-plugin';
import baseManifest from './manifest.json' with { type: 'json' };

// End-to-end builds only: headless Chromium cannot click a permission prompt, so the e2e build
// (npm run build:e2e → dist-e2e/) lists its test hosts as already granted, and <all_urls> because
// tabs.captureVisibleTab (Preserve page) accepts only <all_urls> or the activeTab grant a toolbar
// click gives. Never set for a release.
const grantHosts = (process.env.TK_E2E_GRANT_HOSTS ?? '').split(',').filter(Boolean);
const manifest = grantHosts.length
  ? { ...baseManifest, host_permissions: [...baseManifest.host_permissions, ...grantHosts.map((h) => (h === '<all_urls>' ? h : `https://${h}/*`))] }
  : baseManifest;

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
    outDir: grantHosts.length ? 'dist-e2e' : 'dist',
    emptyOutDir: true,
    // Source maps would ship our sources to anyone who opens the extension; not needed.
    sourcemap: false,
    target: 'chrome120',
    minify: false,
    // Pages not named in the manifest must be listed for the build (the offscreen document is
    // opened by chrome.offscreen.createDocument, src/background/download.ts).
    rollupOptions: { input: { dashboard: 'src/ui/dashboard/index.html', offscreen: 'src/offscreen/offscreen.html' } },
  },
});
