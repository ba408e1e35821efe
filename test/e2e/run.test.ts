import {
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeFileSync,
  chmodSync,
  copyFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_CONVERTER, Workspace, isOneSentence } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
  ws.config(demoConfig());
});
afterEach(() => ws.cleanup());

function storeEntries(): string[] {
  const root = path.join(ws.data, 'cache');
  if (!existsSync(root)) return [];
  const found: string[] = [];
  for (const module of readdirSync(root))
    for (const task of readdirSync(path.join(root, module)))
      for (const key of readdirSync(path.join(root, module, task))) found.push(`${module}/${task}/${key}`);
  return found;
}

describe('cachex run: hits and misses', () => {
  it('runs the converter once: the second identical run is a hit', () => {
    const file = ws.samplePcd();
    const first = ws.run(['run', 'potree', '--file', file]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^miss potree [0-9a-f]{12} \(ran /m);
    const second = ws.run(['run', 'potree', '--file', file]);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^hit potree [0-9a-f]{12} \(saved /m);
    expect(ws.converterRuns()).toBe(1);
  });

  it('misses when the input content changes, hits after touch and under another path', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect(ws.run(['run', 'potree', '--file', file]).stderr).toMatch(/^hit /m);
    copyFileSync(file, ws.path('elsewhere.pcd'));
    expect(ws.run(['run', 'potree', '--file', 'elsewhere.pcd']).stderr).toMatch(/^hit /m);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# changed\n`);
    expect(ws.run(['run', 'potree', '--file', file]).stderr).toMatch(/^miss /m);
    expect(ws.converterRuns()).toBe(2);
  });

  // The rules themselves (each ignored/default/number case) are unit tests: test/unit/key-inputs.test.ts.
  it('ignores ignored flags, normalises numbers and applies defaults before keying', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    expect(ws.run(['run', 'potree', '--file', file, '--verbose', '--quality', 'low']).stderr).toMatch(/^hit /m);
    expect(ws.converterRuns()).toBe(1);

    expect(ws.run(['run', 'sum', '--a', '0.1']).stderr).toMatch(/^miss /m);
    expect(ws.run(['run', 'sum', '--a', '.10', '--b', '2', '--note', 'anything']).stderr).toMatch(/^hit /m);
    expect(ws.taskRuns()).toBe(1);
  });

  it('--force re-runs and replaces the entry', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    const [entry] = storeEntries();
    const created = readFileSync(path.join(ws.data, 'cache', entry, 'meta.yaml'), 'utf8').match(/^created: (.*)$/m)![1];
    const forced = ws.run(['run', 'potree', '--file', file, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/^forced potree /m);
    expect(ws.converterRuns()).toBe(2);
    expect(storeEntries()).toEqual([entry]);
    const after = readFileSync(path.join(ws.data, 'cache', entry, 'meta.yaml'), 'utf8').match(/^created: (.*)$/m)![1];
    expect(after).not.toBe(created);
    expect(ws.run(['run', 'potree', '--file', file]).stderr).toMatch(/^hit /m);
  });

  it('misses after a version bump, an edited function body or a changed converter executable', () => {
    ws.run(['run', 'sum']);
    ws.config(demoConfig({ version: 2 }));
    expect(ws.run(['run', 'sum']).stderr).toMatch(/^miss /m);
    ws.config(demoConfig({ version: 2, extra: 'void 0;' }));
    expect(ws.run(['run', 'sum']).stderr).toMatch(/^miss /m);
    expect(ws.run(['run', 'sum']).stderr).toMatch(/^hit /m);
    expect(ws.taskRuns()).toBe(3);

    const file = ws.samplePcd();
    const converter = ws.path('bin', 'converter');
    ws.write('bin/converter', readFileSync(FAKE_CONVERTER));
    chmodSync(converter, 0o755);
    const env = { POTREE_CONVERTER: converter };
    ws.run(['run', 'potree', '--file', file], { env });
    expect(ws.run(['run', 'potree', '--file', file], { env }).stderr).toMatch(/^hit /m);
    writeFileSync(converter, `${readFileSync(converter, 'utf8')}\n// upgraded\n`);
    expect(ws.run(['run', 'potree', '--file', file], { env }).stderr).toMatch(/^miss /m);
    expect(ws.converterRuns()).toBe(2);
  });
});

