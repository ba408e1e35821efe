import { defineConfig } from 'vitest/config';
import { setAsideExtraCaCerts } from './test/setup/extra-ca-certs.js';
import { SlowFirstSequencer } from './test/setup/sequencer.js';

// Before any worker is forked, so none of them parses the bundle at its start either.
setAsideExtraCaCerts();

export default defineConfig({
  test: {
    setupFiles: ['test/setup/env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests spawn the CLI. On two cores the third and fourth workers fill the time the
    // slow files spend waiting (30 s lease takeovers and read budgets, heartbeats), so the suite
    // ends sooner: with 3, four such files at once held three workers while a core stood idle.
    maxWorkers: 4,
    // Files whose cases mostly wait (heartbeats, lease takeovers, server budgets) run them with
    // it.concurrent; all of a file's waiting cases at once, not vitest's default of 5 at a time.
    maxConcurrency: 10,
    // The slow files start first, so the run does not end on one long file (test/setup/sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          // Pure rules, the store contract and the library call src/ in process: a few reused
          // workers run them all, instead of a fresh process that loads and transforms src/ again
          // for each of ~50 files (half the CPU time of these folders). Forks, not threads: a test
          // may chdir. Each file cleans up the env and folders it changes.
          name: 'in-process',
          include: ['test/unit/**/*.test.ts', 'test/store/**/*.test.ts', 'test/library/**/*.test.ts'],
          pool: 'forks',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // The end-to-end files spawn the built CLI and keep no state in the test process beyond
          // their own workspaces and servers, which each file closes: reusing the worker saves a
          // Node start and a transform of the helpers per file (about 0.4 s of CPU each).
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // The remote tier's in-process tests bound the test process's own memory (evil.test.ts),
          // so they, the demo and the type tests keep one fresh process per file.
          name: 'isolated',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', 'test/store/**', 'test/library/**', 'test/e2e/**'],
          pool: 'forks',
        },
      },
    ],
  },
});
