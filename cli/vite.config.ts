/**
 * Builds the offline verifier: cli/verify.ts -> dist-cli/threadkeeper-verify.mjs, one ES
 * module for Node 20 with a shebang, executable.
 *
 * Self-contained on purpose: `vite build --config cli/vite.config.ts` must not depend on the
 * extension's root vite.config.ts. Our own TypeScript (cli/, src/bundle/) is bundled; node
 * builtins and npm dependencies (jszip) stay external, as an SSR build does by default.
 */
import { chmodSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(root, 'dist-cli');
const fileName = 'threadkeeper-verify.mjs';

/** Marks the built CLI executable (the bin entry in package.json points at it). */
function makeExecutable(): Plugin {
  return {
    name: 'threadkeeper-make-executable',
    apply: 'build',
    writeBundle() {
      chmodSync(resolve(outDir, fileName), 0o755);
    },
  };
}

export default defineConfig({
  root,
  // The extension's public/ folder has nothing to do with the CLI.
  publicDir: false,
  envDir: false,
  logLevel: 'warn',
  plugins: [makeExecutable()],
  ssr: {
    target: 'node',
    // Everything from node_modules stays an import (jszip); only our own modules are bundled.
    external: ['jszip'],
  },
  build: {
    ssr: resolve(root, 'cli/verify.ts'),
    outDir,
    // dist-cli/ also holds threadkeeper-intake.mjs (intake/vite.config.ts); this build
    // overwrites only its own file, so a verifier rebuild never deletes the intake server.
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    reportCompressedSize: false,
    rolldownOptions: {
      external: ['jszip', /^node:/, ...builtinModules],
      output: {
        format: 'es',
        entryFileNames: fileName,
        banner: '#!/usr/bin/env node',
        codeSplitting: false,
      },
    },
  },
});
