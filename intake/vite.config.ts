/**
 * Builds the records-intake server: intake/main.ts -> dist-cli/threadkeeper-intake.mjs, one ES
 * module for Node 20 with a shebang, executable. Same shape as cli/vite.config.ts (which builds
 * threadkeeper-verify.mjs into the same folder), kept as its own config because each build is
 * one self-contained file: the verifier code (cli/zip-reader.ts, src/bundle/bag-verify.ts) is
 * bundled into both rather than split into a shared chunk.
 *
 * emptyOutDir is false: dist-cli/ also holds the verifier, which this build must not delete.
 */
import { chmodSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = resolve(root, 'dist-cli');
const fileName = 'threadkeeper-intake.mjs';

function makeExecutable(): Plugin {
  return {
    name: 'threadkeeper-intake-make-executable',
    apply: 'build',
    writeBundle() {
      chmodSync(resolve(outDir, fileName), 0o755);
    },
  };
}

export default defineConfig({
  root,
  publicDir: false,
  envDir: false,
  logLevel: 'warn',
  plugins: [makeExecutable()],
  ssr: { target: 'node' },
  build: {
    ssr: resolve(root, 'intake/main.ts'),
    outDir,
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    reportCompressedSize: false,
    rolldownOptions: {
      external: [/^node:/, ...builtinModules],
      output: {
        format: 'es',
        entryFileNames: fileName,
        banner: '#!/usr/bin/env node',
        codeSplitting: false,
      },
    },
  },
});
