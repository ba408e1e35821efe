import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Variables of `.env` that hold paths: a relative one means relative to the `.env` file, not to the cwd. */
const PATH_VARIABLES = new Set(['DATA_FOLDER', 'POTREE_CONVERTER']);

/**
 * The variables of `dir/.env` (empty when there is none), with relative
 * paths resolved against `dir`: `DATA_FOLDER=.cachex` names one folder
 * whichever sub-folder a run starts from. A bare command name
 * (`POTREE_CONVERTER=PotreeConverter`) stays a name, for a PATH lookup.
 */
export function readDotenv(dir: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path.join(dir, '.env'), 'utf8');
  } catch {
    return {};
  }
  // require(): dotenv is a small CommonJS module, and readDotenv stays synchronous for the library's calls.
  const { parse } = createRequire(import.meta.url)('dotenv') as typeof import('dotenv');
  const values = parse(text);
  for (const [name, value] of Object.entries(values)) {
    if (!PATH_VARIABLES.has(name) || value === '' || path.isAbsolute(value)) continue;
    if (name === 'POTREE_CONVERTER' && !value.includes('/')) continue;
    values[name] = path.resolve(dir, value);
  }
  return values;
}

/**
 * Loads `.env` from `dir` into process.env without overriding the real
 * environment; returns the names it set so `cachex config` can show sources.
 */
export async function loadDotenv(dir: string): Promise<Set<string>> {
  const fromFile = new Set<string>();
  for (const [name, value] of Object.entries(readDotenv(dir))) {
    // An empty variable counts as unset, as everywhere else in cachex.
    if (process.env[name] !== undefined && process.env[name] !== '') continue;
    process.env[name] = value;
    fromFile.add(name);
  }
  return fromFile;
}
