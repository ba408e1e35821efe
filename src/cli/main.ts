import { CommanderError } from './commander.js';
import { UsageError } from '../errors.js';
import type { CachexConfig } from '../config/types.js';
import { CliContext } from './context.js';
import { extractGlobals } from './globals.js';
import { reportError } from './report.js';
import { createProgram } from './program.js';

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
    // Shell completion reads the half-typed command line itself (a `--config` without its value, say).
    if (argv[0] === '__complete') {
      process.stdout.write(await (await import('./completion.js')).completeCommandLine(argv.slice(1)));
      return 0;
    }
    const { globals, rest } = extractGlobals(versionFlag(argv));
    ctx = new CliContext(globals);
    const commandName = rest.find((a) => !a.startsWith('-'));
    let config: CachexConfig | null = null;
    if (commandName === 'run') config = await (await ctx.settings()).config();

    const program = await createProgram(ctx, config, rest, commandName !== 'run');
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

/** `-V` (commander's usual spelling, which cachex had first) means --version too, as `-v` does, before the command. */
function versionFlag(argv: string[]): string[] {
  const command = argv.findIndex((a) => !a.startsWith('-'));
  return argv.map((a, i) => (a === '-V' && (command < 0 || i < command) ? '--version' : a));
}

/** The command whose --help to point at after a usage error (`run convert`, `ls`, …). */
function inferCommand(rest: string[], config: CachexConfig | null): string {
  const words = rest.filter((a) => !a.startsWith('-'));
  if (words[0] === 'run' && config && words[1] && words[1] in config.tasks) return `run ${words[1]}`;
  return words[0] ?? '';
}

// `cachex ls | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
