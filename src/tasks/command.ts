import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { ParamValue, Params } from './params.js';
import { realName } from './real-names.js';
import { workingFolder } from './working-folder.js';

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Names of the `${VAR}` references in a command template. */
export function envRefs(argv: readonly string[]): string[] {
  return [...new Set(argv.flatMap((arg) => [...arg.matchAll(ENV_REF)].map((m) => m[1])))];
}

function expandEnv(arg: string, task: string): string {
  return arg.replace(ENV_REF, (_, name: string) => {
    const value = process.env[name];
    if (value === undefined || value === '') {
      throw new ConfigError(
        `Task "${task}" needs the environment variable ${name}, which is unset; set it in the environment or in a .env file beside the config (${name}=…).`,
      );
    }
    return value;
  });
}

function paramArg(value: ParamValue | undefined): string {
  if (value === undefined) return '';
  // A file opened through a /proc alias (its name is not UTF-8) reaches the command by its real name.
  if (Array.isArray(value)) return value.map((v) => realName(String(v))).join(',');
  return realName(String(value));
}

/**
 * Builds the argv of a command task. A `{param}` placeholder becomes exactly one
 * argument (no shell ever reads it), `{out}` the output folder, `${VAR}` the
 * variable's value.
 */
export function expandCommand(task: string, template: readonly string[], params: Params, outDir: string): string[] {
  return template.map((arg, index) => {
    const withEnv = expandEnv(arg, task);
    if (index === 0) return withEnv;
    return withEnv.replace(/\{([A-Za-z0-9_-]+)\}/g, (whole, name: string) => {
      if (name === 'out') return outDir;
      return name in params ? paramArg(params[name]) : whole;
    });
  });
}

/** Finds argv[0] the way execvp would and returns its real path. */
export function resolveExecutable(task: string, command: string, cwd: string): string {
  const candidates = command.includes('/')
    ? [path.resolve(workingFolder(cwd), command)]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      const real = realpathSync(candidate);
      return existsSync(real) ? real : candidate; // a real path that is not UTF-8 is lost in decoding
    } catch {
      /* try the next one */
    }
  }
  throw new ConfigError(
    `Task "${task}" runs "${command}", which was not found or is not executable; install it or fix the path.`,
  );
}
