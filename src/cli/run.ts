import path from 'node:path';
import type { Command } from 'commander';
import type { CachexConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import { prepareRun, type PreparedRun } from '../core/prepare.js';
import { runTask, type RunEvents, type RunOutcome, type RunRequest } from '../core/run-task.js';
import type { Settings } from '../config/settings.js';
import { ENTRY_FILES } from '../store/layout.js';
import {
  LINK_MODES,
  checkPublishTarget,
  listOutputs,
  materialise,
  publish,
  type LinkMode,
} from '../store/materialise.js';
import type { EntryMeta } from '../store/meta.js';
import { expandCommand } from '../tasks/command.js';
import { runCommand } from '../runner/command.js';
import { runFunctionInWorker } from '../runner/function.js';
import { formatBytes, shortKey } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { freshLine } from '../output/terminal.js';
import { decodeValue, formatValue, toJsonValue } from '../output/result.js';
import { statusLine } from '../output/status.js';
import { canonicalJson } from '../key/encode.js';
import type { CliContext } from './context.js';
import { addParamFlags, refuseFlagLikeValues } from './task-flags.js';
import { reportError } from './report.js';
import { suggest } from './suggest.js';

export interface RunFlags {
  force?: boolean;
  dryRun?: boolean;
  out?: string;
  link?: string;
  publish?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Options every `run` (and `exec`) takes, besides the task's own params. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('--force', 'run even on a hit, and replace the stored entry')
    .option('--dry-run', 'print the key, each key input and hit or miss; run nothing')
    .option('--out <dir>', 'materialise the outputs into this folder')
    .option('--link <mode>', `how --out places files: ${LINK_MODES.join(', ')}`, 'auto')
    .option('--publish <name>', 'publish the outputs as DATA_FOLDER/static/<name>')
    .option('--json', 'machine-readable summary on stdout; task output goes to stderr')
    .option('--quiet', "no status line or progress, only the task's own output");
}

export function checkRunFlags(flags: RunFlags): void {
  if (flags.link && !LINK_MODES.includes(flags.link as LinkMode))
    throw new UsageError(`--link must be one of ${LINK_MODES.join(', ')}, got ${JSON.stringify(flags.link)}.`);
  if (flags.out !== undefined && (flags.out === '' || flags.out.includes('\0')))
    throw new UsageError('--out needs a folder path.');
  if (flags.publish !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(flags.publish)) {
    throw new UsageError(
      `--publish ${JSON.stringify(flags.publish)} is not a valid name; use letters, digits, ".", "_" and "-" (no slashes or "..").`,
    );
  }
}

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
  flags: RunFlags,
): Promise<number> {
  checkRunFlags(flags);
  const settings = await ctx.settings();
  const prepared = await prepareRun(settings, taskName, given);
  if (flags.dryRun) return dryRun(prepared, flags);
  if (flags.publish) checkPublishTarget(prepared.layout.static, flags.publish);
  const progress = new Progress(!flags.quiet && !flags.json);
  const liveOut = flags.json ? process.stderr : process.stdout;
  const label = `${taskName} ${shortKey(prepared.key)}`;
  const { task } = prepared;
  const outcome = await runTask({
    ...prepared,
    force: Boolean(flags.force),
    live: { stdout: progress.wrap(liveOut), stderr: progress.wrap(process.stderr) },
    events: runEvents(progress, label),
    execute: executeTask(prepared, settings),
    onOutputs: (outDir, meta) => placeOutputs(outDir, meta, flags, settings.cwd, prepared),
  });
  progress.stop();
  return report(outcome, flags, task.kind === 'function');
}

/** The waiting / corrupt / running lines every run shows (also rebuild and exec). */
export function runEvents(progress: Progress, label: string): RunEvents {
  return {
    onWait: () => void progress.start(`waiting for another run of ${label}…`),
    onCorrupt: (file, reason) =>
      progress.print(`cachex: the stored entry ${label} is corrupt (${file}: ${reason}); recomputing.`),
    onStart: () => void progress.start(`running ${label}…`),
  };
}

