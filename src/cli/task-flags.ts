import { Option, type Command } from './commander.js';
import type { ParamSpec, ParamsSchema } from '../config/types.js';
import { UsageError } from '../errors.js';
import { flagName } from '../tasks/flags.js';

function describe(spec: ParamSpec): string {
  const parts = [spec.description ?? ''];
  if (spec.type === 'enum') parts.push(`one of ${spec.choices!.join(', ')}`);
  else if (spec.type !== 'string') parts.push(spec.type);
  if (spec.required) parts.push('required');
  if (spec.list) parts.push('repeatable');
  if (spec.default !== undefined && spec.type !== 'boolean') parts.push(`default ${JSON.stringify(spec.default)}`);
  return parts.filter(Boolean).join('; ');
}

/**
 * Adds one flag per param to a task's command and returns how to map
 * commander's parsed options back to param names.
 */
export function addParamFlags(cmd: Command, schema: ParamsSchema): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const [name, spec] of Object.entries(schema)) {
    const flag = flagName(name);
    if (spec.type === 'boolean') {
      const on = new Option(`--${flag}`, describe(spec) || `turn ${name} on`);
      const off = new Option(`--no-${flag}`, `turn ${name} off`);
      cmd.addOption(on).addOption(off);
      attributes.set(on.attributeName(), name);
      continue;
    }
    const option = new Option(`--${flag} <${spec.type === 'enum' ? 'choice' : spec.type}>`, describe(spec));
    if (spec.list) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    else {
      // commander keeps the last of repeated values; a key built from one of two given values would surprise.
      option.argParser((value: string, previous: string | undefined) => {
        if (previous !== undefined)
          throw new UsageError(
            `--${flag} was given more than once (${JSON.stringify(previous)} and ${JSON.stringify(value)}); give it once.`,
          );
        return value;
      });
    }
    cmd.addOption(option);
    attributes.set(option.attributeName(), name);
  }
  return attributes;
}

/**
 * Refuses a flag-like token given as a value (`--file --force`): commander
 * would take it literally. `--file=--force` stays possible for the rare file
 * that really starts with dashes. Negative numbers are values.
 */
export function refuseFlagLikeValues(argv: readonly string[], schema: ParamsSchema): void {
  const valueFlags = new Map<string, ParamSpec>();
  for (const [name, spec] of Object.entries(schema))
    if (spec.type !== 'boolean') valueFlags.set(`--${flagName(name)}`, spec);
  for (let i = 0; i < argv.length - 1; i++) {
    if (argv[i] === '--') return;
    const spec = valueFlags.get(argv[i]);
    const next = argv[i + 1];
    if (!spec || !next.startsWith('-')) continue;
    const numeric = (spec.type === 'number' || spec.type === 'integer') && /^-\d|^-\.\d/.test(next);
    if (!numeric)
      throw new UsageError(
        `${argv[i]} got ${JSON.stringify(next)}, which looks like a flag; give ${argv[i]} a value (or write ${argv[i]}=${next} if you mean it).`,
      );
  }
}
