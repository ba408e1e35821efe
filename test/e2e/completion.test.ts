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
  return bashCompletesEach([line])[0];
}

/**
 * What bash offers for each line, from one shell that sourced the script once (a shell and a
 * `cachex completion bash` per line proved nothing more); COMPREPLY is emptied before each.
 */
function bashCompletesEach(lines: string[]): string[][] {
  const END = '--- end of one completion ---';
  const one = (line: string) => {
    const words = line.split(' ');
    return `COMPREPLY=(); COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_cachex_complete
printf '%s\\n' "\${COMPREPLY[@]}" '${END}'`;
  };
  const r = inShell('bash', `source <(cachex completion bash)\n${lines.map(one).join('\n')}`);
  expect(r.stderr).toBe('');
  const replies = r.stdout.split(`${END}\n`).map((block) => block.split('\n').filter(Boolean));
  expect(replies.pop()).toEqual([]); // after the last END
  expect(replies).toHaveLength(lines.length);
  return replies;
}

describe('shell completion', () => {
  it('bash: sourcing the script registers cachex; `cachex run con<TAB>` offers convert (and contour)', () => {
    const registered = inShell('bash', 'source <(cachex completion bash) && complete -p cachex');
    expect(registered.stdout.trim()).toBe('complete -F _cachex_complete cachex');
    expect(bashCompletes('cachex run con')).toEqual(['convert', 'contour']);
    expect(bashCompletes('cachex run conv')).toEqual(['convert']);
  });

  it("bash: commands, a task's flags, enum choices and file names", () => {
    const [commands, q, flags, choices, folder, file, tasks, shells] = bashCompletesEach([
      'cachex ',
      'cachex run convert --q',
      'cachex run convert --',
      'cachex run convert --quality ',
      'cachex run convert --file clo',
      'cachex run convert --file clouds/f',
      'cachex ls ',
      'cachex completion ',
    ]);
    expect(commands).toEqual(expect.arrayContaining(['run', 'tasks', 'ls', 'init', 'completion']));
    expect(q).toEqual(['--quality', '--quiet']);
    expect(flags).toEqual(
      expect.arrayContaining(['--file', '--quality', '--debug', '--no-debug', '--force', '--dry-run', '--config']),
    );
    expect(choices).toEqual(['low', 'high']);
    expect(folder).toEqual(['clouds']);
    expect(file).toEqual(['clouds/forest.pcd']);
    expect(tasks).toEqual(['convert', 'contour', 'potree']);
    expect(shells).toEqual(['bash', 'zsh', 'fish']);
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
