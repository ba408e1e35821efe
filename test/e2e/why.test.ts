import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  lstatSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CONVERTER, Workspace, isOneSentence } from '../helpers/cli.js';

/** A TS task with one param of every kind `why` can name, and a command task over a copy of the stand-in converter. */
function whyConfig(options: { version?: number; extra?: string } = {}): string {
  return `import { appendFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'cachex';

export default defineConfig({
  tasks: {
    probe: {
      version: ${options.version ?? 1},
      params: {
        resolution: { type: 'number', default: 0.1 },
        file: { type: 'file', required: true },
        tree: { type: 'dir', required: true },
        named: { type: 'file', keyBy: 'path', required: true },
        both: { type: 'file', keyBy: 'both', required: true },
        tag: { type: 'string', list: true },
        input: { type: 'file', list: true },
      },
      env: ['MODE'],
      run: async (params, ctx) => {
        appendFileSync(process.env.COUNT_FILE, 'x\\n');
        ${options.extra ?? ''}
        writeFileSync(ctx.outDir + '/done.txt', 'done');
        return 1;
      },
    },
    tool: {
      params: { file: { type: 'file', required: true } },
      command: ['\${TOOL}', '{file}', '-o', '{out}'],
    },
  },
});
`;
}

function snapshot(dir: string): string[] {
  const lines: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = lstatSync(full);
      lines.push(`${path.relative(dir, full)} ${st.isDirectory() ? 'd' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return lines;
}

const BASE = [
  '--file',
  'in/data.pcd',
  '--tree',
  'in/tree',
  '--named',
  'in/named.txt',
  '--both',
  'in/both.txt',
  '--tag',
  'a',
  '--tag',
  'b',
  '--input',
  'in/i1.txt',
  '--input',
  'in/i2.txt',
];

describe('cachex why', () => {
  let ws: Workspace;
  let tool: string;
  let toolEnv: NodeJS.ProcessEnv;
  let storedKey: string;

  const why = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const result = ws.run(['why', 'probe', ...args], { env });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };
  /** The differences `why` names against the one stored entry of probe. */
  const named = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const out = why(args, env);
    expect(out).toMatch(/: would miss\nnearest entry [0-9a-f]{12} \(created [^)]+\), \d+ differences?:\n/);
    return out
      .split('\n')
      .filter((l) => l.startsWith('  '))
      .map((l) => l.trim());
  };

  beforeAll(() => {
    ws = new Workspace('cachex-why-');
    ws.config(whyConfig());
    ws.samplePcd('in/data.pcd');
    ws.write('in/tree/x.txt', 'x');
    ws.write('in/named.txt', 'named');
    ws.write('in/other.txt', 'other');
    ws.write('in/both.txt', 'both');
    ws.write('in/i1.txt', '1');
    ws.write('in/i2.txt', '2');
    ws.write('in/i3.txt', '3');
    tool = ws.path('bin', 'tool');
    ws.write('bin/tool', readFileSync(FAKE_CONVERTER));
    chmodSync(tool, 0o755);
    toolEnv = { TOOL: tool };
    const first = ws.run(['run', 'probe', ...BASE, '--json'], { env: { MODE: 'fast' } });
    expect(first.code, first.stderr).toBe(0);
    storedKey = JSON.parse(first.stdout).key;
    const second = ws.run(['run', 'tool', '--file', 'in/data.pcd'], { env: toolEnv });
    expect(second.code, second.stderr).toBe(0);
    expect(ws.taskRuns()).toBe(1);
  });
  afterAll(() => ws.cleanup());

  it('says it would hit when an entry with exactly these inputs is stored', () => {
    expect(why(BASE, { MODE: 'fast' })).toBe(
      `probe ${storedKey.slice(0, 12)}: would hit (an entry with exactly these key inputs is stored, created ${
        JSON.parse(ws.run(['ls', 'probe', '--json']).stdout)[0].created
      }).\n`,
    );
  });

  it('says "no difference found" for a forced run of the same inputs', () => {
    expect(why([...BASE, '--force'], { MODE: 'fast' })).toMatch(/^probe [0-9a-f]{12}: no difference found; /);
  });

  it('names a changed plain param', () => {
    expect(named([...BASE, '--resolution', '0.2'], { MODE: 'fast' })).toEqual(['--resolution 0.1 → 0.2']);
  });

  // A list param that grew, a list of files that grew and an env variable that changed were cases
  // here too: the same diff rule with the same words, unit tests in test/unit/key-diff.test.ts;
  // the plain param above and the keyBy-path file below prove the CLI keys the flags it is given.
  it('names a keyBy-path file given by another path', () => {
    const args = BASE.map((a) => (a === 'in/named.txt' ? 'in/other.txt' : a));
    expect(named(args, { MODE: 'fast' })).toEqual(['file in/named.txt → in/other.txt']);
  });

  it('names the file, dir and keyBy-both file whose content changed, and the task version and function', () => {
    // Last, since they change the workspace: each change must show up as the one difference.
    const before = snapshot(path.join(ws.data, 'cache'));
    const runsBefore = ws.taskRuns();
    const eventsFile = path.join(ws.data, 'events.log');
    const eventsBefore = readFileSync(eventsFile, 'utf8'); // the setup's real runs recorded theirs

    writeFileSync(ws.path('in/data.pcd'), `${readFileSync(ws.path('in/data.pcd'), 'utf8')}# edited\n`);
    expect(named(BASE, { MODE: 'fast' })).toEqual([
      expect.stringMatching(/^file in\/data\.pcd: content changed \(sha256 [0-9a-f]{4}… → [0-9a-f]{4}…\)$/),
    ]);
    ws.samplePcd('in/data.pcd');

    ws.write('in/tree/y.txt', 'y');
    expect(named(BASE, { MODE: 'fast' })).toEqual([
      expect.stringMatching(/^dir in\/tree: content changed \(sha256 [0-9a-f]{4}… → [0-9a-f]{4}…\)$/),
    ]);
    rmSync(ws.path('in/tree/y.txt'));
    ws.write('in/both.txt', 'both, edited');
    expect(named(BASE, { MODE: 'fast' })).toEqual([
      expect.stringMatching(/^file in\/both\.txt: content changed \(sha256 [0-9a-f]{4}… → [0-9a-f]{4}…\)$/),
    ]);
    ws.write('in/both.txt', 'both');

    ws.config(whyConfig({ version: 2 }));
    expect(named(BASE, { MODE: 'fast' })).toEqual(['version 1 → 2']);
    ws.config(whyConfig({ extra: '// a comment in the run function' }));
    expect(named(BASE, { MODE: 'fast' })).toEqual(['run function source changed']);
    ws.config(whyConfig());
    expect(why(BASE, { MODE: 'fast' })).toMatch(/would hit/);

    expect(ws.taskRuns()).toBe(runsBefore);
    expect(snapshot(path.join(ws.data, 'cache'))).toEqual(before);
    expect(readFileSync(eventsFile, 'utf8')).toBe(eventsBefore);
  });

  it('names the executable of a command task whose content changed', () => {
    const run = (env: NodeJS.ProcessEnv) => ws.run(['why', 'tool', '--file', 'in/data.pcd'], { env });
    expect(run(toolEnv).stdout).toMatch(/would hit/);
    const moved = ws.path('bin', 'tool-copy');
    copyFileSync(tool, moved);
    chmodSync(moved, 0o755);
    // The path alone is not in the key: the same program elsewhere still hits.
    expect(run({ TOOL: moved }).stdout).toMatch(/would hit/);
    appendFileSync(tool, '// a new build\n');
    const out = run(toolEnv).stdout;
    expect(out).toContain(`\n  executable ${tool}: content changed\n`);
    expect(out).toMatch(/1 difference:/);
  });

  it('names a change of the cachex key format (an entry stored by an older cachex)', () => {
    const ws2 = new Workspace('cachex-why-format-');
    try {
      ws2.config(whyConfig());
      ws2.write('in/a.txt', 'a');
      const args = ['--file', 'in/a.txt', '--tree', 'in', '--named', 'in/a.txt', '--both', 'in/a.txt'];
      const stored = ws2.run(['run', 'probe', ...args, '--json']);
      expect(stored.code, stored.stderr).toBe(0);
      // An older cachex stored the same work under the key of its own format: rewrite the entry as it would have.
      const key = JSON.parse(stored.stdout).key;
      const taskDir = path.join(ws2.data, 'cache', 'tasks', 'probe');
      const oldKey = 'e'.repeat(64);
      renameSync(path.join(taskDir, key), path.join(taskDir, oldKey));
      const metaFile = path.join(taskDir, oldKey, 'meta.yaml');
      const meta = readFileSync(metaFile, 'utf8');
      // keyInputs is the only nested map with a `format` field.
      expect(meta).toMatch(/^ {2}format: 1$/m);
      // ...and sealed it with its own digest line, as every meta.yaml is (a tampered one is unreadable).
      const body = meta.replace(/metaDigest: "[0-9a-f]{64}"\n$/, '').replace(/^ {2}format: 1$/m, '  format: 0');
      const rewritten = body.replaceAll(key, oldKey);
      writeFileSync(metaFile, `${rewritten}metaDigest: "${createHash('sha256').update(rewritten).digest('hex')}"\n`);
      const result = ws2.run(['why', 'probe', ...args]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/1 difference:\n {2}cachex key format changed\n$/);
    } finally {
      ws2.cleanup();
    }
  });

  it('says so when no entry of the task is stored (exit 0)', () => {
    const result = ws.run(['why', 'tool', '--file', 'in/i1.txt'], {
      env: { TOOL: tool, DATA_FOLDER: ws.path('empty') },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^tool [0-9a-f]{12}: no entry for the task is stored/);
  });

  it('gives the same as data with --json, nearest entry first', () => {
    const result = ws.run(['why', 'probe', ...BASE, '--resolution', '0.3', '--json'], { env: { MODE: 'fast' } });
    expect(result.code, result.stderr).toBe(0);
    const verdict = JSON.parse(result.stdout);
    expect(verdict).toMatchObject({ status: 'miss', task: 'probe' });
    expect(verdict.nearest[0]).toMatchObject({
      key: storedKey,
      differences: [{ kind: 'param', param: 'resolution', before: 0.1, after: 0.3, text: '--resolution 0.1 → 0.3' }],
    });
  });

  it('refuses an unknown task and bad flags with one sentence and exit 2', () => {
    for (const args of [['nope'], ['probe', '--bogus', '1'], ['probe', '--file', 'in/missing.pcd']]) {
      const result = ws.run(['why', ...args]);
      expect(result.code, result.stderr).toBe(2);
      expect(isOneSentence(result.stderr), result.stderr).toBe(true);
    }
  });
});
