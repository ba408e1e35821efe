import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each slow file took in a full run on the 2-core machine under load. vitest orders by
 * the durations of the last run, but a fresh clone (CI) has none and falls back to file size,
 * which put the slowest files (small ones that wait on lease takeovers and hung servers) at the
 * end, so the run ended on one long file with the other workers idle. Rough figures are enough:
 * only the order matters.
 */
const SLOW: Record<string, number> = {
  'test/e2e/remote-cli-faults.test.ts': 95,
  'test/e2e/reliability/clocks.test.ts': 91,
  'test/e2e/reliability/crash.test.ts': 82,
  'test/e2e/reliability/concurrency.test.ts': 73,
  'test/e2e/remote-lease.test.ts': 62,
  'test/e2e/prune.test.ts': 56,
  'test/remote/faults.test.ts': 49,
  'test/e2e/reliability/prune-safety.test.ts': 47,
  'test/e2e/remote-commands.test.ts': 46,
  'test/remote/lease.test.ts': 45,
  'test/e2e/work-progress.test.ts': 44,
  'test/e2e/reliability/corruption.test.ts': 44,
  'test/e2e/hit-path.test.ts': 43,
  // Not in that list; alone on the loaded machine it took 57 s, most of it npm pack's build and npm install.
  'test/e2e/install.test.ts': 40,
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
