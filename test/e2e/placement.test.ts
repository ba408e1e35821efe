import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, type CliResult, Workspace } from '../helpers/cli.js';
import { cannotStrace, entryDirs, treeHash, withReason } from '../helpers/faults.js';

/**
 * `conv` writes run.sh (0755), sub/x.txt (0640, the input's bytes) and
 * FILES more files under sub/; MAKE adds a hard link, a FIFO, a socket or a
 * device among its outputs; it exits with EXIT.
 */
const SCRIPT = `set -e
o="$1"; mkdir -p "$o/sub"
cat "$2" > "$o/sub/x.txt"; chmod 640 "$o/sub/x.txt"
printf '#!/bin/sh\\necho hi\\n' > "$o/run.sh"; chmod 755 "$o/run.sh"
i=0; while [ $i -lt "\${FILES:-0}" ]; do echo "$i" > "$o/sub/f$i.txt"; i=$((i+1)); done
case "$MAKE" in
  link) ln "$o/run.sh" "$o/alias.sh" ;;
  fifo) mkfifo "$o/pipe" ;;
  socket) node -e "require('net').createServer().listen(process.argv[1], () => process.exit(0))" "$o/sock" ;;
  device) mknod "$o/null" c 1 3 ;;
esac
exit "\${EXIT:-0}"`;

const CONFIG = `import { defineConfig } from 'cachex';
export default defineConfig({ tasks: {
  conv: {
    params: { file: { type: 'file', required: true } },
    env: ['MAKE', 'FILES', 'EXIT'],
    command: ['sh', '-c', ${JSON.stringify(SCRIPT)}, 'sh', '{out}', '{file}'],
  },
}});
`;

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
  ws.config(CONFIG);
  ws.write('in/a.txt', 'input a\n');
});
afterEach(() => ws.cleanup());

const conv = (...extra: string[]) => ['run', 'conv', '--file', 'in/a.txt', ...extra];

/** Every path under a folder, relative and sorted. */
function tree(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel))
    .sort()
    .flatMap((name) => {
      const child = rel ? `${rel}/${name}` : name;
      return lstatSync(path.join(dir, child)).isDirectory() ? [child, ...tree(dir, child)] : [child];
    });
}

const OUTPUTS = ['run.sh', 'sub', 'sub/x.txt'];
const modeOf = (file: string) => statSync(file).mode & 0o7777;

