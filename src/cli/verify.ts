import type { Command } from 'commander';
import type { VerifyReport } from '../store/open.js';
import type { CliContext } from './context.js';

/** Exit code when corruption was found — with --fix, only for corrupt entries it could not remove. */
const CORRUPT_EXIT = 4;

export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description("re-hash every entry's result, logs and outputs; report corrupt entries and leftovers of crashed runs")
    .option('--fix', 'remove the corrupt entries, staging leftovers and stale locks')
    .option('--json', 'machine-readable report')
    .addHelpText(
      'after',
      `\nEntries a running task holds the lock of are skipped as "in use".\nExit codes: 0 clean (with --fix: everything found was removed), ${CORRUPT_EXIT} corruption found (with --fix: corrupt entries it could not remove).\n`,
    )
    .action(async (opts: { fix?: boolean; json?: boolean }) => {
      const store = await ctx.store();
      const report = await store.verify({ fix: Boolean(opts.fix) });
      if (opts.json) {
        // The store's repairs as the statistics log has them (this verify's included), for a fleet's operators.
        const { EventLog } = await import('../store/events.js');
        const { summarise } = await import('../insight/stats.js');
        const recovery = summarise(new EventLog(store.root).read()).recovery;
        process.stdout.write(`${JSON.stringify({ ...jsonReport(report), recovery }, null, 2)}\n`);
      } else process.stdout.write(await textReport(report));
      const remaining = report.fixed ? report.corrupt.filter((c) => !c.removed) : report.corrupt;
      if (remaining.length) process.exitCode = CORRUPT_EXIT;
    });
}

function jsonReport(report: VerifyReport) {
  return {
    checked: report.checked,
    corrupt: report.corrupt.map((c) => ({
      key: c.ref.key,
      task: c.ref.task,
      module: c.ref.module,
      file: c.file,
      reason: c.reason,
      bytes: c.bytes,
      removed: c.removed,
    })),
    inUse: report.inUse.map((ref) => ({ key: ref.key, task: ref.task, module: ref.module })),
    staging: report.leftovers
      .filter((l) => l.kind !== 'lock')
      .map((l) => ({ kind: l.kind, path: l.path, bytes: l.bytes, reason: l.reason })),
    staleLocks: report.leftovers.filter((l) => l.kind === 'lock').map((l) => ({ path: l.path, reason: l.reason })),
    fixed: report.fixed,
  };
}

async function textReport(report: VerifyReport): Promise<string> {
  const { formatBytes, shortKey } = await import('../output/format.js');
  const { paint } = await import('../output/terminal.js');
  const out = process.stdout;
  const lines: string[] = [];
  for (const c of report.corrupt) {
    const fate = report.fixed ? (c.removed ? ' — removed' : ' — not removed: a run took its key meanwhile') : '';
    lines.push(`${paint('red', 'corrupt', out)}  ${c.ref.task} ${shortKey(c.ref.key)}  ${c.file}: ${c.reason}${fate}`);
  }
  for (const ref of report.inUse)
    lines.push(
      `${paint('yellow', 'in use', out)}   ${ref.task} ${shortKey(ref.key)}  a running task holds its lock; skipped`,
    );
  for (const l of report.leftovers) {
    const what = l.kind === 'lock' ? 'stale lock' : l.kind === 'staging' ? 'staging' : `${l.kind} leftover`;
    lines.push(
      `${paint('yellow', what, out)}  ${l.path}  ${l.reason}${l.bytes ? `, ${formatBytes(l.bytes)}` : ''}${report.fixed ? ' — cleaned up' : ''}`,
    );
  }
  const entries = `${report.checked} ${report.checked === 1 ? 'entry' : 'entries'}`;
  const parts = [`${report.corrupt.length} corrupt`];
  if (report.inUse.length) parts.push(`${report.inUse.length} in use`);
  parts.push(`${report.leftovers.length} ${report.leftovers.length === 1 ? 'leftover' : 'leftovers'} of crashed runs`);
  lines.push(`checked ${entries}: ${parts.join(', ')}`);
  if (report.fixed) {
    const removed = report.corrupt.filter((c) => c.removed);
    const freed = removed.reduce((n, c) => n + c.bytes, 0) + report.leftovers.reduce((n, l) => n + l.bytes, 0);
    if (removed.length || report.leftovers.length)
      lines.push(
        `removed ${removed.length} corrupt ${removed.length === 1 ? 'entry' : 'entries'}, cleaned up ${report.leftovers.length} ${report.leftovers.length === 1 ? 'leftover' : 'leftovers'}, freed ${formatBytes(freed)}`,
      );
  } else if (report.corrupt.length || report.leftovers.length) {
    lines.push('run `cachex verify --fix` to remove them');
  }
  return `${lines.join('\n')}\n`;
}
