import { defineConfig } from 'vitest/config';
import preact from '@preact/preset-vite';

// Unit and adapter tests: fast, no browser. End-to-end tests live in vitest.e2e.config.ts.
export default defineConfig({
  plugins: [preact()],
  test: {
    include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx', 'test/adapters/**/*.test.ts'],
    setupFiles: ['test/setup-timezone.ts'],
    // Every temporary file of the run under one folder, removed at its end.
    globalSetup: ['test/helpers/temp-root.ts'],
  },
});
