import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOneSentence, Workspace } from '../helpers/cli.js';
import { demoConfig } from '../helpers/configs.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-edges-');
});
afterEach(() => ws.cleanup());

describe('stray positional arguments', () => {
  beforeEach(() => ws.config(demoConfig()));

  it('a second value after a flag is refused with exit 2, naming it, and nothing runs', () => {
    const a = ws.samplePcd('in/a.pcd');
    const b = ws.samplePcd('in/b.pcd', 'b');
    const result = ws.run(['run', 'potree', '--file', a, b]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Unexpected argument ${JSON.stringify(b)} after --file ${a}`);
    expect(result.stderr).toContain('see `cachex run potree --help`');
    expect(isOneSentence(result.stderr)).toBe(true);
    expect(ws.converterRuns()).toBe(0);
  });

  // One case proves the CLI prints the sentence with exit 2; the others (tasks, config, prune and
  // ls with a stray word, and a value with a space: --max-size 5 GB) are unit tests of the same
  // rule on the same program in test/unit/usage-errors.test.ts.
  it.each([[['verify', 'extra'], '`cachex verify` takes no positional arguments']])(
    'cachex %j is refused with exit 2, naming the stray word',
    (args, says) => {
      const result = ws.run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`Unexpected argument "extra": ${says}`);
      expect(isOneSentence(result.stderr)).toBe(true);
    },
  );
});

describe('did you mean', () => {
  beforeEach(() => ws.config(demoConfig()));

  it('suggests a task for a swap of two letters, as commander does for flags', () => {
    const task = ws.run(['run', 'smu']);
    expect(task.code).toBe(2);
    expect(task.stderr).toContain("Unknown task 'smu' (did you mean sum?)");
    expect(ws.run(['run', 'ehco']).stderr).toContain('(did you mean echo?)');
  });

  it('an unknown command points at `cachex --help`, not at its own help', () => {
    const result = ws.run(['lss']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown command 'lss' (did you mean ls?); see `cachex --help`.");
  });
});

describe('a TypeScript task that throws', () => {
  beforeEach(() =>
    ws.config(`import { defineConfig } from 'cachex';
export default defineConfig({
  tasks: {
    boom: {
      run: async () => {
        const deep = () => {
          throw new Error('kaput');
        };
        [1].map(deep);
      },
    },
  },
});
`),
  );

  it('prints its message and the one frame in the user code', () => {
    const result = ws.run(['run', 'boom']);
    expect(result.code).toBe(1);
    const frames = result.stderr.split('\n').filter((l) => /^\s+at /.test(l));
    expect(result.stderr).toContain('Error: kaput');
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatch(/at deep \(.*cachex\.config\.ts:7:\d+\)$/);
  });

  it.each([[['run', 'boom', '--debug']], [['--debug', 'run', 'boom']]])('prints the full stack with %j', (args) => {
    const result = ws.run(args);
    expect(result.code).toBe(1);
    const frames = result.stderr.split('\n').filter((l) => /^\s+at /.test(l));
    expect(frames.length).toBeGreaterThan(2);
    expect(result.stderr).toMatch(/at Array\.map/);
  });
});

describe('small error messages', () => {
  it('a config syntax error says where, without --debug (exit 3)', () => {
    ws.config(
      "import { defineConfig } from 'cachex';\nexport default defineConfig({\n  tasks: { a: { command: ['x'] }\n});\n",
    );
    const result = ws.run(['tasks']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/cachex\.config\.ts: syntax error at line 4, column \d+: /);
    expect(isOneSentence(result.stderr)).toBe(true);
  });

  it('an error thrown while the config loads says where too', () => {
    ws.config('const x = undefinedThing.y;\nexport default { tasks: {} };\n');
    const result = ws.run(['tasks']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/undefinedThing is not defined \(at line 1, column \d+\)/);
  });

  it('--data-folder naming a file is one store error (exit 4): no "corrupt", no ENOTDIR', () => {
    ws.config(demoConfig());
    const file = ws.write('not-a-folder', 'x');
    const input = ws.samplePcd();
    for (const args of [
      ['--data-folder', file, 'run', 'potree', '--file', input],
      ['--data-folder', `${file}/sub`, 'ls'],
    ]) {
      const result = ws.run(args);
      expect(result.code).toBe(4);
      expect(result.stderr).toMatch(/^error: The data folder .+ (is a file|lies under a file), not a folder; point/);
      expect(result.stderr).not.toMatch(/corrupt|ENOTDIR/);
      expect(isOneSentence(result.stderr)).toBe(true);
    }
    expect(ws.converterRuns()).toBe(0);
  });

  it('a bad value in the params file is a config error (exit 3) naming the file', () => {
    ws.config(demoConfig());
    const params = ws.write('cachex.params.yaml', 'sum:\n  a: lots\n');
    const result = ws.run(['run', 'sum']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`The value of "a" in the params file ${params} expects a number, got "lots"`);
    expect(ws.taskRuns()).toBe(0);
  });
});

describe('nothing matched', () => {
  it('prune --task and ls with an unknown task exit 2 with a suggestion, and sweep nothing', () => {
    ws.config(demoConfig());
    ws.run(['run', 'sum']);
    const prune = ws.run(['prune', '--task', 'smu']);
    expect(prune.code).toBe(2);
    expect(prune.stderr).toContain('Unknown task "smu" (did you mean sum?)');
    const ls = ws.run(['ls', 'nosuchtask']);
    expect(ls.code).toBe(2);
    expect(ls.stderr).toContain('Unknown task "nosuchtask"');
    expect(ws.run(['ls', '--json']).stdout).toMatch(/"task": "sum"/);
  });

  it('a known task with no entries, or a --where that matches none, says so and exits 0', () => {
    ws.config(demoConfig());
    const ls = ws.run(['ls', 'potree']);
    expect(ls.code).toBe(0);
    expect(ls.stderr).toContain('No entries of potree are stored.');
    ws.run(['run', 'sum']);
    const where = ws.run(['ls', 'sum', '--where', 'a=9']);
    expect(where.code).toBe(0);
    expect(where.stderr).toContain('No stored entries of sum match --where a=9.');
    const prune = ws.run(['prune', '--task', 'potree']);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain('No entries of potree are stored; nothing matched.');
  });

  it('without a config, prune --task of a name with no entries says nothing matched (exit 0)', () => {
    const result = ws.run(['prune', '--task', 'process_point_cloud']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('No entries of process_point_cloud are stored; nothing matched.');
  });
});

describe('prune --max-size', () => {
  beforeEach(() => ws.config(demoConfig()));

  it('says why the store is still over: the entries used in the last minute, not "in use"', () => {
    ws.run(['run', 'sum', '--a', '1']);
    ws.run(['run', 'sum', '--a', '1']); // a hit: used in the last minute
    const result = ws.run(['prune', '--max-size', '1B']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'The store is still over --max-size 1B: 1 entry used in the last minute (only --all removes those).',
    );
    expect(result.stdout).not.toMatch(/in use/);
  });

  it('names --keep when that is what kept the entries', () => {
    ws.run(['run', 'sum', '--a', '1']);
    const result = ws.run(['prune', '--max-size', '1B', '--keep', '1']);
    expect(result.stdout).toContain(
      'The store is still over --max-size 1B: --keep 1 protects the newest of each task.',
    );
    expect(result.stdout).not.toMatch(/in use/);
  });
});
