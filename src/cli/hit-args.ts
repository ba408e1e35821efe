import type { TaskSpec } from '../config/types.js';
import { flagName } from '../tasks/flags.js';
import type { RunActionFlags } from './run-action.js';

export interface HitArgs {
  given: Record<string, unknown>;
  flags: RunActionFlags & { debug?: boolean };
}

/** run's own flags: attribute, and whether it takes a value. `--no-remote` is the only negation. */
const RUN_FLAGS: Record<string, { attribute: keyof HitArgs['flags']; value: boolean }> = {
  '--force': { attribute: 'force', value: false },
  '--dry-run': { attribute: 'dryRun', value: false },
  '--out': { attribute: 'out', value: true },
  '--link': { attribute: 'link', value: true },
  '--publish': { attribute: 'publish', value: true },
  '--json': { attribute: 'json', value: false },
  '--quiet': { attribute: 'quiet', value: false },
  '--max-age': { attribute: 'maxAge', value: true },
  '--stale': { attribute: 'stale', value: true },
  '--explain': { attribute: 'explain', value: false },
};

/**
 * The flags of `run <task>` as commander would parse them (see run.ts,
 * run-flags.ts, task-flags.ts), for the plain spellings only: `--flag value`,
 * `--flag=value`, `--bool`, `--no-bool`. null for anything else — a
 * positional, `--`, a short option, an unknown or repeated flag, a value that
 * starts with a dash, `--help` — which the full CLI then parses and words.
 */
export function parseHitArgs(args: readonly string[], spec: TaskSpec): HitArgs | null {
  const params = spec.params ?? {};
  // A param whose attribute is one of run's own would share commander's slot with it: leave that to commander.
  if ('remote' in params) return null;
  const byFlag = new Map<string, string>();
  for (const name of Object.keys(params)) byFlag.set(`--${flagName(name)}`, name);
  const given: Record<string, unknown> = {};
  const flags: HitArgs['flags'] = { link: 'auto', remote: true };
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') return null;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string | null => {
      const value = inline ?? args[++i];
      return value === undefined || value.startsWith('-') ? null : value;
    };
    const param = byFlag.get(name);
    if (param !== undefined) {
      const p = params[param];
      if (p.type === 'boolean') {
        if (inline !== undefined) return null;
        given[param] = true;
        continue;
      }
      const value = takeValue();
      if (value === null) return null;
      if (p.list) given[param] = [...((given[param] as string[] | undefined) ?? []), value];
      else if (param in given) return null;
      else given[param] = value;
      continue;
    }
    if (name.startsWith('--no-')) {
      const negated = byFlag.get(`--${name.slice(5)}`);
      if (inline !== undefined) return null;
      if (negated !== undefined && params[negated].type === 'boolean') {
        given[negated] = false;
        continue;
      }
      if (name === '--no-remote') {
        flags.remote = false;
        continue;
      }
      return null;
    }
    if (name === '--debug' && !('debug' in params)) {
      if (inline !== undefined) return null;
      flags.debug = true;
      continue;
    }
    const own = RUN_FLAGS[name];
    if (!own || seen.has(name)) return null;
    seen.add(name);
    if (!own.value) {
      if (inline !== undefined) return null;
      (flags as Record<string, unknown>)[own.attribute] = true;
      continue;
    }
    const value = takeValue();
    if (value === null) return null;
    (flags as Record<string, unknown>)[own.attribute] = value;
  }
  return { given, flags };
}
