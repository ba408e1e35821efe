import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI, REPO, Workspace } from '../helpers/cli.js';

const has = (shell: string) => spawnSync(shell, ['-c', 'exit 0']).status === 0;
const VERSION = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-complete-');
  ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    convert: {
      description: 'voxel-downsample a cloud',
      params: {
        file: { type: 'file', required: true },
        quality: { type: 'enum', choices: ['low', 'high'], default: 'low' },
        debug: { type: 'boolean', default: false },
      },
      run: () => 1,
    },
    contour: { description: 'draw contour lines', run: () => 2 },
    potree: { params: { file: { type: 'file', required: true } }, command: ['tool', '{file}', '-o', '{out}'] },
  },
});
`);
  ws.write('clouds/forest.pcd', 'x');
  // `cachex` on PATH, as after a global install: the scripts call it by name.
  mkdirSync(ws.path('bin'));
  symlinkSync(CLI, ws.path('bin', 'cachex'));
});
afterEach(() => ws.cleanup());

/** Runs `script` in `shell` with this workspace's `cachex` first on PATH, from the workspace. */
function inShell(shell: string, script: string) {
  const r = spawnSync(shell, shell === 'bash' ? ['--norc', '--noprofile', '-c', script] : ['-c', script], {
    cwd: ws.dir,
    env: { ...ws.env, PATH: `${ws.path('bin')}:${process.env.PATH}` },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What bash offers for the words of `line` (the last word being the one under the cursor). */
function bashCompletes(line: string): string[] {
  const words = line.split(' ');
  const r = inShell(
    'bash',
    `source <(cachex completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_cachex_complete
printf '%s\\n' "\${COMPREPLY[@]}"`,
  );
  expect(r.stderr).toBe('');
  return r.stdout.split('\n').filter(Boolean);
}

describe('shell completion', () => {
  it('bash: sourcing the script registers cachex; `cachex run con<TAB>` offers convert (and contour)', () => {
    const registered = inShell('bash', 'source <(cachex completion bash) && complete -p cachex');
    expect(registered.stdout.trim()).toBe('complete -F _cachex_complete cachex');
    expect(bashCompletes('cachex run con')).toEqual(['convert', 'contour']);
    expect(bashCompletes('cachex run conv')).toEqual(['convert']);
  });

  it("bash: commands, a task's flags, enum choices and file names", () => {
    expect(bashCompletes('cachex ')).toEqual(expect.arrayContaining(['run', 'tasks', 'ls', 'init', 'completion']));
    expect(bashCompletes('cachex run convert --q')).toEqual(['--quality', '--quiet']);
    expect(bashCompletes('cachex run convert --')).toEqual(
      expect.arrayContaining(['--file', '--quality', '--debug', '--no-debug', '--force', '--dry-run', '--config']),
    );
    expect(bashCompletes('cachex run convert --quality ')).toEqual(['low', 'high']);
    expect(bashCompletes('cachex run convert --file clo')).toEqual(['clouds']);
    expect(bashCompletes('cachex run convert --file clouds/f')).toEqual(['clouds/forest.pcd']);
    expect(bashCompletes('cachex ls ')).toEqual(['convert', 'contour', 'potree']);
    expect(bashCompletes('cachex completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('bash: a word that looks like a command substitution is passed on, never run', () => {
    expect(bashCompletes('cachex run $(touch${IFS}pwned)')).toEqual([]);
    expect(inShell('bash', 'ls').stdout).not.toMatch(/pwned/);
  });

  it('completes nothing, and prints no error, when the config is broken', () => {
    ws.config('export default {{{');
    expect(bashCompletes('cachex run con')).toEqual([]);
    expect(bashCompletes('cachex ru')).toEqual(['run']);
  });

  it.skipIf(!has('fish'))('fish: `complete -C` offers tasks with descriptions and flags (skipped without fish)', () => {
    const r = inShell(
      'fish',
      `cachex completion fish | source
complete -C 'cachex run con'
complete -C 'cachex run convert --qual'`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      'contour\tdraw contour lines',
      'convert\tvoxel-downsample a cloud',
      '--quality\tone of low, high; default "low"',
    ]);
  });

  it.skipIf(!has('zsh'))(
    "zsh: the script parses, and _cachex hands values to zsh's _describe and _files (stand-ins here) (skipped without zsh)",
    () => {
      const r = inShell(
        'zsh',
        `_describe() { local arr=\${@[-1]}; print -l -- "\${(@P)arr}"; }
_files() { print -- "files $*"; }
source <(cachex completion zsh) 2>/dev/null
words=(cachex run con); CURRENT=3; _cachex
words=(cachex run convert --file c); CURRENT=5; _cachex`,
      );
      expect(r.stdout.split('\n').filter(Boolean)).toEqual([
        'convert:voxel-downsample a cloud',
        'contour:draw contour lines',
        'files ',
      ]);
    },
  );

  it('refuses an unknown shell with a usage error', () => {
    const r = ws.run(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/tcsh/);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });

  it('-v and -V print the version, as --version does', () => {
    for (const flag of ['-v', '-V', '--version']) {
      const r = ws.run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
  });
});
