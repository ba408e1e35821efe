import { cpSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, Workspace, isOneSentence } from '../helpers/cli.js';

const CONFIG = ['--config', path.join(REPO, 'cachex.config.ts')];

/** Every path under `dir` with its type, size and mtime: equal snapshots mean nothing was written. */
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

describe('cachex inspect', () => {
  let ws: Workspace;
  let convertKey: string;
  let potreeKey: string;

  beforeAll(() => {
    ws = new Workspace();
    ws.samplePcd('in/a.pcd');
    const convert = ws.run([...CONFIG, 'run', 'convert', '--file', 'in/a.pcd', '--json']);
    expect(convert.code, convert.stderr).toBe(0);
    convertKey = JSON.parse(convert.stdout).key;
    const potree = ws.run([...CONFIG, 'run', 'potree', '--file', 'in/a.pcd', '--json']);
    expect(potree.code, potree.stderr).toBe(0);
    potreeKey = JSON.parse(potree.stdout).key;
  });
  afterAll(() => ws.cleanup());

  it('shows metadata, params, key inputs, logs, result and the outputs tree of the entry a key prefix names', () => {
    const result = ws.run([...CONFIG, 'inspect', convertKey.slice(0, 8)]);
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text).toMatch(/^task:\s+convert \(module tasks\)$/m);
    expect(text).toMatch(new RegExp(`^key:\\s+${convertKey}$`, 'm'));
    expect(text).toMatch(/^exit code:\s+0$/m);
    expect(text).toMatch(/^version:\s+task 2, stored by cachex \d+\.\d+\.\d+/m);
    expect(text).toMatch(/^ {2}resolution = 0\.1$/m);
    expect(text).toMatch(/^ {2}debug = false {2}\(ignored: not in the key\)$/m);
    expect(text).toMatch(/^ {2}param file: digest [0-9a-f]{64}$/m);
    expect(text).toMatch(/^logs:\s+stdout \d+ B, stderr 0 B$/m);
    expect(text).toMatch(/^result:\s+\d+ B \(v8/m);
    expect(text).toMatch(/^outputs:\s+2 files, /m);
    expect(text).toMatch(/^ {2}cloud\.pcd\s+\S+ \S*B$/m);
    expect(text).toMatch(/^ {2}metadata\.json\s+\d+ B$/m);
  });

  it('prints the full record with --json', () => {
    const result = ws.run([...CONFIG, 'inspect', convertKey.slice(0, 6).toUpperCase(), '--json']);
    expect(result.code, result.stderr).toBe(0);
    const record = JSON.parse(result.stdout);
    expect(record).toMatchObject({
      status: 'cached',
      key: convertKey,
      task: 'convert',
      module: 'tasks',
      hits: 0,
      exitCode: 0,
      params: { resolution: 0.1, debug: false },
    });
    expect(record.meta.outputs.map((o: { path: string }) => o.path)).toEqual(['cloud.pcd', 'metadata.json']);
    expect(record.meta.keyInputs.params.resolution).toBe(0.1);
    expect(record.diskBytes).toBeGreaterThan(0);
  });

  it('shows the command line of a command task, with the output folder as {out}', () => {
    const result = ws.run([...CONFIG, 'inspect', potreeKey.slice(0, 10)]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^command:\s+\S*fake-converter \S*a\.pcd -o \{out\}$/m);
    expect(result.stdout).toMatch(/^ {2}executable: \S+ \([0-9a-f]{64}\)$/m);
    expect(result.stdout).toMatch(/^ {2}cloud\.bin\s+4\.1 kB$/m);
  });

  it('resolves the key from a task and its flags exactly as run does', () => {
    const same = ws.run([
      ...CONFIG,
      'inspect',
      'convert',
      '--file',
      'in/a.pcd',
      '--resolution',
      '0.10',
      '--debug',
      '--json',
    ]);
    expect(same.code, same.stderr).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ status: 'cached', key: convertKey });
    const text = ws.run([...CONFIG, 'inspect', 'convert', '--resolution', '0.1', '--file', 'in/a.pcd']);
    expect(text.stdout).toMatch(new RegExp(`^key:\\s+${convertKey}$`, 'm'));
  });

  it('says "not cached" (exit 0) for flags whose key has no entry, and runs nothing', () => {
    const before = snapshot(path.join(ws.data, 'cache'));
    const result = ws.run([...CONFIG, 'inspect', 'convert', '--file', 'in/a.pcd', '--resolution', '0.3']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^convert [0-9a-f]{64}: not cached$/m);
    const json = ws.run([...CONFIG, 'inspect', 'convert', '--file', 'in/a.pcd', '--resolution', '0.3', '--json']);
    const record = JSON.parse(json.stdout);
    expect(record.status).toBe('not cached');
    expect(record.key).not.toBe(convertKey);
    expect(record.params.resolution).toBe(0.3);
    expect(snapshot(path.join(ws.data, 'cache'))).toEqual(before);
  });

  it('refuses bad task flags with exit 2', () => {
    // A missing input file and a missing required param were cases here too; they are the same
    // rules run's flags follow, unit tests in test/unit/params.test.ts (same inputs and sentences).
    for (const args of [
      ['--bogus', '1'],
      ['--resolution', 'abc', '--file', 'in/a.pcd'],
    ]) {
      const result = ws.run([...CONFIG, 'inspect', 'convert', ...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(isOneSentence(result.stderr, 1)).toBe(true);
    }
  });

  it('lists the candidates of an ambiguous prefix and exits 2', () => {
    // A second folder whose key shares the first 10 characters, as two real keys might.
    const twin = `${convertKey.slice(0, 10)}${convertKey[10] === 'f' ? 'e' : 'f'}${'0'.repeat(53)}`;
    const cache = path.join(ws.data, 'cache', 'tasks', 'convert');
    cpSync(path.join(cache, convertKey), path.join(cache, twin), { recursive: true });
    try {
      const result = ws.run([...CONFIG, 'inspect', convertKey.slice(0, 7)]);
      expect(result.code).toBe(2);
      expect(isOneSentence(result.stderr, 1)).toBe(true);
      expect(result.stderr).toContain('ambiguous');
      expect(result.stderr).toContain(`convert ${convertKey.slice(0, 12)}`);
      expect(result.stderr).toContain(`convert ${twin.slice(0, 12)}`);
      // One more character than they share picks one.
      expect(ws.run([...CONFIG, 'inspect', convertKey.slice(0, 11)]).code).toBe(0);
    } finally {
      ws.run([...CONFIG, 'verify', '--fix']); // the twin's meta.yaml names another key: verify removes it
    }
    expect(JSON.parse(ws.run([...CONFIG, 'ls', '--json']).stdout)).toHaveLength(2);
  });

  it('gives exit 2 for an unknown, short or hostile prefix and writes nothing anywhere', () => {
    const unknown = `${convertKey[0] === '0' ? '1' : '0'}${potreeKey[0] === '0' ? '1' : '0'}`.repeat(4);
    const before = snapshot(ws.dir);
    // One case per rule through the CLI; the rest of this table (a short prefix, a 65-character
    // one, '../../../tmp', 'abcdef; rm -rf ~', 'zzzzzzzz') are unit tests of the same checks with
    // the same sentences in test/unit/key-prefix.test.ts.
    const cases: Array<[string, RegExp]> = [
      [unknown.slice(0, 7), /no entry has a key starting with/i],
      ['../../etc', /neither a task nor a key prefix/],
      ['$(touch pwned)', /neither a task nor a key prefix/],
    ];
    for (const [target, message] of cases) {
      const result = ws.run([...CONFIG, 'inspect', target]);
      expect(result.code, target).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(isOneSentence(result.stderr, 1)).toBe(true);
    }
    expect(snapshot(ws.dir)).toEqual(before);
  });
});
