/**
 * Commander's parse errors as cachex's one sentence (src/cli/usage-errors.ts), on the real program
 * main.ts builds, parsed in process as main.ts parses it. These cases moved from the
 * spawn-per-case table in test/e2e/edges.test.ts "stray positional arguments", which keeps one
 * (`cachex verify extra`) to prove the CLI prints the sentence with exit 2.
 */
import { describe, expect, it } from 'vitest';
import { CommanderError } from '../../src/cli/commander.js';
import { CliContext } from '../../src/cli/context.js';
import { extractGlobals } from '../../src/cli/globals.js';
import { createProgram } from '../../src/cli/program.js';
import { usageErrorFrom } from '../../src/cli/usage-errors.js';
import { UsageError } from '../../src/errors.js';

/** The usage error main.ts reports for `argv` (a command other than run, so no config is loaded). */
async function usageError(argv: string[]): Promise<UsageError> {
  const { globals, rest } = extractGlobals(argv);
  const program = await createProgram(new CliContext(globals), null, rest, true);
  try {
    await program.parseAsync(rest, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return usageErrorFrom(err, program, rest, null);
  }
  throw new Error(`${argv.join(' ')} parsed without an error`);
}

describe('stray positional arguments', () => {
  it.each([
    [['verify', 'extra'], '`cachex verify` takes no positional arguments'],
    [['tasks', 'extra'], '`cachex tasks` takes no positional arguments'],
    [['config', 'extra'], '`cachex config` takes no positional arguments'],
    [['prune', 'extra'], '`cachex prune` takes no positional arguments'],
    [['ls', 'potree', 'extra'], '`cachex ls` takes one (task)'],
  ])('cachex %j names the stray word', async (argv, says) => {
    const error = await usageError(argv);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toContain(`Unexpected argument "extra": ${says}`);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('a value with a space (--max-size 5 GB) is named, with how to quote it', async () => {
    const error = await usageError(['prune', '--max-size', '5', 'GB']);
    expect(error.message).toMatch(/Unexpected argument "GB" after --max-size 5: .*--max-size "5 GB"/);
    expect(error.message).not.toMatch(/Expected 0 arguments/);
  });
});
