import { defineConfig } from 'vitest/config';

// End-to-end: the built dist/ loaded into Debian's Chromium, fixture pages served over HTTPS
// under the messengers' real host names. One browser at a time on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
