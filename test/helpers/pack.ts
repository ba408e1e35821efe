/**
 * The package as a user gets it: `npm pack` run (with its real prepack and
 * postpack hooks) on a copy of this repository's sources, so a build it
 * makes never rewrites the dist/ other tests are running; then installed with
 * `npm install <tarball>` into a fresh, empty project folder. The copy has the
 * repository's dist/ too: prepack builds only when the build stamp says dist/
 * is not a build of these sources (as `npm test` does), which spared the
 * suite 10-15 s of tsc and esbuild on two cores.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './cli.js';

/** What `npm pack` reads (its prepack builds dist/ when the copied one is not current). */
const SOURCES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'LICENSE', 'README.md'];
const SOURCE_DIRS = ['src', 'bin', 'scripts', 'dist'];

export interface Packed {
  /** Scratch folder holding everything below; remove it when done. */
  root: string;
  /** The copy `npm pack` ran in. */
  source: string;
  tarball: string;
  pack: SpawnSyncReturns<string>;
}

export interface Installed {
  project: string;
  install: SpawnSyncReturns<string>;
}

/** An environment without the test runner's own npm and cachex settings. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || ['DATA_FOLDER', 'POTREE_CONVERTER', 'NODE_OPTIONS', 'INIT_CWD'].includes(name)) continue;
    env[name] = value;
  }
  // npm reaches the registry: give it back the CA bundle test/setup/env.ts took from the CLI's spawns.
  const ca = process.env.CACHEX_TEST_EXTRA_CA_CERTS;
  if (ca !== undefined) env.NODE_EXTRA_CA_CERTS = ca;
  delete env.CACHEX_TEST_EXTRA_CA_CERTS;
  return { ...env, CI: 'true', NO_COLOR: '1', ...extra };
}

export function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 300_000,
  });
}

export function packRepository(): Packed {
  const root = mkdtempSync(path.join(tmpdir(), 'cachex-pack-'));
  const source = path.join(root, 'source');
  mkdirSync(source);
  for (const file of SOURCES) cpSync(path.join(REPO, file), path.join(source, file));
  for (const dir of SOURCE_DIRS) cpSync(path.join(REPO, dir), path.join(source, dir), { recursive: true });
  // The build tools only: the copy builds with the repository's installed dev dependencies.
  symlinkSync(path.join(REPO, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  const pack = npm(['pack', '--pack-destination', root], source);
  const tarball = readdirSync(root).find((f) => f.endsWith('.tgz'));
  if (pack.status !== 0 || !tarball) throw new Error(`npm pack failed:\n${pack.stdout}\n${pack.stderr}`);
  return { root, source, tarball: path.join(root, tarball), pack };
}

/** `npm install <tarball>` in a new empty folder under `packed.root`. */
export function installInto(packed: Packed, name: string): Installed {
  const project = path.join(packed.root, name);
  mkdirSync(project);
  const install = npm(['install', '--prefer-offline', packed.tarball], project);
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);
  return { project, install };
}
