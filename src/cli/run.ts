import type { Command } from 'commander';
import type { CachexConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';
import { addRunFlags, type RunFlags } from './run-flags.js';
import { runAction } from './run-action.js';
import { suggest } from './suggest.js';
import { addLifetimeFlags } from './lifetime-flags.js';
import { addParamFlags, refuseFlagLikeValues } from './task-flags.js';

export function registerRun(
  program: Command,
  ctx: CliContext,
  config: CachexConfig | null,
  argv: readonly string[],
): void {
  const run = program
    .command('run')
    .description('run a task, or reuse its stored entry')
    .usage('<task> [flags]')
    .argument('[task]')
    .allowUnknownOption()
    .allowExcessArguments();
  // Reached only when no task subcommand matched: an unknown or missing task name.
  run.action((task: string | undefined) => {
    const names = Object.keys(config?.tasks ?? {});
    if (!task)
      throw new UsageError(`Name a task: cachex run <task> (one of ${names.join(', ') || 'none registered'}).`);
    const close = suggest(task, names);
    throw new UsageError(
      `Unknown task '${task}'${close ? ` (did you mean ${close}?)` : ''}; run \`cachex tasks\` to list them.`,
    );
  });
  if (!config) return;
  for (const [name, spec] of Object.entries(config.tasks)) {
    const cmd = run
      .command(name)
      .description(spec.description ?? (spec.command ? `runs ${spec.command.join(' ')}` : 'TypeScript task'))
      .allowExcessArguments(false); // `run` itself allows them (to name an unknown task); a task takes flags only
    const attributes = addParamFlags(cmd, spec.params ?? {});
    addRunFlags(cmd);
    addLifetimeFlags(cmd);
    // `--debug` is cachex's own flag unless the task has a `debug` param of its own.
    if (!spec.params || !('debug' in spec.params)) cmd.option('--debug', 'show stack traces on errors');
    cmd.addHelpText(
      'after',
      `\nExample:\n  cachex run ${name}${Object.entries(spec.params ?? {})
        .filter(([, p]) => p.required)
        .map(([p]) => ` --${p} <${spec.params![p].type}>`)
        .join('')}\n`,
    );
    cmd.action(async (opts: Record<string, unknown>) => {
      if (opts.debug === true && !(spec.params && 'debug' in spec.params)) {
        ctx.globals.debug = true;
        process.env.CACHEX_DEBUG = '1'; // the task's worker prints a full stack then
      }
      refuseFlagLikeValues(argv, spec.params ?? {});
      const given: Record<string, unknown> = {};
      for (const [attribute, param] of attributes) if (opts[attribute] !== undefined) given[param] = opts[attribute];
      process.exitCode = await runAction(ctx, name, given, opts as RunFlags);
    });
  }
}
