/**
 * The working folder is in the key of command tasks and `exec` (issue 12,
 * item 10), relative to the project root: the same command in packages/a and
 * packages/b is different work, while two checkouts of one project at
 * different absolute paths (CI machines) share their entries.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Workspace } from '../helpers/cli.js';

let ws: Workspace;
afterEach(() => ws?.cleanup());

const CONFIG = `import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    whereami: { command: ['pwd'] },
    readInput: { command: ['cat', 'input.txt'] },
    sum: { run: async () => { console.log('sum ran'); return 1; } },
  },
});
`;

/** A project at `rel` with packages a and b, each holding its own input.txt. */
function project(rel: string, withConfig = true): string {
  const root = ws.path(rel);
  for (const pkg of ['a', 'b']) {
    mkdirSync(path.join(root, 'packages', pkg), { recursive: true });
    writeFileSync(path.join(root, 'packages', pkg, 'input.txt'), `input of ${pkg}\n`);
  }
  if (withConfig) writeFileSync(path.join(root, 'cachex.config.ts'), CONFIG);
  else mkdirSync(path.join(root, '.git'));
  return root;
}

const EXEC = ['exec', '--output', 'dist', '--', 'sh', '-c', 'mkdir -p dist && cat input.txt > dist/x'];

describe('the working folder in the key', () => {
  it('a command task run in packages/b after packages/a runs again, and why names the folders', () => {
    ws = new Workspace();
    const root = project('repo');
    const a = ws.run(['run', 'whereami'], { cwd: path.join(root, 'packages', 'a') });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.trim()).toBe(path.join(root, 'packages', 'a'));
    const why = ws.run(['why', 'whereami'], { cwd: path.join(root, 'packages', 'b') });
    expect(why.stdout).toMatch(/would miss/);
    expect(why.stdout).toContain('working folder packages/a → packages/b');
    const b = ws.run(['run', 'whereami'], { cwd: path.join(root, 'packages', 'b') });
    expect(b.stderr).toMatch(/^miss whereami \S+ \(working folder changed;/m);
    expect(b.stdout.trim()).toBe(path.join(root, 'packages', 'b'));
    // Each folder hits its own entry.
    const again = ws.run(['run', 'whereami'], { cwd: path.join(root, 'packages', 'a') });
    expect(again.stderr).toMatch(/^hit whereami /m);
    expect(again.stdout).toBe(a.stdout);
  });

  it('inspect and meta.yaml show the working folder among the key inputs', () => {
    ws = new Workspace();
    const root = project('repo');
    const run = ws.run(['run', 'whereami', '--json'], { cwd: path.join(root, 'packages', 'a') });
    const { key } = JSON.parse(run.stdout);
    const shown = ws.run(['inspect', key.slice(0, 8)], { cwd: root });
    expect(shown.stdout).toMatch(/^ {2}working folder: packages\/a \(relative to the project root\)$/m);
    const meta = readFileSync(path.join(ws.data, 'cache', 'tasks', 'whereami', key, 'meta.yaml'), 'utf8');
    expect(meta).toMatch(/^keyInputs:\n(?: {2}.*\n)*? {2}workingFolder: "packages\/a"$/m);
  });

  it('exec in packages/a after packages/b restores a’s own output, not b’s', () => {
    ws = new Workspace();
    const root = project('repo');
    const b = ws.run(EXEC, { cwd: path.join(root, 'packages', 'b') });
    expect(b.code, b.stderr).toBe(0);
    const a = ws.run(EXEC, { cwd: path.join(root, 'packages', 'a') });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/^miss sh /m);
    expect(readFileSync(path.join(root, 'packages', 'a', 'dist', 'x'), 'utf8')).toBe('input of a\n');
  });

  it('two copies of one project at different absolute paths share entries; another sub-folder misses', () => {
    ws = new Workspace();
    const one = project('ci-one/repo');
    const two = ws.path('elsewhere/much/deeper/repo');
    cpSync(one, two, { recursive: true });
    const first = ws.run(['run', 'readInput'], { cwd: path.join(one, 'packages', 'a') });
    expect(first.stderr).toMatch(/^miss readInput /m);
    const copy = ws.run(['run', 'readInput'], { cwd: path.join(two, 'packages', 'a') });
    expect(copy.stderr).toMatch(/^hit readInput /m);
    expect(copy.stdout).toBe('input of a\n');
    const other = ws.run(['run', 'readInput'], { cwd: path.join(two, 'packages', 'b') });
    expect(other.stderr).toMatch(/^miss readInput /m);
    expect(other.stdout).toBe('input of b\n');
    // exec keys against the config's folder the same way.
    expect(ws.run(EXEC, { cwd: path.join(one, 'packages', 'a') }).stderr).toMatch(/^miss sh /m);
    expect(ws.run(EXEC, { cwd: path.join(two, 'packages', 'a') }).stderr).toMatch(/^hit sh /m);
    expect(ws.run(EXEC, { cwd: path.join(two, 'packages', 'b') }).stderr).toMatch(/^miss sh /m);
  });

  it('exec without a config keys against the nearest .git folder, so checkouts still share', () => {
    ws = new Workspace();
    const one = project('one/repo', false);
    const two = ws.path('two/x/repo');
    cpSync(one, two, { recursive: true });
    const a1 = ws.run(EXEC, { cwd: path.join(one, 'packages', 'a') });
    expect(a1.code, a1.stderr).toBe(0);
    const dry = JSON.parse(
      ws.run([...EXEC.slice(0, 1), '--dry-run', '--json', ...EXEC.slice(1)], { cwd: path.join(two, 'packages', 'a') })
        .stdout,
    );
    expect(dry).toMatchObject({ status: 'hit', keyInputs: { workingFolder: 'packages/a' } });
    expect(ws.run(EXEC, { cwd: path.join(two, 'packages', 'b') }).stderr).toMatch(/^miss sh /m);
    expect(readFileSync(path.join(two, 'packages', 'b', 'dist', 'x'), 'utf8')).toBe('input of b\n');
  });

  it('rebuild runs a command entry again in the folder it was stored from, under the same key', () => {
    ws = new Workspace();
    const root = project('repo');
    const run = ws.run(['run', 'readInput', '--json'], { cwd: path.join(root, 'packages', 'a') });
    const { key } = JSON.parse(run.stdout);
    writeFileSync(path.join(root, 'input.txt'), 'input of the root\n');
    const rebuilt = ws.run(['rebuild', key.slice(0, 8), '--json'], { cwd: root });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ rebuilt: [{ key, newKey: null }], failed: [] });
    expect(rebuilt.stderr).toContain('input of a');
    expect(rebuilt.stderr).not.toContain('input of the root');
  });

  it('a TypeScript task keeps one key in every folder', () => {
    ws = new Workspace();
    const root = project('repo');
    expect(ws.run(['run', 'sum'], { cwd: path.join(root, 'packages', 'a') }).stderr).toMatch(/^miss sum /m);
    expect(ws.run(['run', 'sum'], { cwd: path.join(root, 'packages', 'b') }).stderr).toMatch(/^hit sum /m);
  });

  it('a working folder outside the project root is keyed by its path with ..', () => {
    ws = new Workspace();
    const root = project('repo');
    const config = path.join(root, 'cachex.config.ts');
    const dry = ws.run(['--config', config, 'run', 'whereami', '--dry-run', '--json'], { cwd: ws.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).keyInputs.workingFolder).toBe('..');
  });
});
