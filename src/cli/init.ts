import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { findConfigFile } from '../config/find.js';
import { ConfigError } from '../errors.js';
import { STARTER_TASK, starterConfig } from './init-starter.js';

const CONFIG_NAMES = ['cachex.config.ts', 'cachex.config.mts', 'cachex.config.js', 'cachex.config.mjs'];
/** Lines of a .gitignore that already keep the store out of git. */
const IGNORES_STORE = new Set(['.cachex', '.cachex/', '/.cachex', '/.cachex/', '.cachex/*', '/.cachex/*']);

/** Adds `.cachex/` to dir/.gitignore (creating it when needed); says what it did. */
function ignoreStore(dir: string): string {
  const file = path.join(dir, '.gitignore');
  if (!existsSync(file)) {
    writeFileSync(file, '.cachex/\n');
    return 'Created .gitignore with .cachex/ (the store) in it.';
  }
  const text = readFileSync(file, 'utf8');
  if (text.split(/\r?\n/).some((line) => IGNORES_STORE.has(line.trim()))) return '.gitignore already ignores .cachex/.';
  writeFileSync(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}.cachex/\n`);
  return 'Added .cachex/ (the store) to .gitignore.';
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a starter cachex.config.ts in the current folder and keep .cachex/ out of git')
    .option('--js', 'write cachex.config.mjs (JavaScript) instead')
    .addHelpText('after', '\nExample:\n  npx cachex init && npx cachex run count --file package.json\n')
    .action((opts: { js?: boolean }) => {
      const dir = process.cwd();
      const existing = CONFIG_NAMES.find((name) => existsSync(path.join(dir, name)));
      if (existing)
        throw new ConfigError(
          `${existing} already exists here; edit it, or remove it to start from the starter again.`,
        );
      const parent = findConfigFile(path.dirname(dir));
      const name = opts.js ? 'cachex.config.mjs' : 'cachex.config.ts';
      writeFileSync(path.join(dir, name), starterConfig(), { flag: 'wx' });
      const lines = [`Wrote ${name} with two starter tasks: count (TypeScript) and archive (a command).`];
      lines.push(ignoreStore(dir));
      if (parent)
        lines.push(
          `Note: ${parent} is now shadowed here: runs in this folder and below use ${name} and its own store.`,
        );
      const sample = existsSync(path.join(dir, 'package.json')) ? 'package.json' : name;
      const run = `npx cachex run ${STARTER_TASK} --file ${sample}`;
      const width = run.length + 2;
      lines.push(
        '',
        'Next:',
        `  ${run.padEnd(width)}# a miss: runs the task and stores its result`,
        `  ${run.padEnd(width)}# a hit: replays the stored result`,
        `  ${'npx cachex ls'.padEnd(width)}# what the store holds`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
