import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { cleanEnv, type Installed, installInto, type Packed, packRepository } from '../helpers/pack.js';

// Packing builds the package once (in a copy of the sources) and installing it takes a while: once for the file.
let packed: Packed;
let installed: Installed;
const repoManifest = readFileSync(path.join(REPO, 'package.json'), 'utf8');

beforeAll(() => {
  packed = packRepository();
  installed = installInto(packed, 'project');
}, 600_000);
afterAll(() => {
  if (packed) rmSync(packed.root, { recursive: true, force: true });
});

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `npx cachex …` in a user's project, as the README tells them to run it. */
function npx(args: string[], cwd = installed.project) {
  return sh('npx', ['--no-install', 'cachex', ...args], cwd);
}

/**
 * The same command through the link npm install made from the package's `bin`, which is what
 * npx runs: npx itself costs half a second of CPU and a second or two of a loaded machine per
 * call, so one call proves npx finds the command and the others go straight to the link.
 */
function cachex(args: string[], cwd = installed.project) {
  return sh(path.join(cwd, 'node_modules', '.bin', 'cachex'), args, cwd);
}

describe('the packed package', () => {
  it('holds bin, dist, LICENSE and README, and not the demo converter', () => {
    const files = sh('tar', ['tzf', packed.tarball], packed.root)
      .stdout.split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'bin/cachex.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/config-entry.js',
        'bin/package.json',
        'dist/cli/cachex.cjs',
        'dist/cli/full-cli.cjs',
        'dist/cli/load-full.cjs',
        'dist/cli/function-worker.cjs',
      ]),
    );
    expect(files.filter((f) => /demo|pcd/i.test(f))).toEqual([]);
    expect(files.filter((f) => !/^(LICENSE|README\.md|package\.json|bin\/|dist\/)/.test(f))).toEqual([]);
    expect(readFileSync(path.join(installed.project, 'node_modules', 'cachex', 'LICENSE'), 'utf8')).toMatch(
      /^MIT License/,
    );
  });

  it('ships a manifest without the prepare build step, with license, repository and keywords', () => {
    const manifest = JSON.parse(
      readFileSync(path.join(installed.project, 'node_modules', 'cachex', 'package.json'), 'utf8'),
    );
    expect(manifest.scripts?.prepare).toBeUndefined();
    expect(manifest.scripts?.prepack).toBeUndefined();
    expect(manifest.license).toBe('MIT');
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\//);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['cache', 'cli']));
    // postpack put the repository's own manifest back, prepare included.
    expect(readFileSync(path.join(packed.source, 'package.json'), 'utf8')).toBe(repoManifest);
    expect(JSON.parse(repoManifest).scripts.prepare).toBe('npm run build');
    expect(existsSync(path.join(packed.source, '.package.json.prepack'))).toBe(false);
  });

  it('installs into a fresh project without a warning from this package', () => {
    const output = `${installed.install.stdout}\n${installed.install.stderr}`;
    expect(output).toMatch(/added \d+ packages?/);
    expect(output).not.toMatch(/ERESOLVE|peer dep|overriding peer/i);
    expect(output.split('\n').filter((line) => /warn/i.test(line) && /cachex/i.test(line))).toEqual([]);
    expect(output).not.toMatch(/install-scripts/);
  });
});

describe('cachex init in a new project (installed from the tarball)', () => {
  it('writes a starter config and .gitignore; the starter task misses, then hits; git status does not show .cachex/', () => {
    expect(sh('git', ['init', '-q'], installed.project).code).toBe(0);
    const init = npx(['init']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^Wrote cachex\.config\.ts with two starter tasks/m);
    expect(init.stdout).toMatch(/^Created \.gitignore/m);
    const next = init.stdout.split('Next:\n')[1].trim().split('\n');
    expect(next.map((l) => l.replace(/\s+#.*$/, '').trim())).toEqual([
      'npx cachex run count --file package.json',
      'npx cachex run count --file package.json',
      'npx cachex ls',
    ]);
    expect(readFileSync(path.join(installed.project, '.gitignore'), 'utf8')).toBe('.cachex/\n');

    const miss = cachex(['run', 'count', '--file', 'package.json']);
    expect(miss.code, miss.stderr).toBe(0);
    expect(miss.stderr).toMatch(/^miss count [0-9a-f]{12} /m);
    expect(miss.stdout).toMatch(/^package\.json: \d+ lines, \d+ words$/m);
    const hit = cachex(['run', 'count', '--file', 'package.json']);
    expect(hit.stderr).toMatch(/^hit count [0-9a-f]{12} /m);
    expect(hit.stdout).toBe(miss.stdout);
    expect(existsSync(path.join(installed.project, '.cachex', 'cache', 'tasks', 'count'))).toBe(true);

    const status = sh('git', ['status', '--porcelain', '--untracked-files=all'], installed.project).stdout;
    expect(status).not.toMatch(/\.cachex\//);
    expect(status).toMatch(/^\?\? cachex\.config\.ts$/m);
    expect(status).toMatch(/^\?\? \.gitignore$/m);

    const ls = cachex(['ls', '--json']);
    expect(JSON.parse(ls.stdout).map((e: { task: string }) => e.task)).toEqual(['count']);
  });

  it('refuses to overwrite an existing config (exit 3) and leaves it as it was', () => {
    const config = path.join(installed.project, 'cachex.config.ts');
    if (!existsSync(config)) writeFileSync(config, '// mine\n');
    const before = readFileSync(config, 'utf8');
    const again = cachex(['init']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/cachex\.config\.ts already exists here; edit it, or remove it/);
    expect(readFileSync(config, 'utf8')).toBe(before);
  });

  it('the starter compiles under strict tsc against the installed package types', () => {
    const dir = path.join(packed.root, 'typed');
    mkdirSync(dir);
    symlinkSync(path.join(installed.project, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    expect(cachex(['init'], dir).code).toBe(0);
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          skipLibCheck: true,
          typeRoots: [path.join(REPO, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['cachex.config.ts'],
      }),
    );
    const tsc = sh(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], dir);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it('--js writes cachex.config.mjs, which runs both starter tasks', () => {
    const dir = path.join(packed.root, 'plain-js');
    mkdirSync(path.join(dir, 'docs'), { recursive: true });
    symlinkSync(path.join(installed.project, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    writeFileSync(path.join(dir, 'docs', 'a.txt'), 'one two\nthree\n');
    const init = cachex(['init', '--js'], dir);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^Wrote cachex\.config\.mjs/m);
    // No package.json here: the next commands count the config itself.
    expect(init.stdout).toContain('npx cachex run count --file cachex.config.mjs');
    expect(existsSync(path.join(dir, 'cachex.config.ts'))).toBe(false);
    const count = cachex(['run', 'count', '--file', 'docs/a.txt'], dir);
    expect(count.code, count.stderr).toBe(0);
    expect(count.stdout).toMatch(/^a\.txt: 2 lines, 3 words$/m);
    const archive = cachex(['run', 'archive', '--dir', 'docs'], dir);
    expect(archive.code, archive.stderr).toBe(0);
    expect(archive.stderr).toMatch(/^miss archive /m);
    expect(cachex(['run', 'archive', '--dir', 'docs'], dir).stderr).toMatch(/^hit archive /m);
  });
});
