import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

export function registerWhy(program: Command, ctx: CliContext): void {
  program
    .command('why')
    .description("say whether a run would hit, and if not, which key inputs differ from the task's stored entries")
    .argument('<task>', 'the task')
    .argument('[flags...]', "the task's flags, exactly as for `cachex run <task>`")
    .option('--force', 'explain a forced run (it runs even when an entry matches)')
    .option('--json', 'print the verdict and every stored entry, nearest first, as JSON')
    // A task's own flags are parsed per task, once the config is loaded.
    .allowUnknownOption()
    .addHelpText(
      'after',
      '\nNever runs the task and writes nothing to the store.\n\nExamples:\n  cachex why convert --file data.pcd --resolution 0.2\n  cachex why convert --file data.pcd --json\n',
    )
    .action(async (name: string, flags: string[], opts: { force?: boolean; json?: boolean }) => {
      const settings = await ctx.settings();
      const config = await settings.config();
      const spec = Object.hasOwn(config.tasks, name) ? config.tasks[name] : undefined;
      if (!spec) throw new UsageError(`Unknown task "${name}"; run \`cachex tasks\` to list them.`);
      const { parseTaskFlags } = await import('./inspect.js');
      const { prepareRun } = await import('../core/prepare.js');
      const { storedEntriesOf } = await import('../insight/entries.js');
      const { explainMiss, whyText } = await import('../insight/why.js');
      const { realParams } = await import('../tasks/real-names.js');
      const prepared = await prepareRun(settings, name, parseTaskFlags(name, spec, flags));
      const entries = await storedEntriesOf(prepared.store, prepared.task, { withoutSizes: true });
      const verdict = explainMiss(
        {
          task: name,
          key: prepared.key,
          inputs: prepared.inputs,
          params: realParams(prepared.task.params, prepared.params),
          schema: prepared.task.params,
          cwd: settings.cwd,
        },
        entries,
        { force: opts.force },
      );
      process.stdout.write(opts.json ? `${JSON.stringify(verdict, null, 2)}\n` : whyText(verdict));
    });
}
