import { defineConfig } from 'vitest/config';
import { runSlowdown } from './test/support/calibration.js';

// Inside the IPVS VM everything runs several times slower (CPU emulation, measured at the
// suite's start by test-vm.sh): the default test and hook budgets grow by that factor.
const slowdown = runSlowdown();

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end and integration suites build labs with real daemons on a 2-core
    // machine: running their files one at a time keeps OSPF timing measurements honest.
    fileParallelism: false,
    testTimeout: Math.round(30_000 * slowdown),
    hookTimeout: Math.round(120_000 * slowdown),
  },
});
