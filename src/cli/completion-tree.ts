import type { Command, Option } from 'commander';
import type { CachexConfig } from '../config/types.js';
import { flagName } from '../tasks/flags.js';
import type { CommandNode, FlagNode } from './complete-words.js';

/** Values some built-in options take, which commander does not know as choices (they are checked by cachex). */
export interface KnownValues {
  [longFlag: string]: readonly string[];
}

function placeholderValues(option: Option): FlagNode['values'] {
  const placeholder = option.flags.match(/[<[]([^>\]]+)[>\]]/)?.[1];
  if (option.argChoices?.length) return option.argChoices;
  if (placeholder === 'file') return 'files';
  if (placeholder === 'dir') return 'dirs';
  if (placeholder === 'task') return 'tasks';
  return null;
}

function flagOf(option: Option, known: KnownValues, enums: Map<string, readonly string[]>): FlagNode {
  const names = [option.long, option.short].filter((n): n is string => Boolean(n));
  const long = option.long ?? '';
  return {
    names,
    description: option.description ?? '',
    takesValue: option.required || option.optional,
    values: enums.get(long) ?? known[long] ?? placeholderValues(option),
  };
}

/** Enum choices of a task's params, by flag (`--quality` → low, high). */
function taskEnums(config: CachexConfig | null, task: string): Map<string, readonly string[]> {
  const enums = new Map<string, readonly string[]>();
  for (const [name, spec] of Object.entries(config?.tasks[task]?.params ?? {}))
    if (spec.type === 'enum' && spec.choices) enums.set(`--${flagName(name)}`, spec.choices);
  return enums;
}

/**
 * The completion tree, read from commander's own registered commands and
 * options (every command, `run`'s task subcommands with their param flags),
 * plus the config for what commander does not hold: enum choices.
 */
export function completionTree(
  program: Command,
  config: CachexConfig | null,
  known: KnownValues,
  task: string | null = null,
): CommandNode {
  const enums = task ? taskEnums(config, task) : new Map<string, readonly string[]>();
  const help = program.createHelp();
  const argument = program.registeredArguments[0];
  const argumentName = argument?.name();
  return {
    name: program.name(),
    description: program.description(),
    flags: program.options.filter((o) => !o.hidden).map((o) => flagOf(o, known, enums)),
    children: help
      .visibleCommands(program)
      .filter((c) => c.name() !== 'help')
      .map((c) => completionTree(c, config, known, program.name() === 'run' ? c.name() : null)),
    argument: argument?.argChoices?.length
      ? argument.argChoices
      : argumentName === 'task' || argumentName === 'target'
        ? 'tasks'
        : null,
  };
}
