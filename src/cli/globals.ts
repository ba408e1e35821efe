import type { GlobalOptions } from '../config/settings.js';
import { UsageError } from '../errors.js';

export interface Globals extends GlobalOptions {
  debug: boolean;
}

const VALUE_OPTIONS: Record<string, keyof GlobalOptions> = {
  '--config': 'config',
  '--data-folder': 'dataFolder',
  '--params': 'params',
};

/**
 * Takes the global options out of argv wherever they appear (before or after
 * the command), so `cachex run convert --config x.ts` works like
 * `cachex --config x.ts run convert`. Nothing after `--` is touched.
 * `--debug` after `run` is left in place: a task may have a `debug` param
 * (the `run` command maps it back when the task has none).
 */
export function extractGlobals(argv: string[]): { globals: Globals; rest: string[] } {
  const globals: Globals = { debug: Boolean(process.env.CACHEX_DEBUG && process.env.CACHEX_DEBUG !== '0') };
  const rest: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--debug' && command !== 'run') {
      globals.debug = true;
      continue;
    }
    if (!arg.startsWith('-') && command === undefined) command = arg;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_OPTIONS[name];
    if (!key) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) {
      throw new UsageError(`${name} needs a value; write ${name} <${key === 'dataFolder' ? 'dir' : 'file'}>.`);
    }
    globals[key] = value;
  }
  return { globals, rest };
}
