import type { CachexConfig } from '../config/types.js';
import { CACHEX_VERSION } from '../version.js';
import { Command } from './commander.js';
import type { CliContext } from './context.js';
import { registerRun } from './run.js';

/**
 * The commander program: global options, `run` (with one subcommand per task
 * when the config is loaded) and, unless `run` is the command, every other
 * command. Shared by main.ts and shell completion, which reads the commands
 * and options back from it.
 */
export async function createProgram(
  ctx: CliContext,
  config: CachexConfig | null,
  rest: readonly string[],
  withCommands: boolean,
): Promise<Command> {
  const program = new Command('cachex')
    .version(CACHEX_VERSION, '-v, --version', 'print the version (-V too)')
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
  if (withCommands) (await import('./commands.js')).registerCommands(program, ctx);
  return program;
}
