import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';
import { addRunFlags, checkRunFlags, placementOf, remoteChoiceOf, type RunFlags } from './run-flags.js';
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

/** The command must come after `--` (so its own flags are never read as cachex's); `raw` is the whole argv, `argv` what followed. */
export function refuseMissingCommand(raw: readonly string[], argv: readonly string[]): void {
  if (!raw.includes('--') || !argv.length) throw new UsageError(`Put the command after -- (${USAGE}).`);
}

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
    `\nThe key holds the command line, the executable's content, each --input's content, each --env value (as a digest), the --output paths and the working folder relative to the project root (the config's folder, else the nearest one with .git or package.json).\n\nExamples:\n  cachex exec --input src --output dist -- npm run build\n  cachex exec --input data.pcd --env QUALITY -- ./convert.sh data.pcd\n`,
  );
  cmd.action(async (argv: string[], flags: ExecFlags) => {
    const raw = process.argv.slice(2);
    refuseFlagLikeValues(raw, VALUE_OPTIONS);
    refuseMissingCommand(raw, argv);
    checkRunFlags(flags);
    // The command line goes on byte for byte: arguments that are not UTF-8 keep their bytes (raw-argv.ts).
    const { recoverTail } = await import('../tasks/raw-argv.js');
    process.exitCode = await execAction(ctx, recoverTail(argv), flags);
  });
}

async function execAction(ctx: CliContext, argv: string[], flags: ExecFlags): Promise<number> {
  const { DigestCache } = await import('../key/digest.js');
  const { prepareExec } = await import('../tasks/exec-task.js');
  const { runTask } = await import('../core/run-task.js');
  const { Progress } = await import('../output/progress.js');
  const { shortKey } = await import('../output/format.js');
  const { reportDryRun, reportRun, runEvents } = await import('../output/run-report.js');
  const { reportError } = await import('./report.js');
  const { showWorkProgress } = await import('../output/work-progress.js');
  const settings = await ctx.settings();
  const store = await ctx.store(remoteChoiceOf(flags));
  const cwd = settings.cwd;
  const { findKeyRoot } = await import('../config/project-root.js');
  showWorkProgress(!flags.quiet && !flags.json, cwd).dataFolder(store.root);
  const exec = prepareExec(
    {
      argv,
      inputs: flags.input ?? [],
      env: flags.env ?? [],
      outputs: flags.output ?? [],
      name: flags.name,
      cwd,
      keyRoot: findKeyRoot(cwd, settings.configFile.value),
      dataFolder: store.root,
    },
    new DigestCache(store.layout.digests),
  );
  const ref = { module: exec.task.module, task: exec.task.name, key: exec.key };
  if (flags.dryRun) {
    const found = await store.lookup(ref, exec.inputs, { record: false });
    reportDryRun(found, { ref, inputs: exec.inputs, params: exec.params, ignored: [] }, Boolean(flags.json));
    return 0;
  }
  if (flags.publish) (await import('../store/place.js')).checkPublishTarget(store.layout.static, flags.publish);

  const { storeCaps } = await import('../config/caps.js');
  storeCaps(null, store, process.env); // a wrong CACHEX_MAX_SIZE is said before the command runs
  const progress = new Progress(!flags.quiet && !flags.json);
  const outcome = await runTask({
    ...exec,
    store,
    force: Boolean(flags.force),
    door: { kind: 'cli', cwd, configFile: null },
    // On a miss the command wrote its outputs in place already; a hit puts them back.
    placement: { ...placementOf(flags, cwd), restoreTo: cwd },
    live: {
      stdout: progress.wrap(flags.json ? process.stderr : process.stdout),
      stderr: progress.wrap(process.stderr),
    },
    events: runEvents(progress, `${exec.task.name} ${shortKey(exec.key)}`),
  });
  progress.stop();
  // The store's caps, after a store step only: a hit loads nothing for them (not even the config).
  if (outcome.storage?.kind === 'stored') {
    const { keepCaps } = await import('../core/auto-prune.js');
    const { stillOverNote } = await import('./auto-prune-note.js');
    const config = settings.hasConfig ? await settings.config() : null;
    const caps = storeCaps(config, store, process.env, (left, cap) => stillOverNote(left, cap, flags));
    await keepCaps(store.root, caps, outcome.storage.bytes);
  }
  const failure = reportRun(outcome, flags, false);
  return failure ? reportError(failure, false) : outcome.exitCode;
}
