import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests spawn the CLI. On two cores a third worker fills the time the slow files
    // spend waiting (lease takeovers, server budgets, heartbeats), so the suite ends sooner.
    pool: 'forks',
    maxWorkers: 3,
  },
});
