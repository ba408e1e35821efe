import type { CachexConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { Command, CommanderError } from './commander.js';

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one sentence. */
function sentence(message: string): string {
  const text = message
    .replace(/^error:\s*/i, '')
    .replace(/\n\(Did you mean (.*)\?\)/, ' (did you mean $1?)')
    .trim()
    .replace(/\.$/, '');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** The command whose --help to point at after a usage error (`run convert`, `ls`, …). */
function inferCommand(rest: readonly string[], config: CachexConfig | null): string {
  const words = rest.filter((a) => !a.startsWith('-'));
  if (words[0] === 'run' && config && words[1] && words[1] in config.tasks) return `run ${words[1]}`;
  return words[0] ?? '';
}

/** The command commander just parsed and found too many arguments for. */
function findParsed(program: Command, name: string): Command | null {
  for (const cmd of program.commands) {
    if (cmd.name() === name && cmd.args.length > cmd.registeredArguments.length) return cmd;
    const inner = findParsed(cmd, name);
    if (inner) return inner;
  }
  return null;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The option `token` names on `cmd` (`--max-size` or `--max-size=5`), when it takes a value. */
function takesValue(cmd: Command, token: string | undefined): boolean {
  if (!token?.startsWith('--')) return false;
  const name = token.split('=')[0];
  return cmd.options.some((o) => o.long === name && (o.required || o.optional));
}

/**
 * Too many positional arguments: name the stray word and the likely cause —
 * most often a value with a space (`--max-size 5 GB`) or a second value after
 * a flag that takes one (`--file a.pcd b.pcd`).
 */
function excessArguments(program: Command, message: string, rest: readonly string[]): UsageError | null {
  const name = message.match(/for '([^']+)'/)?.[1];
  const cmd = name ? findParsed(program, name) : null;
  if (!cmd) return null;
  const where = commandPath(cmd);
  const expected = cmd.registeredArguments.length;
  const stray = cmd.args.slice(expected);
  const shown = stray.map((s) => JSON.stringify(s)).join(' ');
  const help = `see \`cachex ${where} --help\``;
  const at = rest.lastIndexOf(stray[0]);
  if (at >= 2 && takesValue(cmd, rest[at - 2]) && !rest[at - 2].includes('=')) {
    const flag = rest[at - 2];
    return new UsageError(
      `Unexpected argument ${shown} after ${flag} ${rest[at - 1]}: each flag takes one value, so quote a value that has spaces (${flag} "${rest[at - 1]} ${stray[0]}"); ${help}.`,
    );
  }
  const takes =
    expected === 0
      ? 'takes no positional arguments'
      : `takes ${expected === 1 ? 'one' : expected} (${cmd.registeredArguments.map((a) => a.name()).join(', ')})`;
  return new UsageError(`Unexpected argument ${shown}: \`cachex ${where}\` ${takes}; ${help}.`);
}

/** A commander parse error as a UsageError with one sentence and the help to read. */
export function usageErrorFrom(
  err: CommanderError,
  program: Command,
  rest: readonly string[],
  config: CachexConfig | null,
): UsageError {
  if (err.code === 'commander.excessArguments') {
    const precise = excessArguments(program, err.message, rest);
    if (precise) return precise;
  }
  // An unknown command has no help of its own: point at the list of commands.
  if (err.code === 'commander.unknownCommand')
    return new UsageError(`${sentence(err.message)}; see \`cachex --help\`.`);
  const failed = err.message.match(/for command '([^']+)'/)?.[1] ?? inferCommand(rest, config);
  return new UsageError(`${sentence(err.message)}; see \`cachex${failed ? ` ${failed}` : ''} --help\`.`);
}
