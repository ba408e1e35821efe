import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Seconds each slow file took in a full run on the 2-core machine (4 workers, load 2-8 from other
 * sessions). vitest orders by the durations of the last run, but a fresh clone (CI) has none and
 * falls back to file size, which put the slowest files (small ones that wait on lease takeovers and
 * hung servers) at the end, so the run ended on one long file with the other workers idle. Rough
 * figures are enough: only the order matters, longest first, so the run ends on short files.
 *
 * WAITING files spend most of their time waiting (30 s read budgets and stale lease beats,
 * heartbeats, hung servers), BUSY ones keep a core busy. Sorted by length alone, the four longest
 * waiting files took all four workers for the first 35 s with a core idle; interleaved, each
 * waiting file runs beside a busy one.
 */
const WAITING: Record<string, number> = {
  'test/remote/faults.test.ts': 48,
  'test/remote/lease.test.ts': 35,
  'test/e2e/remote-lease.test.ts': 35,
  'test/e2e/remote-cli-faults.test.ts': 34,
  'test/e2e/reliability/concurrency.test.ts': 30,
  'test/e2e/reliability/prune-safety.test.ts': 22,
  'test/e2e/remote-run.test.ts': 20,
  'test/remote/library.test.ts': 15,
  'test/e2e/reliability/clocks.test.ts': 14,
  'test/e2e/reliability/concurrency-machines.test.ts': 11,
};
const BUSY: Record<string, number> = {
  'test/e2e/reliability/crash.test.ts': 50,
  'test/e2e/work-progress.test.ts': 35,
  'test/e2e/reliability/corruption.test.ts': 18,
  'test/remote/roundtrip.test.ts': 16,
  'test/e2e/hit-path.test.ts': 16,
  // In a fresh clone npm pack builds first: alone on the loaded machine it once took 57 s.
  'test/e2e/install.test.ts': 16,
  'test/e2e/remote-commands.test.ts': 15,
  'test/e2e/run-insight.test.ts': 13,
  'test/e2e/reliability/resources.test.ts': 13,
  'test/e2e/terminal.test.ts': 12,
  'test/e2e/reliability/prune-restore-race.test.ts': 12,
  'test/e2e/remote-only.test.ts': 12,
  'test/library/stream.test.ts': 11,
  'test/e2e/verify.test.ts': 11,
  'test/e2e/reliability/process-group.test.ts': 10,
  'test/e2e/prune.test.ts': 10,
  'test/e2e/run.test.ts': 9,
  'test/e2e/placement.test.ts': 8,
  'test/e2e/auto-prune.test.ts': 8,
  'test/e2e/reliability/bad-input.test.ts': 8,
};

/** Busy and waiting files alternately, each list longest first. */
function slowOrder(): string[] {
  const byLength = (r: Record<string, number>) => Object.keys(r).sort((a, b) => r[b] - r[a]);
  const [busy, waiting] = [byLength(BUSY), byLength(WAITING)];
  const order: string[] = [];
  for (let i = 0; i < Math.max(busy.length, waiting.length); i++) {
    if (i < busy.length) order.push(busy[i]);
    if (i < waiting.length) order.push(waiting[i]);
  }
  return order;
}

/** The slow files first, in slowOrder(); then the end-to-end files; the in-process unit files last. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const root = `${this.ctx.config.root}/`;
    const order = slowOrder();
    const weight = (spec: TestSpecification) => {
      const rel = spec.moduleId.startsWith(root) ? spec.moduleId.slice(root.length) : spec.moduleId;
      const at = order.indexOf(rel);
      if (at >= 0) return 1000 + order.length - at;
      return spec.project.name === 'in-process' ? 0 : 1;
    };
    // Array.prototype.sort is stable: within one weight, vitest's own order stays.
    return base.sort((a, b) => weight(b) - weight(a));
  }
}