/** How a config task executes on a miss: its command, or its function in a worker. */
export function executeTask(prepared: PreparedRun, settings: Settings): RunRequest['execute'] {
  const { task } = prepared;
  return (io, taskCtx) => {
    if (task.kind === 'command') {
      return runCommand(expandCommand(task.name, task.command!, prepared.params, io.outDir), io, settings.cwd);
    }
    return runFunctionInWorker(settings.configFile.value!, prepared.params, taskCtx, io);
  };
}

export async function placeOutputs(
  outDir: string,
  meta: EntryMeta | null,
  flags: RunFlags,
  cwd: string,
  prepared: PreparedRun,
): Promise<void> {
  const outputs = meta?.outputs ?? listOutputs(outDir);
  if (flags.out) materialise(outDir, outputs, path.resolve(cwd, flags.out), (flags.link ?? 'auto') as LinkMode);
  // Only a stored entry (or a hit) is published: a failed or unstored run must not replace a good publish.
  if (flags.publish && meta) publish(prepared.layout.static, flags.publish, outDir, outputs);
  else if (flags.publish) process.stderr.write(`cachex: not published as ${flags.publish}: the run was not stored.\n`);
}

export function report(outcome: RunOutcome, flags: RunFlags, showResult: boolean): number {
  const value = showResult ? decodeValue(outcome.result) : undefined;
  if (outcome.stdout) (flags.json ? process.stderr : process.stdout).write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  const outDir = outcome.entryDir ? path.join(outcome.entryDir, ENTRY_FILES.out) : null;
  const hasOutputs = Boolean(outcome.meta?.outputs.length);
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({
        status: outcome.status,
        task: outcome.ref.task,
        module: outcome.ref.module,
        key: outcome.ref.key,
        exitCode: outcome.exitCode,
        stored: Boolean(outcome.entryDir) && !outcome.notStored,
        notStored: outcome.notStored,
        durationMs: outcome.durationMs,
        outDir: hasOutputs ? (flags.out ? path.resolve(flags.out) : outDir) : null,
        result: showResult ? toJsonValue(value) : undefined,
        error: outcome.storeError?.message,
      })}\n`,
    );
  } else if (showResult && value !== undefined) {
    process.stdout.write(formatValue(value));
  }
  if (!flags.quiet) {
    process.stderr.write(`${freshLine()}${statusLine(outcome)}\n`);
    if (hasOutputs && outDir && !flags.json)
      process.stderr.write(`outputs: ${flags.out ? path.resolve(flags.out) : outDir}\n`);
  }
  if (outcome.storeError) {
    reportError(outcome.storeError, false);
    return outcome.storeError.exitCode;
  }
  return outcome.exitCode;
}

export async function dryRun(prepared: PreparedRun, flags: RunFlags): Promise<number> {
  const { loadEntry } = await import('../store/load.js');
  const ref = { module: prepared.task.module, task: prepared.task.name, key: prepared.key };
  const found = await loadEntry(prepared.layout, ref, prepared.inputs);
  const status = found.status === 'hit' ? 'hit' : found.status === 'corrupt' ? 'corrupt (would recompute)' : 'miss';
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ status: found.status, task: ref.task, module: ref.module, key: ref.key, keyInputs: prepared.inputs, params: prepared.params })}\n`,
    );
    return 0;
  }
  const lines = [
    `task:   ${ref.task} (module ${ref.module})`,
    `key:    ${ref.key}`,
    `status: ${status}${found.status === 'hit' ? ` (stored ${formatBytes(found.entry.meta.outputs.reduce((n, o) => n + o.size, 0))} of outputs)` : ''}`,
    'key inputs:',
  ];
  const { params, ...rest } = prepared.inputs;
  for (const [name, value] of Object.entries(rest))
    if (value !== undefined) lines.push(`  ${name}: ${canonicalJson(value)}`);
  for (const [name, value] of Object.entries(params)) lines.push(`  param ${name}: ${canonicalJson(value)}`);
  const ignored = prepared.task.ignore.filter((n) => n in prepared.params);
  if (ignored.length) lines.push(`  ignored: ${ignored.join(', ')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
