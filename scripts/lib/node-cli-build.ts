/**
 * The Vite configuration shared by the project's Node command-line programs (the verifier, the
 * intake server): one self-contained ES module for Node 20 in dist-cli/, with a shebang, marked
 * executable. Each program gets its own build (and so its own file, with the verifier code
 * bundled into both) rather than a shared chunk. Independent of the extension's root config.
 */
import { chmodSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = resolve(root, 'dist-cli');

export function nodeCliConfig(opts: {
  /** Entry module, relative to the project root. */
  entry: string;
  /** Output file name in dist-cli/ (the package.json bin entry points at it). */
  fileName: string;
  /** npm packages left as imports rather than bundled. */
  external?: string[];
}): UserConfig {
  const makeExecutable: Plugin = {
    name: `threadkeeper-make-executable:${opts.fileName}`,
    apply: 'build',
    writeBundle() {
      chmodSync(resolve(outDir, opts.fileName), 0o755);
    },
  };
  const external = opts.external ?? [];
  return defineConfig({
    root,
    // The extension's public/ folder has nothing to do with the command-line programs.
    publicDir: false,
    envDir: false,
    logLevel: 'warn',
    plugins: [makeExecutable],
    ssr: { target: 'node', ...(external.length ? { external } : {}) },
    build: {
      ssr: resolve(root, opts.entry),
      outDir,
      // dist-cli/ holds every program; a build overwrites only its own file.
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      rolldownOptions: {
        external: [...external, /^node:/, ...builtinModules],
        output: { format: 'es', entryFileNames: opts.fileName, banner: '#!/usr/bin/env node', codeSplitting: false },
      },
    },
  });
}
