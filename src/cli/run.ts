import type { Command } from 'commander';
import type { CachexConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { prepareRun } from '../core/prepare.js';
import { runTask } from '../core/run-task.js';
import { shortKey } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { showWorkProgress } from '../output/work-progress.js';
import { reportDryRun, reportRun, runEvents } from '../output/run-report.js';
import { checkPublishTarget } from '../store/place.js';
import type { CliContext } from './context.js';
import { reportError } from './report.js';
import { explainText } from './explain.js';
import { refreshAfterReply } from './refresh.js';
import { addRunFlags, checkRunFlags, placementOf, remoteChoiceOf, type RunFlags } from './run-flags.js';
import { suggest } from './suggest.js';
import { addLifetimeFlags, type LifetimeFlags, lifetimeOfFlags } from './lifetime-flags.js';
import { taskLifetime } from '../config/lifetime.js';
import { storeCaps } from '../config/caps.js';
import { stillOverNote } from './auto-prune-note.js';
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

async function runAction(
  ctx: CliContext,
  taskName: string,
  given: Record<string, unknown>,
  flags: RunFlags & LifetimeFlags,
): Promise<number> {
  checkRunFlags(flags);
  const callLifetime = lifetimeOfFlags(flags);
  const settings = await ctx.settings();
  const work = showWorkProgress(!flags.quiet && !flags.json, settings.cwd);
  const prepared = await prepareRun(settings, taskName, given, remoteChoiceOf(flags));
  const { task, store } = prepared;
  work.dataFolder(store.root);
  const ref = { module: task.module, task: task.name, key: prepared.key };
  if (flags.dryRun) {
    const found = await store.lookup(ref, prepared.inputs, { record: false });
    const ignored = task.ignore.filter((n) => n in prepared.params);
    const { realParams } = await import('../tasks/real-names.js');
    const params = realParams(prepared.task.params, prepared.params);
    reportDryRun(found, { ref, inputs: prepared.inputs, params, ignored }, Boolean(flags.json));
    if (!flags.json) process.stdout.write(`why: ${await explainText(prepared, settings.cwd, Boolean(flags.force))}`);
    return 0;
  }
  if (flags.publish) checkPublishTarget(store.layout.static, flags.publish);
  if (flags.explain) process.stderr.write(await explainText(prepared, settings.cwd, Boolean(flags.force)));
  const progress = new Progress(!flags.quiet && !flags.json);
  const outcome = await runTask({
    ...prepared,
    force: Boolean(flags.force),
    door: { kind: 'cli', cwd: settings.cwd, configFile: settings.configFile.value },
    placement: placementOf(flags, settings.cwd),
    live: {
      stdout: progress.wrap(flags.json ? process.stderr : process.stdout),
      stderr: progress.wrap(process.stderr),
    },
    events: runEvents(progress, `${taskName} ${shortKey(prepared.key)}`),
    caps: storeCaps(await settings.config(), store, process.env, (left, cap) => stillOverNote(left, cap, flags)),
    lifetime: taskLifetime(`task "${taskName}"`, (await settings.config()).tasks[taskName], callLifetime),
  });
  progress.stop();
  const failure = reportRun(outcome, flags, task.kind === 'function');
  await refreshAfterReply(outcome, Boolean(flags.quiet || flags.json));
  return failure ? reportError(failure, false) : outcome.exitCode;
}
