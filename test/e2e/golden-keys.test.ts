/**
 * Keys do not move: the keys of a fixed set of tasks, params and inputs
 * (test/fixtures/golden-project), computed through the public doors — the
 * built CLI's `run --dry-run --json` and `exec --dry-run --json`, and the
 * library's `key()` — must equal the keys recorded in
 * test/fixtures/golden-keys.json. A change here invalidates every user's
 * cache, so it must be deliberate: bump KEY_FORMAT in src/key/inputs.ts (or,
 * when a new input enters the keys of some kinds only, check that only those
 * keys moved, as when the working folder entered command and exec keys), then
 * re-record with
 *
 *   npm run build && CACHEX_RECORD_GOLDEN=1 npx vitest run test/e2e/golden-keys.test.ts
 *
 * and commit the new fixture with the reason in the message.
 *
 * Left out because their keys hold an absolute path (by design), so they
 * depend on where the project lives: `keyBy: 'path'`/`'both'` params naming a
 * file outside the project root, `exec --input` given as an absolute path, and
 * commands found on PATH (`sh`: their bytes are the machine's, not ours).
 */
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, Workspace } from '../helpers/cli.js';
import { copyGoldenProject, goldenEnv, inPool, runAsync, runLibrary } from '../helpers/golden.js';

const FIXTURE = path.join(REPO, 'test', 'fixtures', 'golden-keys.json');
const RECORD = process.env.CACHEX_RECORD_GOLDEN === '1';

interface Case {
  args: string[];
  /** Relative to the project folder. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

const run = (task: string, ...args: string[]): Case => ({ args: ['run', task, ...args, '--dry-run', '--json'] });

const CLI_CASES: Record<string, Case> = {
  'command: defaults': run('convert', '--file', 'in/a.txt'),
  'command: ignored flag, explicit default': run('convert', '--file', 'in/a.txt', '--verbose', '--quality', 'low'),
  'command: enum and string list': run(
    'convert',
    '--file',
    'in/b.txt',
    '--quality',
    'high',
    '--tag',
    'x',
    '--tag',
    'y',
  ),
  // The working folder is in the key of command tasks and exec (relative to the project root).
  'command: from a sub-folder': { ...run('convert', '--file', 'a.txt'), cwd: 'in' },
  'command: another value of a declared env var': {
    ...run('convert', '--file', 'in/a.txt'),
    env: { GOLDEN_MODE: 'slow' },
  },
  'ts: defaults': run('sum'),
  'ts: normalised numbers, ignored note, boolean': run('sum', '--a', '0.10', '--b', '3', '--note', 'hi', '--flag'),
  'ts: file by content': run('byContent', '--file', 'in/a.txt'),
  'ts: file by path': run('byPath', '--file', 'in/a.txt'),
  'ts: file by path, from a sub-folder': { ...run('byPath', '--file', 'a.txt'), cwd: 'in' },
  'ts: file by path and content': run('byBoth', '--file', 'in/a.txt'),
  'ts: dir by content': run('tree', '--src', 'in/tree'),
  'ts: dir by path': run('treeByPath', '--src', 'in/tree/'),
  'ts: file and dir lists': run('files', '--file', 'in/a.txt', '--file', 'in/b.txt', '--dir', 'in/tree'),
  'ts: empty lists': run('files'),
  'exec: bare command': { args: ['exec', '--dry-run', '--json', '--', './bin/tool.sh', 'in/a.txt'] },
  // The same argv as the bare command: only the working folder differs.
  'exec: from a sub-folder': { args: ['exec', '--dry-run', '--json', '--', './bin/tool.sh', 'in/a.txt'], cwd: 'in' },
  'exec: inputs, env, outputs, name': {
    args: [
      ...['exec', '--input', 'in/a.txt', '--input', 'in/tree', '--env', 'GOLDEN_MODE', '--env', 'GOLDEN_UNSET'],
      ...['--output', 'out', '--name', 'golden-tool', '--dry-run', '--json', '--', './bin/tool.sh', 'in/a.txt'],
      ...['-o', 'out'],
    ],
  },
};

interface Recorded {
  note: string;
  recordedWith: string;
  keys: Record<string, string>;
  /** What each key was computed from (the executable's path, not hashed, left out): to see what moved. */
  inputs: Record<string, unknown>;
}

