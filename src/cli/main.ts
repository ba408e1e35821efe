import { Command, CommanderError } from './commander.js';
import type { CachexConfig } from '../config/types.js';
import { CACHEX_VERSION } from '../version.js';
import { CliContext } from './context.js';
import { extractGlobals } from './globals.js';
import { reportError } from './report.js';
import { registerRun } from './run.js';
import { usageErrorFrom } from './usage-errors.js';
import { shareColourWithTasks } from '../output/colour.js';
import { watchTerminal } from '../output/terminal.js';

async function main(argv: string[]): Promise<number> {
  let ctx: CliContext | null = null;
  // Colour is decided once, before anything writes, and passed on to the tasks through the environment.
  shareColourWithTasks();
  watchTerminal();
  try {
    const { globals, rest } = extractGlobals(argv);
    ctx = new CliContext(globals);
    // A TypeScript task's worker reads it to print the full stack of what it throws.
    if (globals.debug) process.env.CACHEX_DEBUG = '1';
    const commandName = rest.find((a) => !a.startsWith('-'));
    let config: CachexConfig | null = null;
    if (commandName === 'run') config = await (await ctx.settings()).config();

    const program = new Command('cachex')
      .version(CACHEX_VERSION, '-V, --version')
      .description('Run expensive work once; reuse the stored result, logs and output files.')
      .option('--config <file>', 'config file (default: cachex.config.{ts,mts,js,mjs} found walking up)')
      .option('--data-folder <dir>', 'data folder (default: DATA_FOLDER, then <project root>/.cachex)')
      .option('--params <file>', 'params file with per-task defaults')
      .option('--debug', 'show stack traces on errors')
      .showSuggestionAfterError(true)
      // Global options are taken out of argv wherever they are (globals.ts); a `--debug` left after
      // `run <task>` belongs to the task: its param of that name, else cachex's own flag on the task.
      .enablePositionalOptions()
      .exitOverride();
    // Commander's own error printing is replaced by one sentence from reportError.
    program.configureOutput({ outputError: () => undefined });
    registerRun(program, ctx, config, rest);
    // `run` is the hot path (a hit should load as little as possible); the other commands register only when needed.
    if (commandName !== 'run') (await import('./commands.js')).registerCommands(program, ctx);
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
    return reportError(err, ctx?.globals.debug ?? argv.includes('--debug'));
  }
}

// `cachex ls | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
