import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

export function registerReportHtml(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('write one self-contained HTML page: hit rate, time saved, store size, slowest misses, miss reasons')
    .option('--out <file>', 'where to write it', 'report.html')
    .option('--since <duration>', 'only events this recent (30d, 12h …); the entries shown are all stored ones')
    .addHelpText('after', '\nExamples:\n  cachex report\n  cachex report --out /tmp/cache.html --since 7d\n')
    .action(async (opts: { out: string; since?: string }) => {
      const { parseDuration } = await import('../config/units.js');
      const now = Date.now();
      const since = opts.since === undefined ? undefined : now - parseDuration(opts.since, '--since');
      const store = await ctx.store();
      const { EventLog } = await import('../store/events.js');
      const { storedEntriesOf } = await import('../insight/entries.js');
      const { reportData } = await import('../insight/report-data.js');
      const { reportHtml } = await import('../insight/report-html.js');
      const { chartLibrarySource } = await import('../insight/chart-library.js');
      const events = new EventLog(store.root).read({ since });
      const entries = await storedEntriesOf(store);
      const html = reportHtml(reportData(events, entries, { since, now }), chartLibrarySource());
      const target = path.resolve((await ctx.settings()).cwd, opts.out);
      const temp = `${target}.${process.pid}.tmp`;
      try {
        writeFileSync(temp, html);
        renameSync(temp, target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw new UsageError(
          `Cannot write the report to ${opts.out} (${code}); give --out a file in a writable folder.`,
          {
            cause: err,
          },
        );
      }
      process.stdout.write(
        `Wrote ${opts.out}: ${events.length} events${opts.since ? ` from the last ${opts.since}` : ''}, ${entries.length} stored entries.\n`,
      );
    });
}
