import { defineConfig } from 'vitest/config';

/**
 * The tests that need a Redis Cluster (`npm run test:cluster`, or
 * `npx vitest run --config vitest.cluster.config.ts [file]`): the default config leaves them out.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    globalSetup: ['test/cluster/globalSetup.ts'],
    // Several jobcast nodes per test on a shared 2-core machine: wait generously, and run one file at a time.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
