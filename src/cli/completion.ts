import type { Command } from 'commander';
import type { CachexConfig } from '../config/types.js';
import { LINK_MODES } from '../store/place.js';
import { Argument } from './commander.js';
import { completeWords, formatCompletion } from './complete-words.js';
import { SHELLS, type Shell, completionScript } from './completion-scripts.js';
import { completionTree } from './completion-tree.js';
import { CliContext } from './context.js';
import { extractGlobals } from './globals.js';
import { createProgram } from './program.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell script that completes commands, task names, their flags and choices')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(SHELLS))
    .addHelpText(
      'after',
      '\nLoad it:\n  bash  source <(cachex completion bash)               (in ~/.bashrc)\n' +
        '  zsh   source <(cachex completion zsh)                (in ~/.zshrc, after compinit)\n' +
        '  fish  cachex completion fish > ~/.config/fish/completions/cachex.fish\n',
    )
    .action((shell: Shell) => {
      process.stdout.write(completionScript(shell));
    });
}

/** The config the words point at (their --config, or the one found from here); null when there is none or it is broken. */
async function configFor(words: string[]): Promise<{ ctx: CliContext; config: CachexConfig | null }> {
  let ctx = new CliContext({ debug: false });
  try {
    ctx = new CliContext(extractGlobals(words.slice(0, -1)).globals);
    return { ctx, config: await (await ctx.settings()).config() };
  } catch {
    // TAB must never print an error into the command line: complete without tasks.
    return { ctx, config: null };
  }
}

/** Answers `cachex __complete <words…>` (see completion-scripts.ts for the protocol). */
export async function completeCommandLine(words: string[]): Promise<string> {
  const { ctx, config } = await configFor(words);
  const program = await createProgram(ctx, config, [], true);
  const tree = completionTree(program, config, { '--link': LINK_MODES });
  return formatCompletion(completeWords(tree, words.length ? words : ['']));
}
