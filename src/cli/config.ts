import type { Command } from 'commander';
import { describeRootRule } from '../config/project-root.js';
import type { CliContext } from './context.js';

export function registerConfig(program: Command, ctx: CliContext): void {
  program
    .command('config')
    .description('print every resolved setting and where it came from')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const settings = await ctx.settings();
      const rows: Array<[string, string | null, string]> = [
        ['config file', settings.configFile.value, settings.configFile.source],
        ['project root', settings.projectRoot, describeRootRule(settings.projectRootRule)],
      ];
      const data = await settings.dataFolder();
      rows.push(['data folder', data.value, data.source]);
      const params = settings.paramsFile();
      rows.push(['params file', params.value, params.source]);
      const converter = settings.potreeConverter();
      rows.push(['converter (POTREE_CONVERTER)', converter.value, converter.source]);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify(Object.fromEntries(rows.map(([k, v, s]) => [k, { value: v, source: s }])), null, 2)}\n`,
        );
        return;
      }
      const width = Math.max(...rows.map(([k]) => k.length));
      for (const [k, v, s] of rows) process.stdout.write(`${k.padEnd(width)}  ${v ?? '(none)'}  [${s}]\n`);
    });
}
