import { existsSync } from 'node:fs';
import path from 'node:path';
import { findConfigFile } from './find.js';

/** Which rule found the project root (shown by `cachex config`). */
export type RootRule = 'config' | 'package.json' | 'cwd';

export interface ProjectRoot {
  dir: string;
  rule: RootRule;
}

/** The first folder at or above `start` holding `name`, or null. */
function findUp(start: string, name: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, name))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The one rule for where a project is, shared by the CLI and the library: the
 * folder of the config file (given, or the nearest walking up), else of the
 * nearest package.json, else the current folder. The default store is
 * `<project root>/.cachex` and `.env` is read from the project root, so a run
 * started from a sub-folder uses the same store as one from the root.
 */
export function findProjectRoot(cwd: string, configFile: string | null = findConfigFile(cwd)): ProjectRoot {
  if (configFile) return { dir: path.dirname(configFile), rule: 'config' };
  const pkg = findUp(cwd, 'package.json');
  if (pkg) return { dir: pkg, rule: 'package.json' };
  return { dir: path.resolve(cwd), rule: 'cwd' };
}

/**
 * The root `cachex exec` keys its working folder against (key/working-folder.ts):
 * the config's folder when there is a config, else the nearest folder at or
 * above `cwd` holding .git or package.json (a checkout's root), else null.
 */
export function findKeyRoot(cwd: string, configFile: string | null): string | null {
  if (configFile) return path.dirname(configFile);
  let dir = path.resolve(cwd);
  for (;;) {
    if (existsSync(path.join(dir, '.git')) || existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

export function describeRootRule(rule: RootRule): string {
  switch (rule) {
    case 'config':
      return 'folder of the config file';
    case 'package.json':
      return 'folder of the nearest package.json (no config file found)';
    case 'cwd':
      return 'current folder (no config file or package.json found)';
  }
}