describe('--out places private copies by default', () => {
  it('gives files of their own with the modes the task produced; editing one leaves the entry alone', () => {
    expect(ws.run(conv()).code).toBe(0);
    const first = ws.run(conv('--out', 'o1'));
    expect(first.code, first.stderr).toBe(0);
    for (const name of ['run.sh', 'sub/x.txt']) expect(statSync(ws.path('o1', name)).nlink).toBe(1);
    expect(modeOf(ws.path('o1/run.sh'))).toBe(0o755);
    expect(modeOf(ws.path('o1/sub/x.txt'))).toBe(0o640);
    // As root (CI containers) a write into a hard link would have changed the stored entry.
    writeFileSync(ws.path('o1/sub/x.txt'), 'edited\n');
    expect(ws.run(['verify']).code).toBe(0);
    ws.run(conv('--out', 'o2'));
    expect(readFileSync(ws.path('o2/sub/x.txt'), 'utf8')).toBe('input a\n');
    ws.run(conv('--out', 'o3', '--link', 'copy'));
    expect(modeOf(ws.path('o3/run.sh'))).toBe(0o755);
    expect(modeOf(ws.path('o3/sub/x.txt'))).toBe(0o640);
  });

  it.skipIf(cannotStrace())(
    withReason('asks the file system for a reflink once per restore, not once per file (strace)', cannotStrace()),
    () => {
      const env = { FILES: '30' };
      expect(ws.run(conv(), { env }).code).toBe(0);
      const log = ws.path('ioctl.log');
      const r = spawnSync(
        'strace',
        ['-f', '-o', log, '-e', 'trace=ioctl', process.execPath, CLI, ...conv('--out', 'r', '--link', 'auto')],
        { cwd: ws.dir, env: { ...ws.env, ...env }, encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(ws.path('r/sub'))).toHaveLength(31);
      const clones = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => /FICLONE/.test(line));
      // One probe; after it either every file is cloned (a reflink file system) or none is asked again.
      const cloned = clones.length > 1 && clones.every((line) => / = 0$/.test(line));
      expect(clones.length === 1 || cloned, clones.join('\n')).toBe(true);
      expect(readFileSync(ws.path('r/sub/f7.txt'), 'utf8')).toBe('7\n');
    },
  );

  it('shares the stored files only when asked, and --help says what that means', () => {
    ws.run(conv('--out', 'h', '--link', 'hardlink'));
    expect(statSync(ws.path('h/run.sh')).nlink).toBe(2);
    const help = ws.run(['run', 'conv', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toContain('auto is a reflink where the file system has one, else a copy');
    expect(help).toContain('hardlink and symlink share the stored files');
  });

  it('leaves exactly the outputs after repeated hard-link restores into one folder', () => {
    for (let i = 0; i < 3; i++) expect(ws.run(conv('--out', 'o', '--link', 'hardlink')).code).toBe(0);
    expect(tree(ws.path('o'))).toEqual(OUTPUTS);
  });

  it("a hard-link restore places exactly the entry's tree: every file a link of the stored one, nothing else", () => {
    const env = { FILES: '40', MAKE: 'link' };
    expect(ws.run(conv(), { env }).code).toBe(0);
    const hit = ws.run(conv('--out', 'h', '--link', 'hardlink'), { env });
    expect(hit.stderr).toMatch(/^hit conv /m);
    const [entry] = entryDirs(ws.data);
    const stored = path.join(entry, 'out');
    expect(tree(ws.path('h'))).toEqual(tree(stored));
    expect(tree(stored)).toHaveLength(OUTPUTS.length + 41);
    for (const rel of tree(stored)) {
      const [there, placed] = [lstatSync(path.join(stored, rel)), lstatSync(ws.path('h', rel))];
      expect(placed.isDirectory(), rel).toBe(there.isDirectory());
      if (!there.isDirectory()) expect(placed.ino, rel).toBe(there.ino);
    }
    expect(treeHash(ws.path('h'))).toBe(treeHash(stored));
  });
});

describe('--out into a folder that is not empty', () => {
  it('says what it replaced and what was already there, and leaves the rest alone', () => {
    ws.write('o/run.sh', 'old\n');
    ws.write('o/notes.txt', 'mine\n');
    const result = ws.run(conv('--out', 'o'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`outputs: ${ws.path('o')}\n`);
    expect(result.stderr).toContain('  replaced 1 existing file: run.sh\n');
    expect(result.stderr).toContain('  left 1 entry that was already there and is not outputs: notes.txt\n');
    expect(readFileSync(ws.path('o/notes.txt'), 'utf8')).toBe('mine\n');
    const json = JSON.parse(ws.run(conv('--out', 'o', '--json')).stdout);
    expect(json.replaced).toEqual(['run.sh', 'sub/x.txt']);
    expect(json.alreadyThere).toEqual(['notes.txt']);
  });
});

describe('--publish', () => {
  it('prints the published folder as the outputs', () => {
    const result = ws.run(conv('--publish', 'site'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`outputs: ${path.join(ws.data, 'static', 'site')}\n`);
  });
});

describe('a refused placement is not a store failure', () => {
  it('reports the entry as stored and the placement error apart, exits 2, and leaves the target as it was', () => {
    mkdirSync(ws.path('outside'));
    ws.write('o/run.sh', 'old\n');
    symlinkSync(ws.path('outside'), ws.path('o/sub'));
    const before = treeHash(ws.path('o'));
    const result = ws.run(conv('--out', 'o'));
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^miss conv [0-9a-f]{12} \(ran .*, stored .*\)$/m);
    expect(result.stderr).toMatch(/^error: Refusing to write through the symlink .*o\/sub; remove it/m);
    expect(treeHash(ws.path('o'))).toBe(before); // run.sh (placed before sub/ by name) was not replaced either
    expect(readdirSync(ws.path('outside'))).toEqual([]);
    const json = JSON.parse(ws.run(conv('--out', 'o', '--json')).stdout);
    expect(json).toMatchObject({ status: 'hit', stored: true });
    expect(json.placementError).toMatch(/symlink/);
    expect(readdirSync(ws.path())).not.toContainEqual(expect.stringMatching(/cachex-/)); // no staging folder left
    expect(readdirSync(ws.path('o'))).toEqual(['run.sh', 'sub']);
  });
});

describe('outputs that are not plain files, folders or symlinks', () => {
  it('stores outputs that are hard links of each other once and restores them as links of each other', () => {
    expect(ws.run(conv(), { env: { MAKE: 'link' } }).code).toBe(0);
    const [entry] = entryDirs(ws.data);
    const stored = (name: string) => statSync(path.join(entry, 'out', name));
    expect(stored('alias.sh').ino).toBe(stored('run.sh').ino);
    const { outputs } = parse(readFileSync(path.join(entry, 'meta.yaml'), 'utf8'));
    expect(outputs).toContainEqual(expect.objectContaining({ path: 'run.sh', linkOf: 'alias.sh' }));
    const result = ws.run(conv('--out', 'o'), { env: { MAKE: 'link' } });
    expect(result.stderr).toMatch(/^hit conv /m);
    const placed = (name: string) => statSync(ws.path('o', name));
    expect(placed('alias.sh').ino).toBe(placed('run.sh').ino);
    expect(placed('run.sh').nlink).toBe(2);
    expect(placed('run.sh').ino).not.toBe(stored('run.sh').ino);
    expect(modeOf(ws.path('o/alias.sh'))).toBe(0o755);
    expect(ws.run(['verify']).code).toBe(0);
  });

  const special: Array<[string, string, string]> = [
    ['a FIFO', 'fifo', 'the output pipe is a named pipe (FIFO), which cannot be stored'],
    ['a socket', 'socket', 'the output sock is a socket, which cannot be stored'],
  ];
  if (process.getuid?.() === 0)
    special.push(['a device', 'device', 'the output null is a device file, which cannot be stored']);
  it.each(special)(
    'refuses %s: not stored, one sentence naming the file, the task exit code',
    (_label, make, words) => {
      for (const exit of ['0', '5']) {
        const result: CliResult = ws.run(conv(), { env: { MAKE: make, EXIT: exit } });
        expect(result.code, result.stderr).toBe(Number(exit));
        if (exit === '0') expect(result.stderr).toContain(`not stored: ${words})`);
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }
      expect(entryDirs(ws.data)).toEqual([]);
    },
  );
});

describe('a symlink planted in the target while outputs are placed', () => {
  it('never redirects a write out of the target (a planter racing 12 restores)', async () => {
    const env = { FILES: '300' };
    expect(ws.run(conv(), { env }).code).toBe(0);
    mkdirSync(ws.path('outside'));
    const target = ws.path('o');
    let done = false;
    let planted = 0;
    // Swaps o/sub for a symlink to outside/ and back, as fast as it can, while the restores run.
    const planter = (async () => {
      for (let i = 0; !done; i++) {
        try {
          if (existsSync(path.join(target, 'sub')) && !lstatSync(path.join(target, 'sub')).isSymbolicLink()) {
            renameSync(path.join(target, 'sub'), path.join(target, `aside-${i}`));
          } else if (lstatSync(path.join(target, 'sub'), { throwIfNoEntry: false })?.isSymbolicLink()) {
            unlinkSync(path.join(target, 'sub'));
          }
          symlinkSync(ws.path('outside'), path.join(target, 'sub'));
          planted++;
        } catch {
          /* the restore got there first: try again */
        }
        await new Promise((r) => setImmediate(r));
        try {
          if (lstatSync(path.join(target, 'sub'), { throwIfNoEntry: false })?.isSymbolicLink())
            unlinkSync(path.join(target, 'sub'));
        } catch {
          /* as above */
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) {
      rmSync(target, { recursive: true, force: true });
      mkdirSync(target);
      const result = await ws.start(conv('--out', 'o'), { env }).done;
      codes.push(result.code ?? -1);
      // A target someone keeps changing under the restore may also end in a store error (exit 4)
      // naming the placement, when a folder it is filling vanishes mid-way; never a write outside.
      if (result.code === 4) expect(result.stderr).toMatch(/placing outputs into/);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(readdirSync(ws.path('outside'))).toEqual([]);
    }
    done = true;
    await planter;
    expect(planted).toBeGreaterThan(0);
    // Each restore placed its outputs, refused the planted symlink or gave up on the changing
    // target; none wrote through it.
    for (const code of codes) expect([0, 2, 4]).toContain(code);
  }, 120_000);
});
