import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealedManifest } from '../../src/config/manifest.js';
import { type CliResult, REPO, Workspace } from '../helpers/cli.js';

/**
 * The hit path (src/cli/fast-hit.ts, src/config/manifest.ts): a hit with an
 * unchanged config loads neither jiti nor commander, and says and does what
 * the full CLI says and does; any change the config load depended on makes
 * the next run load it again.
 */

const LOG_IMPORTS = path.join(REPO, 'test', 'fixtures', 'log-imports.mjs');

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace('cachex-hitpath-');
});
afterEach(() => ws.cleanup());

interface Observed extends CliResult {
  modules: string[];
  /** The config was loaded from its file (jiti ran), or the full CLI (commander) was needed. */
  full: boolean;
}

let logs = 0;
/** Runs the CLI with every module it resolves logged. */
function observe(args: string[], env: NodeJS.ProcessEnv = {}): Observed {
  const log = ws.path(`imports-${++logs}.log`);
  const result = ws.run(args, { env: { ...env, LOG_IMPORTS: log, NODE_OPTIONS: `--import ${LOG_IMPORTS}` } });
  const modules = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  rmSync(log, { force: true });
  const full = modules.some((m) => /node_modules\/(jiti|commander)\/|dist\/cli\/load-full\.cjs/.test(m));
  return { ...result, modules, full };
}

/**
 * Runs until a run takes the hit path: the run after a full load may still load fully once, when
 * the config was written within the clock's granularity of that load (manifest.ts's "racy" rule).
 */
function untilFast(args: string[], env: NodeJS.ProcessEnv = {}): Observed {
  let last: Observed | null = null;
  for (let i = 0; i < 4; i++) {
    last = observe(args, env);
    if (!last.full) return last;
  }
  throw new Error(`never took the hit path: ${last?.stderr}`);
}

function manifests(): string[] {
  const dir = path.join(ws.data, 'configs');
  return existsSync(dir) ? readdirSync(dir).map((n) => path.join(dir, n)) : [];
}

const CONFIG = `import { defineConfig } from 'cachex';
import { WORD } from './words.ts';

export default defineConfig({
  tasks: {
    hello: {
      params: { name: { type: 'string', default: 'world' }, loud: { type: 'boolean' }, tag: { type: 'string', list: true } },
      command: ['sh', '-c', 'echo "' + WORD + ' ' + (process.env.GREETING ?? 'hi') + ' $0"; mkdir -p "$1"; echo x > "$1/x.txt"', '{name}', '{out}'],
    },
    fails: { cacheFailures: true, command: ['sh', '-c', 'echo broken; echo oops >&2; exit 3'] },
    double: {
      params: { n: { type: 'number', default: 21 } },
      run: async ({ n }) => {
        const { appendFileSync } = await import('node:fs');
        appendFileSync(process.env.COUNT_FILE, 'x\\n');
        console.log('doubling', n);
        return { twice: n * 2 };
      },
    },
  },
});
`;

function project(word = 'hello'): void {
  ws.write('words.ts', `export const WORD = ${JSON.stringify(word)};\n`);
  ws.config(CONFIG);
}

