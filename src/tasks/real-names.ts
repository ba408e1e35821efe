import type { ParamsSchema } from '../config/types.js';
import type { Params, ParamValue } from './params.js';
import { withoutCwdAlias } from './working-folder.js';

/**
 * A file whose name is not UTF-8 is opened once and handed to the task as
 * /proc/<pid>/fd/<n> (see params.ts), a path that changes with every process.
 * This remembers the real name behind each such alias, so the key, meta.yaml,
 * `ls` and commands see the name the user gave, never the alias.
 */
const aliases = new Map<string, string>();

export function rememberRealName(alias: string, real: string): void {
  aliases.set(alias, real);
}

/** The real name (escaped, see name-bytes.ts) behind a path cachex made up for a non-UTF-8 name; else `p`. */
export function realName(p: string, cwd: string = process.cwd()): string {
  for (const [alias, real] of aliases) {
    if (p === alias) return real;
    if (p.startsWith(`${alias}/`)) return real + p.slice(alias.length);
  }
  return withoutCwdAlias(p, cwd);
}

/** The params as recorded and shown (meta.yaml, --dry-run, why): file and dir values by their real names. */
export function realParams(schema: ParamsSchema, params: Params): Params {
  const out: Params = {};
  for (const [name, value] of Object.entries(params)) {
    const type = schema[name]?.type;
    out[name] =
      type !== 'file' && type !== 'dir'
        ? value
        : Array.isArray(value)
          ? value.map((v: ParamValue) => realName(String(v)))
          : realName(String(value));
  }
  return out;
}
