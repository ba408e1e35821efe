import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each slow file took in a full run on the 2-core machine (3 workers, load about 2). vitest
 * orders by the durations of the last run, but a fresh clone (CI) has none and falls back to file
 * size, which put the slowest files (small ones that wait on lease takeovers and hung servers) at
 * the end, so the run ended on one long file with the other workers idle. Rough figures are
 * enough: only the order matters. Most of these wait (budgets, stale beats, strace holds) beside
 * the CPU-heavy files started after them.
 */
const SLOW: Record<string, number> = {
  'test/e2e/reliability/crash.test.ts': 40,
  'test/remote/faults.test.ts': 37,
  'test/e2e/remote-cli-faults.test.ts': 35,
  'test/e2e/reliability/prune-safety.test.ts': 20,
  'test/e2e/remote-lease.test.ts': 33,
  'test/remote/lease.test.ts': 33,
  'test/e2e/reliability/concurrency.test.ts': 24,
  // An "isolated" file: without a place here it started last of the slow ones and ended the run.
  'test/remote/library.test.ts': 12,
  'test/e2e/prune.test.ts': 17,
  // Alone on the loaded machine it took 57 s, most of it npm pack's build and npm install.
  'test/e2e/install.test.ts': 16,
  'test/e2e/work-progress.test.ts': 16,
  'test/e2e/reliability/clocks.test.ts': 14,
  'test/e2e/remote-run.test.ts': 11,
  'test/e2e/reliability/prune-restore-race.test.ts': 11,
  'test/e2e/reliability/concurrency-machines.test.ts': 11,
  'test/e2e/hit-path.test.ts': 11,
  'test/e2e/run-insight.test.ts': 10,
  'test/e2e/reliability/corruption.test.ts': 10,
  // The longest in-process files: before the short end-to-end ones rather than at the very end.
  'test/library/stream.test.ts': 6,
  'test/library/lifetime.test.ts': 6,
};

/** The slow files first, longest first; then the end-to-end files; the in-process unit files last. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = `${this.ctx.config.root}/`;
    const weight = (spec: TestSpecification) => {
      const rel = spec.moduleId.startsWith(root) ? spec.moduleId.slice(root.length) : spec.moduleId;
      if (rel in SLOW) return 1000 + SLOW[rel];
      return spec.project.name === 'in-process' ? 0 : 1;
    };
    // Array.prototype.sort is stable: within one weight, vitest's own order stays.
    return base.sort((a, b) => weight(b) - weight(a));
  }
}
