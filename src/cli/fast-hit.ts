import { readManifest } from '../config/manifest.js';
import { shareColourWithTasks } from '../output/colour.js';
import { sweepHeldAppends } from '../store/held-appends.js';
import { watchTerminal } from '../output/terminal.js';
import { handleClosedPipes, keepRunningOnClosedPipe } from './closed-pipe.js';
import { CliContext } from './context.js';
import { useFdStreams } from './fd-streams.js';
import { extractGlobals } from './globals.js';
import { parseHitArgs } from './hit-args.js';
import { reportError } from './report.js';
import { runFreshHit } from './run-action.js';
import { versionFlag } from './version-flag.js';

/** Puts the environment back as it was, for the full CLI to start from the same one. */
function restoreEnv(before: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in before)) delete process.env[name];
  for (const [name, value] of Object.entries(before)) process.env[name] = value;
}

/**
 * `cachex run <task> [flags]` answered from a stored entry without commander,
 * jiti or the config's code: the config comes from the manifest an earlier
 * load saved (config/manifest.ts), the flags from a small parser
 * (hit-args.ts), the rest is the run command's own code (run-action.ts).
 * Returns the exit code, or null — having written and recorded nothing, with
 * the environment as it found it — when the full CLI must handle the command.
 */
export async function fastHit(argv: string[]): Promise<number | null> {
  if (argv[0] === '__complete') return null;
  const before = { ...process.env };
  const restoreStreams = useFdStreams();
  const hand = (): null => {
    sweepHeldAppends(true);
    restoreStreams();
    restoreEnv(before);
    return null;
  };
  let finish: (() => Promise<number>) | null = null;
  let ctx: CliContext | null = null;
  try {
    // The same steps, in the same order, as main() before it loads the config.
    shareColourWithTasks();
    const { globals, rest } = extractGlobals(versionFlag(argv));
    if (rest[0] !== 'run' || rest.length < 2 || rest[1].startsWith('-')) return hand();
    ctx = new CliContext(globals);
    if (globals.debug) process.env.CACHEX_DEBUG = '1';
    const settings = await ctx.settings();
    const configFile = settings.configFile.value;
    if (!configFile) return hand();
    const candidate = settings.dataFolderBeforeConfig();
    const config = readManifest(candidate, configFile);
    const spec = config && Object.hasOwn(config.tasks, rest[1]) ? config.tasks[rest[1]] : undefined;
    const args = spec && parseHitArgs(rest.slice(2), spec);
    if (!config || !args) return hand();
    settings.adoptConfig(config);
    // A manifest counts only in the data folder the config itself leads to.
    if ((await settings.dataFolder()).value !== candidate) return hand();
    if (args.flags.debug) {
      ctx.globals.debug = true;
      process.env.CACHEX_DEBUG = '1'; // the task's worker prints a full stack then
    }
    // This process records one hit and exits: no idle timer for the logs it appends to.
    sweepHeldAppends(false);
    finish = await runFreshHit(ctx, rest[1], args.given, args.flags);
  } catch {
    finish = null;
  }
  if (!finish) return hand();
  // Committed: from here on this process writes, as main() would have set it up to.
  watchTerminal();
  handleClosedPipes();
  keepRunningOnClosedPipe();
  try {
    return await finish();
  } catch (err) {
    return reportError(err, ctx?.globals.debug ?? false);
  }
}
