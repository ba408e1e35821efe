import path from 'node:path';
import { readDotenv } from '../config/dotenv.js';
import { findProjectRoot } from '../config/project-root.js';

interface ProjectFacts {
  root: string;
  /** DATA_FOLDER from the project's .env, already absolute; undefined when it sets none. */
  dotenvDataFolder: string | undefined;
}

// Found once per working folder: a memory hit must not walk the file system up to / on every call.
const facts = new Map<string, ProjectFacts>();

function projectFacts(cwd: string): ProjectFacts {
  let found = facts.get(cwd);
  if (!found) {
    const root = findProjectRoot(cwd).dir;
    found = { root, dotenvDataFolder: readDotenv(root).DATA_FOLDER || undefined };
    facts.set(cwd, found);
  }
  return found;
}

/** The project root of library calls: the CLI's rule (config's folder, else package.json's, else the cwd). */
export function libraryProjectRoot(): string {
  return projectFacts(process.cwd()).root;
}

/**
 * The store of a cached function: `dataFolder`, else DATA_FOLDER from the
 * environment (relative to the cwd), else DATA_FOLDER from the project's
 * `.env` (relative to that file), else `<project root>/.cachex` — the CLI's
 * default, so a script started from a sub-folder uses the project's store.
 * The library does not read the config file: a `dataFolder` set there is the
 * CLI's alone (set DATA_FOLDER in .env to share a folder other than the
 * default). Resolved at every call, so setting DATA_FOLDER after import works.
 */
export function resolveDataFolder(dataFolder: string | undefined): string {
  if (dataFolder) return path.resolve(dataFolder);
  const env = process.env.DATA_FOLDER;
  if (env) return path.resolve(env);
  const project = projectFacts(process.cwd());
  return project.dotenvDataFolder ?? path.join(project.root, '.cachex');
}