let ws: Workspace;
let project: string;
const keys: Record<string, string> = {};
const inputs: Record<string, unknown> = {};

beforeAll(async () => {
  ws = new Workspace('cachex-golden-');
  goldenEnv(ws);
  project = copyGoldenProject(ws.path('some', 'where', 'project'));
  // So that ./bin/tool.sh is found from in/ too (the sub-folder cases): the same file, keyed by its content.
  symlinkSync('../bin', path.join(project, 'in', 'bin'));
  const results = await inPool(
    Object.values(CLI_CASES).map((c) => () => runAsync(ws, c.args, path.join(project, c.cwd ?? ''), c.env)),
  );
  Object.keys(CLI_CASES).forEach((label, i) => {
    const result = results[i];
    if (result.code !== 0) throw new Error(`${label}: exit ${result.code}: ${result.stderr}`);
    const summary = JSON.parse(result.stdout);
    keys[label] = summary.key;
    const { executable, ...rest } = summary.keyInputs;
    inputs[label] = executable ? { ...rest, executable: { digest: executable.digest } } : rest;
  });
  for (const [label, key] of Object.entries(await runLibrary(ws, project, 'keys')))
    keys[`library: ${label}`] = String(key);
}, 180_000);
afterAll(() => ws.cleanup());

describe('golden keys', () => {
  it.runIf(RECORD)('records the keys (CACHEX_RECORD_GOLDEN=1)', () => {
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
    const recorded: Recorded = {
      note: 'Keys of test/fixtures/golden-project; see test/e2e/golden-keys.test.ts before changing anything here.',
      recordedWith: `cachex ${version}`,
      keys,
      inputs,
    };
    writeFileSync(FIXTURE, `${JSON.stringify(recorded, null, 2)}\n`);
    process.stderr.write(`recorded ${Object.keys(keys).length} golden keys in ${FIXTURE}\n`);
  });

  it.skipIf(RECORD)('every key equals the recorded one', () => {
    expect(existsSync(FIXTURE), 'no recorded keys: run with CACHEX_RECORD_GOLDEN=1 once').toBe(true);
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Recorded;
    expect(Object.keys(keys).sort()).toEqual(Object.keys(recorded.keys).sort());
    for (const [label, key] of Object.entries(keys)) {
      // On a mismatch, the message shows the key inputs then and now.
      const why = `${label}\nrecorded from ${JSON.stringify(recorded.inputs[label])}\nnow from      ${JSON.stringify(inputs[label])}`;
      expect(key, why).toBe(recorded.keys[label]);
    }
  });

  it('the rules the recorded set relies on hold (so it covers distinct keys)', () => {
    // An ignored flag and an explicit default are the same work; a sub-folder cwd names the same project file.
    expect(keys['command: ignored flag, explicit default']).toBe(keys['command: defaults']);
    expect(keys['ts: file by path, from a sub-folder']).toBe(keys['ts: file by path']);
    expect(keys['library: scale explicit factor, ignored logger']).toBe(keys['library: scale default factor']);
    // The working folder, relative to the project root, is in command and exec keys only.
    for (const [label, recorded] of Object.entries(inputs)) {
      const folder = (recorded as { workingFolder?: string }).workingFolder;
      if (/^(command|exec):/.test(label)) expect(folder, label).toBe(label.endsWith('from a sub-folder') ? 'in' : '.');
      else expect(folder, label).toBeUndefined();
    }
    const distinct = new Set(Object.values(keys));
    expect(distinct.size).toBe(Object.keys(keys).length - 3);
    for (const key of distinct) expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});
