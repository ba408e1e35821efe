import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Loads `.env` from `dir` into process.env without overriding the real
 * environment; returns the names it set so `cachex config` can show sources.
 */
export async function loadDotenv(dir: string): Promise<Set<string>> {
  const fromFile = new Set<string>();
  let text: string;
  try {
    text = readFileSync(path.join(dir, '.env'), 'utf8');
  } catch {
    return fromFile;
  }
  const { parse } = await import('dotenv');
  for (const [name, value] of Object.entries(parse(text))) {
    // An empty variable counts as unset, as everywhere else in cachex.
    if (process.env[name] !== undefined && process.env[name] !== '') continue;
    process.env[name] = value;
    fromFile.add(name);
  }
  return fromFile;
}
