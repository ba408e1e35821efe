import { Command, CommanderError } from './commander.js';
import { UsageError } from '../errors.js';
import type { CachexConfig } from '../config/types.js';
import { CACHEX_VERSION } from '../version.js';
import { CliContext } from './context.js';
import { extractGlobals } from './globals.js';
import { reportError } from './report.js';
import { registerRun } from './run.js';
import { handleClosedPipes, keepRunningOnClosedPipe, RUN_COMMANDS } from './closed-pipe.js';

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one sentence with a fix. */
function usageSentence(message: string, command: string): string {
  const text = message
    .replace(/^error:\s*/i, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .trim();
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}; see \`cachex ${command} --help\`.`;
}

async function main(argv: string[]): Promise<number> {
  let ctx: CliContext | null = null;
  try {
    const { globals, rest } = extractGlobals(argv);
    ctx = new CliContext(globals);
    const commandName = rest.find((a) => !a.startsWith('-'));
    if (commandName && RUN_COMMANDS.has(commandName)) keepRunningOnClosedPipe();
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
      const failed = err.message.match(/for command '([^']+)'/)?.[1];
      throw new UsageError(usageSentence(err.message, failed ?? inferCommand(rest, config)));
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, ctx?.globals.debug ?? argv.includes('--debug'));
  }
}

/** The command whose --help to point at after a usage error (`run convert`, `ls`, …). */
function inferCommand(rest: string[], config: CachexConfig | null): string {
  const words = rest.filter((a) => !a.startsWith('-'));
  if (words[0] === 'run' && config && words[1] && words[1] in config.tasks) return `run ${words[1]}`;
  return words[0] ?? '';
}

handleClosedPipes();

process.exitCode = await main(process.argv.slice(2));
