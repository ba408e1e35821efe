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
