import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end and integration suites build labs with real daemons on a 2-core
    // machine: running their files one at a time keeps OSPF timing measurements honest.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
