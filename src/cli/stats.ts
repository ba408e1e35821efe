import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

interface StatsOptions {
  task?: string;
  since?: string;
  json?: boolean;
  zero?: boolean;
}

export function registerStats(program: Command, ctx: CliContext): void {
  program
    .command('stats')
    .description('hits, misses, hit rate, time saved and bytes stored, per task and overall')
    .option('--task <task>', 'only this task')
    .option('--since <duration>', 'only events this recent (30d, 12h, 90m …)')
    .option('--json', 'print the counts as JSON')
    .option('--zero', 'forget the statistics collected so far')
    .addHelpText(
      'after',
      '\nCounted from DATA_FOLDER/events.log; `why` and `--dry-run` are not counted.\n\nExamples:\n  cachex stats\n  cachex stats --task convert --since 7d\n  cachex stats --zero\n',
    )
    .action(async (opts: StatsOptions) => {
      const { EventLog } = await import('../store/events.js');
      const log = new EventLog((await ctx.store()).root);
      if (opts.zero) {
        if (opts.task || opts.since || opts.json)
          throw new UsageError('--zero forgets all statistics and takes no other option; run it alone.');
        log.zero();
        process.stdout.write('Statistics zeroed.\n');
        return;
      }
      const { parseDuration } = await import('../config/units.js');
      const since = opts.since === undefined ? undefined : Date.now() - parseDuration(opts.since, '--since');
      const { summarise } = await import('../insight/stats.js');
      const summary = summarise(log.read({ since }), { task: opts.task });
      const digests = (await ctx.store()).layout.digests;
      if (opts.json) {
        const { digestCacheUsage } = await import('../key/digest-records.js');
        const digestCache = digestCacheUsage(digests);
        process.stdout.write(`${JSON.stringify({ since: since ?? null, ...summary, digestCache }, null, 2)}\n`);
        return;
      }
      const { statsText } = await import('../output/stats.js');
      const { digestCacheLine } = await import('./ls.js');
      process.stdout.write(await statsText(summary, { since, task: opts.task }));
      process.stdout.write(await digestCacheLine(digests));
    });
}