describe('cachex run: what a hit returns', () => {
  it('replays stdout, stderr, exit code, result and output files exactly', () => {
    const miss = ws.run(['run', 'sum', '--a', '3', '--json']);
    const hit = ws.run(['run', 'sum', '--a', '3', '--json']);
    const m = JSON.parse(miss.stdout);
    const h = JSON.parse(hit.stdout);
    expect(m.status).toBe('miss');
    expect(h.status).toBe('hit');
    expect(h.result).toEqual({ sum: 5, parts: { a: 3, b: 2 } });
    expect(h.result).toEqual(m.result);
    expect(h.exitCode).toBe(0);

    const plainMiss = ws.run(['run', 'sum', '--a', '4']);
    const plainHit = ws.run(['run', 'sum', '--a', '4']);
    expect(plainHit.stdout).toBe(plainMiss.stdout);
    expect(plainHit.stdout).toContain('sum is 6\n');
    expect(plainHit.stdout).toContain("parts: Map(2) { 'a' => 4, 'b' => 2 }");
    const strip = (s: string) =>
      s
        .split('\n')
        .filter((l) => !/^(hit|miss|running|outputs:)/.test(l))
        .join('\n');
    expect(strip(plainHit.stderr)).toBe(strip(plainMiss.stderr));
    expect(strip(plainHit.stderr)).toContain('sum done');

    const file = ws.samplePcd();
    const out1 = ws.path('out1');
    const out2 = ws.path('out2');
    const r1 = ws.run(['run', 'potree', '--file', file, '--out', out1, '--link', 'copy']);
    const r2 = ws.run(['run', 'potree', '--file', file, '--out', out2]);
    expect(r2.stdout).toBe(r1.stdout);
    expect(r2.stdout).toBe('converted a.pcd\n');
    expect(r2.stderr).toContain('note: demo');
    for (const name of ['cloud.bin', 'metadata.json'])
      expect(readFileSync(path.join(out2, name))).toEqual(readFileSync(path.join(out1, name)));
  });

  it('does not store a failed run unless the task caches failures, and replays the exit code', () => {
    const file = ws.samplePcd();
    const failed = ws.run(['run', 'flaky', '--file', file], { env: { FAKE_EXIT: '3' } });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toMatch(/not stored: the run exited with code 3/);
    ws.run(['run', 'flaky', '--file', file], { env: { FAKE_EXIT: '3' } });
    expect(ws.converterRuns()).toBe(2);
    expect(storeEntries()).toEqual([]);

    ws.config(demoConfig().replace("env: ['FAKE_EXIT'],", "env: ['FAKE_EXIT'], cacheFailures: true,"));
    expect(ws.run(['run', 'flaky', '--file', file], { env: { FAKE_EXIT: '3' } }).code).toBe(3);
    const replay = ws.run(['run', 'flaky', '--file', file], { env: { FAKE_EXIT: '3' } });
    expect(replay.code).toBe(3);
    expect(replay.stderr).toMatch(/^hit flaky .*exit 3\)/m);
    expect(ws.converterRuns()).toBe(3);
  });

  it('materialises outputs with hard links and symlinks on request', () => {
    const file = ws.samplePcd();
    ws.run(['run', 'potree', '--file', file]);
    ws.run(['run', 'potree', '--file', file, '--out', 'linked', '--link', 'hardlink']);
    expect(statSync(ws.path('linked', 'cloud.bin')).nlink).toBeGreaterThan(1);
    ws.run(['run', 'potree', '--file', file, '--out', 'sym', '--link', 'symlink']);
    expect(readFileSync(ws.path('sym', 'metadata.json'), 'utf8')).toContain('"source":"a.pcd"');
    const bad = ws.run(['run', 'potree', '--file', file, '--link', 'teleport']);
    expect(bad.code).toBe(2);
  });
});

describe('cachex run: refusing bad input', () => {
  // The bad-input cases that were here (an unknown task, an unknown flag, a bad number, a
  // flag-like value: exit 2, the sentence, nothing written, nothing run) are one table in
  // test/e2e/reliability/bad-input.test.ts, which asserts the same sentences on one workspace;
  // the value rules behind them are unit tests in test/unit/params.test.ts and run-flags.test.ts.
  it('passes hostile strings to the command as one literal argument, never to a shell', () => {
    const file = ws.samplePcd();
    const pwned = ws.path('pwned');
    for (const label of [`x; touch ${pwned}`, `$(touch ${pwned})`, '`id`', 'a\'b"c', '--force']) {
      const result = ws.run(['run', 'echo', `--label=${label}`, '--file', file]);
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(label);
    }
    expect(existsSync(pwned)).toBe(false);
  });

  it('says clearly when the converter variable is unset or the executable is missing', () => {
    const file = ws.samplePcd();
    const unset = ws.run(['run', 'potree', '--file', file], { env: { POTREE_CONVERTER: '' } });
    expect(unset.code).toBe(3);
    expect(unset.stderr).toMatch(/needs the environment variable POTREE_CONVERTER, which is unset/);
    const missing = ws.run(['run', 'potree', '--file', file], {
      env: { POTREE_CONVERTER: ws.path('no-such-converter') },
    });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/was not found or is not executable/);
    expect(isOneSentence(missing.stderr)).toBe(true);
  });
});

describe('cachex run: crashes', () => {
  it('leaves no visible entry when killed during a miss, and the next run stores normally', async () => {
    const file = ws.samplePcd();
    const { child, done } = ws.start(['run', 'potree', '--file', file], { env: { FAKE_SLEEP: '5' } });
    const tmp = path.join(ws.data, 'tmp');
    for (let i = 0; i < 200 && !(existsSync(tmp) && readdirSync(tmp).length > 0); i++)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await done;
    expect(storeEntries()).toEqual([]);
    const next = ws.run(['run', 'potree', '--file', file]);
    expect(next.code).toBe(0);
    expect(next.stderr).toMatch(/^miss /m);
    expect(ws.run(['run', 'potree', '--file', file]).stderr).toMatch(/^hit /m);
  });
});