describe('the hit path', () => {
  it('a hit with an unchanged config loads neither jiti nor commander, and says exactly what a full hit says', () => {
    project();
    const cases = [
      ['run', 'hello'],
      ['run', 'hello', '--name', 'you', '--loud', '--tag', 'a', '--tag=b'],
      ['run', 'hello', '--json'],
      ['run', 'hello', '--quiet', '--no-remote'],
      ['run', 'hello', '--out', 'placed', '--link', 'copy'],
      ['run', 'double', '--n', '4'],
      ['run', 'double', '--json'],
      ['run', 'fails'],
    ];
    const first = observe(cases[0]);
    expect(first.full, 'a first run loads the config').toBe(true);
    expect(first.stderr).toMatch(/^miss /m);
    for (const args of cases) expect(observe(args).code).not.toBe(null); // stores what the cases hit
    const runsBefore = ws.taskRuns();
    for (const args of cases) {
      const fast = untilFast(args);
      expect(fast.modules.join('\n')).not.toMatch(/jiti|commander|load-full\.cjs/);
      // The same hit through the full CLI: the saved config removed, so it loads from its file.
      for (const file of manifests()) rmSync(file);
      const full = observe(args);
      expect(full.full).toBe(true);
      expect({ code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
        code: full.code,
        stdout: full.stdout,
        stderr: full.stderr,
      });
      if (args.includes('--json')) expect(JSON.parse(fast.stdout).status).toBe('hit');
      else if (!args.includes('--quiet')) expect(fast.stderr).toMatch(/^hit /m);
    }
    expect(ws.taskRuns(), 'no hit ran the function').toBe(runsBefore);
    expect(readFileSync(ws.path('placed', 'x.txt'), 'utf8')).toBe('x\n');
    expect(observe(['run', 'fails']).code).toBe(3);
  });

  it('editing the config, a file it imports, or a variable it reads makes the next run load it and see the change', () => {
    project();
    observe(['run', 'hello']);
    expect(untilFast(['run', 'hello']).stdout).toBe('hello hi world\n');

    ws.write('words.ts', `export const WORD = "howdy";\n`);
    const imported = observe(['run', 'hello']);
    expect(imported.full).toBe(true);
    expect(imported.stdout).toBe('howdy hi world\n');
    expect(untilFast(['run', 'hello']).stdout).toBe('howdy hi world\n');

    const greeted = observe(['run', 'hello'], { GREETING: 'hey' });
    expect(greeted.full).toBe(true);
    expect(greeted.stdout).toBe('howdy hey world\n');
    expect(untilFast(['run', 'hello'], { GREETING: 'hey' }).stdout).toBe('howdy hey world\n');

    // Set when saved, unset now.
    const unset = observe(['run', 'hello']);
    expect(unset.full).toBe(true);
    expect(unset.stdout).toBe('howdy hi world\n');
    expect(untilFast(['run', 'hello']).stdout).toBe('howdy hi world\n');

    // A variable from .env counts as one from the environment.
    ws.write('.env', 'GREETING=yo\n');
    const dotenv = observe(['run', 'hello']);
    expect(dotenv.full).toBe(true);
    expect(dotenv.stdout).toBe('howdy yo world\n');

    ws.config(CONFIG.replace("default: 'world'", "default: 'earth'"));
    const edited = observe(['run', 'hello']);
    expect(edited.full).toBe(true);
    expect(edited.stdout).toBe('howdy yo earth\n');
    expect(untilFast(['run', 'hello']).stdout).toBe('howdy yo earth\n');
  });

  it('an edited TypeScript task function is loaded and run again', () => {
    project();
    observe(['run', 'double']);
    untilFast(['run', 'double']);
    ws.config(CONFIG.replace("'doubling', n", "'twice', n"));
    const edited = observe(['run', 'double']);
    expect(edited.full).toBe(true);
    expect(edited.stderr).toMatch(/^miss /m);
    expect(edited.stdout).toMatch(/^twice 21$/m);
  });

  it('a damaged or altered manifest is never trusted: the config loads from its file', () => {
    project();
    observe(['run', 'hello']);
    untilFast(['run', 'hello']);
    const [file] = manifests();
    const good = readFileSync(file, 'utf8');
    const [json, checksum] = good.split('\n');

    // The saved config altered (a different default), its checksum not: refused.
    writeFileSync(file, `${json.replace('"world"', '"mars"')}\n${checksum}\n`);
    let run = observe(['run', 'hello']);
    expect(run.full).toBe(true);
    expect(run.stdout).toBe('hello hi world\n');
    // One byte changed, the length kept (what a flipped bit does): refused too.
    writeFileSync(file, `${json.replace('"world"', '"wurld"')}\n${checksum}\n`);
    run = observe(['run', 'hello']);
    expect(run.full).toBe(true);
    expect(run.stdout).toBe('hello hi world\n');

    for (const damage of [good.slice(0, good.length / 2), 'not json', '{}', '']) {
      writeFileSync(file, damage);
      run = observe(['run', 'hello']);
      expect(run.full).toBe(true);
      expect(run.stdout).toBe('hello hi world\n');
      expect(run.stderr).toMatch(/^hit /m);
    }

    // Well formed, digest recomputed, but not a valid config: checked like a config, refused.
    const inner = JSON.parse(json);
    inner.config.tasks.hello.params.name.type = 'colour';
    writeFileSync(file, sealedManifest(JSON.stringify(inner)));
    run = observe(['run', 'hello']);
    expect(run.full).toBe(true);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('hello hi world\n');
  });

  it('concurrent writers leave one whole manifest', async () => {
    project();
    observe(['run', 'hello']);
    untilFast(['run', 'hello']);
    for (let round = 0; round < 3; round++) {
      for (const file of manifests()) rmSync(file);
      const runs = Array.from({ length: 6 }, () => ws.start(['run', 'hello']).done);
      for (const r of await Promise.all(runs)) {
        expect(r.code).toBe(0);
        expect(r.stdout).toBe('hello hi world\n');
      }
      const left = readdirSync(path.join(ws.data, 'configs'));
      expect(left.filter((n) => n.endsWith('.tmp'))).toEqual([]);
      expect(left.length).toBeLessThanOrEqual(1);
    }
    expect(untilFast(['run', 'hello']).stdout).toBe('hello hi world\n');
  });

  it("a variable only jiti's own start reads (its CI detection) does not make the next run load the config", () => {
    project();
    observe(['run', 'hello']);
    untilFast(['run', 'hello']);
    const hit = observe(['run', 'hello'], { APPVEYOR: 'True' });
    expect(hit.full).toBe(false);
    expect(hit.stdout).toBe('hello hi world\n');
    // One the config reads still does (see above): the trace is as strict as before for the config itself.
    expect(observe(['run', 'hello'], { GREETING: 'hey' }).full).toBe(true);
  });

  it('a config that changes the environment as it loads is loaded by every run', () => {
    ws.config(`import { defineConfig } from 'cachex';
process.env.SET_BY_CONFIG ??= 'from the config';
export default defineConfig({ tasks: { show: { env: ['SET_BY_CONFIG'], command: ['sh', '-c', 'echo "$SET_BY_CONFIG"'] } } });
`);
    for (let i = 0; i < 4; i++) {
      const run = observe(['run', 'show']);
      expect(run.full).toBe(true);
      expect(run.stdout).toBe('from the config\n');
    }
    expect(manifests()).toEqual([]);
  });

  it('a config that starts a process as it loads is loaded by every run, and sees what the process says', () => {
    ws.config(`import { execFileSync } from 'node:child_process';
import { defineConfig } from 'cachex';
const version = execFileSync('cat', ['version.txt']).toString().trim();
export default defineConfig({ tasks: { show: { version, command: ['sh', '-c', 'echo ${'$'}0', version] } } });
`);
    for (const version of ['1', '1', '2', '2']) {
      ws.write('version.txt', `${version}\n`);
      const run = observe(['run', 'show']);
      expect(run.full).toBe(true);
      expect(run.stdout).toBe(`${version}\n`);
    }
    expect(manifests()).toEqual([]);
  });

  it('help, unknown flags and other spellings go to the full CLI', () => {
    project();
    observe(['run', 'hello']);
    untilFast(['run', 'hello']);
    const help = observe(['run', 'hello', '--help']);
    expect(help.full).toBe(true);
    expect(help.stdout).toMatch(/--name <string>/);
    const unknown = observe(['run', 'hello', '--nmae', 'x']);
    expect(unknown.full).toBe(true);
    expect(unknown.code).toBe(2);
    const repeated = observe(['run', 'hello', '--name', 'a', '--name', 'b']);
    expect(repeated.full).toBe(true);
    expect(repeated.code).toBe(2);
    const dry = observe(['run', 'hello', '--dry-run']);
    expect(dry.full).toBe(true);
    expect(dry.stdout).toMatch(/hit/);
  });
});
