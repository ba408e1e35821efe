import { prepareRun, type PreparedRun } from '../core/prepare.js';
import type { RunOutcome, RunRequest } from '../core/run-task.js';
import { runIfFreshHit } from '../core/hit.js';
import { shortKey } from '../output/format.js';
import { Progress } from '../output/progress.js';
import { showWorkProgress } from '../output/work-progress.js';
import { reportDryRun, reportRun, runEvents } from '../output/run-report.js';
import { checkPublishTarget } from '../store/place.js';
import type { Settings } from '../config/settings.js';
import type { CliContext } from './context.js';
import { reportError } from './report.js';
import { refreshAfterReply } from './refresh.js';
import { checkRunFlags, placementOf, remoteChoiceOf, type RunFlags } from './run-flags.js';
import { type LifetimeFlags, lifetimeOfFlags } from './lifetime-flags.js';
import { taskLifetime } from '../config/lifetime.js';
import { storeCaps } from '../config/caps.js';
import { stillOverNote } from './auto-prune-note.js';

export type RunActionFlags = RunFlags & LifetimeFlags;

/** Why-text for --explain and --dry-run, loaded only when asked for (it reads the task's other entries). */
async function explain(prepared: PreparedRun, cwd: string, force: boolean): Promise<string> {
  return (await import('./explain.js')).explainText(prepared, cwd, force);
}

interface Planned {
  request: RunRequest;
  progress: Progress;
  flags: RunActionFlags;
  isFunction: boolean;
}

/** Flags checked, key computed, request built; a number when the run is already answered (--dry-run). */
async function plan(
  ctx: CliContext,
  taskName: string,
  given: Record<string, unknown>,
  flags: RunActionFlags,
): Promise<Planned | number> {
  checkRunFlags(flags);
  const callLifetime = lifetimeOfFlags(flags);
  const settings: Settings = await ctx.settings();
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
    if (!flags.json) process.stdout.write(`why: ${await explain(prepared, settings.cwd, Boolean(flags.force))}`);
    return 0;
  }
  if (flags.publish) checkPublishTarget(store.layout.static, flags.publish);
  if (flags.explain) process.stderr.write(await explain(prepared, settings.cwd, Boolean(flags.force)));
  const progress = new Progress(!flags.quiet && !flags.json);
  const config = await settings.config();
  const request: RunRequest = {
    ...prepared,
    force: Boolean(flags.force),
    door: { kind: 'cli', cwd: settings.cwd, configFile: settings.configFile.value },
    placement: placementOf(flags, settings.cwd),
    live: {
      stdout: progress.wrap(flags.json ? process.stderr : process.stdout),
      stderr: progress.wrap(process.stderr),
    },
    events: runEvents(progress, `${taskName} ${shortKey(prepared.key)}`),
    caps: storeCaps(config, store, process.env, (left, cap) => stillOverNote(left, cap, flags)),
    lifetime: taskLifetime(`task "${taskName}"`, config.tasks[taskName], callLifetime),
  };
  return { request, progress, flags, isFunction: task.kind === 'function' };
}

async function reply(planned: Planned, outcome: RunOutcome): Promise<number> {
  const { progress, flags } = planned;
  progress.stop();
  const failure = reportRun(outcome, flags, planned.isFunction);
  await refreshAfterReply(outcome, Boolean(flags.quiet || flags.json));
  return failure ? reportError(failure, false) : outcome.exitCode;
}

/** `cachex run <task>` once its flags are parsed: the exit code. */
export async function runAction(
  ctx: CliContext,
  taskName: string,
  given: Record<string, unknown>,
  flags: RunActionFlags,
): Promise<number> {
  const planned = await plan(ctx, taskName, given, flags);
  if (typeof planned === 'number') return planned;
  const { runTask } = await import('../core/run-task.js');
  return reply(planned, await runTask(planned.request));
}

/**
 * The same run when it is a fresh hit: a function that replies (as runAction
 * would) and gives the exit code. null — nothing said, nothing recorded —
 * for anything else, including every error: the full CLI then does the run
 * and says what runAction says.
 */
export async function runFreshHit(
  ctx: CliContext,
  taskName: string,
  given: Record<string, unknown>,
  flags: RunActionFlags,
): Promise<(() => Promise<number>) | null> {
  if (flags.dryRun || flags.explain || flags.force) return null;
  let planned: Planned | number;
  let outcome: RunOutcome | null;
  try {
    planned = await plan(ctx, taskName, given, flags);
    if (typeof planned === 'number') return null;
    outcome = await runIfFreshHit(planned.request);
  } catch {
    return null;
  }
  if (!outcome) return null;
  const done = planned;
  return () => reply(done, outcome);
}
