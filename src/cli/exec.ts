import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';
import { addRunFlags, checkRunFlags, type RunFlags } from './run.js';
import { refuseFlagLikeValues } from './task-flags.js';

interface ExecFlags extends RunFlags {
  input?: string[];
  env?: string[];
  output?: string[];
  name?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The value-taking options, for refusing `--input --force` (a flag where a value belongs). */
const VALUE_OPTIONS = Object.fromEntries(
  ['input', 'env', 'output', 'name', 'out', 'link', 'publish'].map((name) => [name, { type: 'string' as const }]),
);

const USAGE = 'cachex exec [--input PATH]… [--env VAR]… [--output PATH]… [--name NAME] -- CMD ARGS…';

export function registerExec(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('exec')
    .description('run an unregistered command once, then replay its output, exit code and --output files')
    .usage('[options] -- CMD ARGS…')
    .argument('[command...]', 'the command and its arguments, after --')
    .option('--input <path>', 'a file or folder the command reads; its content enters the key (repeatable)', collect)
    .option('--env <var>', 'an environment variable whose value enters the key (repeatable)', collect)
    .option(
      '--output <path>',
      'a file or folder (relative to here) the command writes; stored and restored on a hit (repeatable)',
      collect,
    )
    .option('--name <name>', "the task name the entry is filed under (default: the command's basename)");
  addRunFlags(cmd);
  cmd.addHelpText(
    'after',
    `\nExamples:\n  cachex exec --input src --output dist -- npm run build\n  cachex exec --input data.pcd --env QUALITY -- ./convert.sh data.pcd\n`,
  );
  cmd.action(async (argv: string[], flags: ExecFlags) => {
    const raw = process.argv.slice(2);
    refuseFlagLikeValues(raw, VALUE_OPTIONS);
    if (!raw.includes('--') || !argv.length) throw new UsageError(`Put the command after -- (${USAGE}).`);
    checkRunFlags(flags);
    process.exitCode = await execAction(ctx, argv, flags);
  });
}

async function execAction(ctx: CliContext, argv: string[], flags: ExecFlags): Promise<number> {
  const { DigestCache } = await import('../key/digest.js');
  const { prepareExec, collectOutputs, restoreOutputs } = await import('../tasks/exec-task.js');
  const { runTask } = await import('../core/run-task.js');
  const { runCommand } = await import('../runner/command.js');
  const { Progress } = await import('../output/progress.js');
  const { shortKey } = await import('../output/format.js');
  const { dryRun, placeOutputs, report, runEvents } = await import('./run.js');
  const settings = await ctx.settings();
  const layout = await ctx.layout();
  const cwd = settings.cwd;
  const exec = prepareExec(
    {
      argv,
      inputs: flags.input ?? [],
      env: flags.env ?? [],
      outputs: flags.output ?? [],
      name: flags.name,
      cwd,
      dataFolder: layout.root,
    },
    new DigestCache(layout.digests),
  );
  const prepared = { ...exec, layout };
  if (flags.dryRun) return dryRun(prepared, flags);
  if (flags.publish) (await import('../store/materialise.js')).checkPublishTarget(layout.static, flags.publish);

  const progress = new Progress(!flags.quiet && !flags.json);
  let executed = false;
  const outcome = await runTask({
    ...prepared,
    force: Boolean(flags.force),
    live: {
      stdout: progress.wrap(flags.json ? process.stderr : process.stdout),
      stderr: progress.wrap(process.stderr),
    },
    events: runEvents(progress, `${exec.task.name} ${shortKey(exec.key)}`),
    execute: async (io) => {
      executed = true;
      const run = await runCommand(argv, io, cwd);
      if (run.exitCode === 0 && !run.signal) collectOutputs(cwd, exec.outputs, io.outDir);
      return run;
    },
    onOutputs: async (outDir, meta) => {
      // On a miss the command wrote its outputs in place already; a hit puts them back.
      if (!executed && meta) restoreOutputs(outDir, meta.outputs, cwd);
      await placeOutputs(outDir, meta, flags, cwd, prepared);
    },
  });
  progress.stop();
  return report(outcome, flags, false);
}
