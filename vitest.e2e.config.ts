import { defineConfig } from 'vitest/config';

// End-to-end: the built dist/ loaded into Debian's Chromium, fixture pages served over HTTPS
// under the messengers' real host names. One browser at a time on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    // Every temporary file of the run under one folder, removed at its end.
    globalSetup: ['test/helpers/temp-root.ts'],
    fileParallelism: false,
    // Generous: CI shares two cores; speed is measured by npm run bench, never asserted here.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
