/** key/working-folder.ts: the working folder in the keys of command tasks and exec, relative to the project root. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findKeyRoot } from '../../src/config/project-root.js';
import { DigestCache } from '../../src/key/digest.js';
import { computeKey } from '../../src/key/inputs.js';
import { keyWorkingFolder } from '../../src/key/working-folder.js';
import { taskFromSpec } from '../../src/tasks/task.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cachex-wf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('keyWorkingFolder', () => {
  it('is "." at the root and the relative path below it, with / separators', () => {
    expect(keyWorkingFolder('/x/repo', '/x/repo')).toBe('.');
    expect(keyWorkingFolder('/x/repo/packages/a', '/x/repo')).toBe('packages/a');
  });

  it('is the same for the same place in two checkouts at different absolute paths', () => {
    expect(keyWorkingFolder('/ci/one/repo/packages/a', '/ci/one/repo')).toBe(
      keyWorkingFolder('/home/me/src/repo/packages/a', '/home/me/src/repo'),
    );
  });

  it('climbs out with .. when the working folder is outside the root', () => {
    expect(keyWorkingFolder('/x', '/x/repo')).toBe('..');
    expect(keyWorkingFolder('/x/other/tree', '/x/repo')).toBe('../other/tree');
  });

  it('is absolute when there is no root to be relative to', () => {
    expect(keyWorkingFolder('/x/repo/sub', null)).toBe('/x/repo/sub');
  });
});

describe('findKeyRoot (exec)', () => {
  it("is the config's folder, else the nearest folder with .git or package.json, else none", () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(path.join(repo, '.git'), { recursive: true });
    mkdirSync(path.join(repo, 'packages', 'a', 'src'), { recursive: true });
    writeFileSync(path.join(repo, 'packages', 'a', 'package.json'), '{}');
    expect(findKeyRoot(path.join(repo, 'packages', 'a', 'src'), null)).toBe(path.join(repo, 'packages', 'a'));
    expect(findKeyRoot(path.join(repo, 'packages'), null)).toBe(repo);
    expect(findKeyRoot(path.join(repo, 'packages'), path.join(dir, 'cachex.config.ts'))).toBe(dir);
  });
});

describe('which keys hold the working folder', () => {
  const digests = new DigestCache(null);
  const keyIn = (spec: Parameters<typeof taskFromSpec>[1], cwd: string, root: string) =>
    computeKey(taskFromSpec('t', spec), {}, { digests, cwd, projectRoot: root });

  it('a command task: another sub-folder is another key, the same sub-folder elsewhere the same key', () => {
    const spec = { command: ['pwd'] };
    const a = keyIn(spec, '/one/repo/packages/a', '/one/repo');
    expect(a.inputs.workingFolder).toBe('packages/a');
    expect(keyIn(spec, '/one/repo/packages/b', '/one/repo').key).not.toBe(a.key);
    expect(keyIn(spec, '/two/deeper/repo/packages/a', '/two/deeper/repo').key).toBe(a.key);
  });

  it('a TypeScript task: not in the key, whatever the folder', () => {
    const spec = { run: async () => 1 };
    const a = keyIn(spec, '/one/repo/packages/a', '/one/repo');
    expect(a.inputs.workingFolder).toBeUndefined();
    expect(keyIn(spec, '/one/repo/packages/b', '/one/repo').key).toBe(a.key);
  });
});
