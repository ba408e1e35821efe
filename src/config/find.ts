import { existsSync } from 'node:fs';
import path from 'node:path';

export const CONFIG_NAMES = ['cachex.config.ts', 'cachex.config.mts', 'cachex.config.js', 'cachex.config.mjs'];
const PARAMS_NAMES = ['cachex.params.yaml', 'cachex.params.yml', 'cachex.params.json'];

/** Walks up from `start` to the first folder holding a cachex config file. */
export function findConfigFile(start: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = path.join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function findParamsFile(dir: string): string | null {
  for (const name of PARAMS_NAMES) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}
