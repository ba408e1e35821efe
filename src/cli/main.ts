import { CommanderError } from './commander.js';
import { UsageError } from '../errors.js';
import type { CachexConfig } from '../config/types.js';
import { CliContext } from './context.js';
import { extractGlobals } from './globals.js';
import { reportError } from './report.js';
import { usageErrorFrom } from './usage-errors.js';
import { shareColourWithTasks } from '../output/colour.js';
import { watchTerminal } from '../output/terminal.js';
import { createProgram } from './program.js';
import { handleClosedPipes, keepRunningOnClosedPipe, RUN_COMMANDS } from './closed-pipe.js';
import { useFdStreams } from './fd-streams.js';
import { versionFlag } from './version-flag.js';
import { saveManifest } from '../config/manifest.js';
import { useNodeCrypto } from '../key/digest.js';

/** The full CLI: every command, commander's parsing and help, the config loaded from its file. */
export async function main(argv: string[]): Promise<number> {
  // Plain write(2)s for stdout and stderr that are pipes or files, as on a hit: Node's own streams
  // load `net` and `stream` (some 4 ms of every command's start) and write such descriptors
  // synchronously too (see fd-streams.ts).
  useFdStreams();
  handleClosedPipes();
  let ctx: CliContext | null = null;
  let commandName: string | undefined;
  let refused = false;
  // Colour is decided once, before anything writes, and passed on to the tasks through the environment.
  shareColourWithTasks();
  watchTerminal();
  try {
    // Shell completion reads the half-typed command line itself (a `--config` without its value, say).
    if (argv[0] === '__complete') {
      process.stdout.write(await (await import('./completion.js')).completeCommandLine(argv.slice(1)));
      return 0;
    }
    const { globals, rest } = extractGlobals(versionFlag(argv));
    ctx = new CliContext(globals);
    // A TypeScript task's worker reads it to print the full stack of what it throws.
    if (globals.debug) process.env.CACHEX_DEBUG = '1';
    commandName = rest.find((a) => !a.startsWith('-'));
    if (commandName) useNodeCrypto();
    if (commandName && RUN_COMMANDS.has(commandName)) keepRunningOnClosedPipe();
    let config: CachexConfig | null = null;
    if (commandName === 'run') config = await (await ctx.settings()).config();

    const program = await createProgram(ctx, config, rest, commandName !== 'run');
    try {
      await program.parseAsync(rest, { from: 'user' });
    } catch (err) {
      if (!(err instanceof CommanderError)) throw err;
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      throw usageErrorFrom(err, program, rest, config);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    refused = err instanceof UsageError;
    return reportError(err, ctx?.globals.debug ?? argv.includes('--debug'));
  } finally {
    // Only `run` has a fast hit path to save for; other commands leave the data folder as it was,
    // and so does bad input (it writes nothing, not even the config it loaded to refuse it).
    if (commandName === 'run' && !refused) await saveLoadedConfig(ctx);
  }
}

/** A config loaded from its file is saved for the hits that follow (config/manifest.ts); best effort. */
async function saveLoadedConfig(ctx: CliContext | null): Promise<void> {
  try {
    const settings = await ctx?.resolvedSettings();
    const loaded = settings?.loadToSave;
    if (settings && loaded) saveManifest((await settings.dataFolder()).value, loaded);
  } catch {
    // No data folder to save into: the next run loads the config again.
  }
}
