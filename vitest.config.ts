import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native suites load one addon per worker; forks keep a crashing test from
    // taking the runner down with it.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
